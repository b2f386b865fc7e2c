"""Cases through the API: list, open, read, change data, transitions (available and applied), comments,
history; and the published workflows with the JSON Schema of each form. Errors of the engine map to problems
(`core.api.errors.workflow_problem`): 404 unknown transition, 403 role, 409 concurrent change or wrong state,
422 guard or form (field errors under `data.<field>`)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import Problem
from core.api.parsers import FormParser, JSONParser, MultiPartParser, form_body
from core.api.permissions import ANY_ROLE, STAFF
from core.api.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    AvailableTransitionSerializer,
    CaseCreateSerializer,
    CaseEventSerializer,
    CaseFilterSerializer,
    CaseSerializer,
    CaseStructureConfirmSerializer,
    CaseStructureOutcomeSerializer,
    CaseUpdateSerializer,
    CommentCreateSerializer,
    TransitionApplySerializer,
    WorkflowSerializer,
)
from core.downloads import file_response, form_file_response
from core.models import Case
from core.plugins import disabled_poles
from core.selectors.case_work import case_attachments, case_events_visible, case_file_get
from core.selectors.cases import available_transitions, case_get, case_list
from core.services.case_structure import case_structure_confirm
from core.services.case_updates import case_attachment_add, case_comment_add, case_data_update
from core.services.cases import case_open, transition_apply
from workflows.engine import compiled_version
from workflows.selectors import workflow_list


def case_etag(case: Case) -> str:
    return f'"{case.revision}"'


def with_etag(response: Response, case: Case) -> Response:
    response["ETag"] = case_etag(case)
    return response


def if_match_revision(request: Request, case: Case) -> int | None:
    """The revision an `If-Match` header names (an ETag of `GET`): 412 when the case has moved on since, None
    without the header (or with `*`). The service checks it again on the locked row (409 on a race)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    if case_etag(case) not in tags:
        raise Problem(
            "Le dossier a été modifié depuis votre lecture (If-Match ne correspond plus) : relisez-le puis "
            "renvoyez vos modifications.",
            status_code=412,
            slug="precondition-failed",
            title="Précondition non remplie",
        )
    return case.revision


FILES_HELP = (
    "Un formulaire qui demande des fichiers s'envoie en `multipart/form-data` : la partie `data` porte l'objet "
    "JSON des valeurs (comme en JSON), chaque fichier est une partie nommée par son champ (`statuts`) ou, dans "
    "une liste d'éléments, par `<liste>.<n° d'élément à partir de 0>.<champ>` (`bureau.0.diplome`). Chaque "
    "fichier est jugé par son contenu et sa taille. Pour garder un fichier déjà déposé, renvoyez sa valeur "
    'lue sur le dossier (`{"path": …}`).'
)

REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="Référence du dossier.")


@extend_schema_view(
    list=extend_schema(
        summary="Lister les dossiers visibles", operation_id="cases_list", parameters=[CaseFilterSerializer]
    ),
    create=extend_schema(
        summary="Ouvrir un dossier", operation_id="cases_create", description=FILES_HELP,
        request={"application/json": CaseCreateSerializer, "multipart/form-data": CaseCreateSerializer},
        responses={201: CaseSerializer},
    ),
    retrieve=extend_schema(summary="Lire un dossier", operation_id="cases_get", parameters=[REFERENCE]),
    partial_update=extend_schema(
        summary="Modifier les données d'un dossier", operation_id="cases_update", description=FILES_HELP,
        request={"application/json": CaseUpdateSerializer, "multipart/form-data": CaseUpdateSerializer},
        parameters=[REFERENCE],
    ),
)  # fmt: skip
@extend_schema(tags=["dossiers"])
class CaseViewSet(viewsets.GenericViewSet):
    serializer_class = CaseSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}"
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["created_at", "updated_at", "due_at", "reference", "state", "state_entered_at"]
    required_roles = {
        "read": ANY_ROLE,
        "create": ANY_ROLE,  # the workflow's opening roles are checked by the engine
        "partial_update": STAFF,
        "structure": STAFF,  # linking a case to a structure grants that structure's members access to it
        "transition_apply": ANY_ROLE,  # each transition's roles are checked by the engine
        "comments": ANY_ROLE,
        "attachments": ANY_ROLE,
        "attachment_download": ANY_ROLE,
        "file_download": ANY_ROLE,  # whoever sees the case (case_get) sees its forms' files
    }
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return case_list(user=self.request.user)

    def _case(self, reference: str) -> Case:
        case = case_get(user=self.request.user, reference=reference)
        if case is None:
            raise NotFound("Aucun dossier visible ne porte cette référence.")
        return case

    def list(self, request: Request) -> Response:
        params = CaseFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        queryset = case_list(user=request.user, **params.validated_data)
        queryset = self.filter_queryset(queryset)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CaseSerializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        payload, files = form_body(request)
        body = CaseCreateSerializer(data=payload)
        body.is_valid(raise_exception=True)
        case = case_open(
            workflow=body.validated_data["workflow"],
            data=body.validated_data["data"],
            files=files or None,
            structure=body.validated_data["structure"],
            actor=request.user,
            channel=Case.Channel.API,
        )
        response = Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)
        response["Location"] = f"{request.path}{case.reference}/"
        return response

    def retrieve(self, request: Request, reference: str) -> Response:
        return with_etag(Response(CaseSerializer(case := self._case(reference)).data), case)

    def partial_update(self, request: Request, reference: str) -> Response:
        payload, files = form_body(request)
        body = CaseUpdateSerializer(data=payload)
        body.is_valid(raise_exception=True)
        case = self._case(reference)
        expected = if_match_revision(request, case)
        case_data_update(
            case=case,
            data=body.validated_data["data"],
            files=files or None,
            actor=request.user,
            expected_revision=expected if expected is not None else body.validated_data["revision"],
        )
        return with_etag(Response(CaseSerializer(case).data), case)

    @extend_schema(
        summary="Rattacher un dossier à sa structure (confirmer, corriger ou changer de structure)",
        description="La structure reconnue ou créée depuis la demande publique est confirmée (avec, pour une "
        "structure créée depuis la demande, les corrections de sa fiche), ou le dossier est rattaché à une autre "
        "structure de l'annuaire. La personne qui a envoyé la demande est ensuite invitée comme membre de la "
        "structure (sauf `invite: false`). Réservé à l'équipe de la plateforme.",
        operation_id="cases_structure_confirm", parameters=[REFERENCE], request=CaseStructureConfirmSerializer,
        responses={200: CaseStructureOutcomeSerializer},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def structure(self, request: Request, reference: str) -> Response:
        body = CaseStructureConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = self._case(reference)
        outcome = case_structure_confirm(
            case=case,
            actor=request.user,
            structure=body.validated_data["structure"],
            corrections=body.validated_data["corrections"],
            invite=body.validated_data["invite"],
            request=request,
        )
        case.refresh_from_db()
        return Response(
            CaseStructureOutcomeSerializer(
                {"message": outcome.message, "structure": outcome.structure, "case": case}
            ).data
        )

    @extend_schema(
        summary="Lister les transitions possibles (et pourquoi les autres ne le sont pas)",
        operation_id="cases_transitions_list", parameters=[REFERENCE],
        responses=AvailableTransitionSerializer(many=True),
    )  # fmt: skip
    @action(detail=True, methods=["get"], url_path="transitions")
    def transitions(self, request: Request, reference: str) -> Response:
        answers = available_transitions(case=self._case(reference), user=request.user)
        return Response(AvailableTransitionSerializer(answers, many=True).data)

    @extend_schema(
        summary="Appliquer une transition", operation_id="cases_transition_apply",
        parameters=[REFERENCE, OpenApiParameter("transition", OpenApiTypes.STR, OpenApiParameter.PATH,
                                                description="Code de la transition.")],
        description=FILES_HELP, responses={200: CaseSerializer},
        request={"application/json": TransitionApplySerializer, "multipart/form-data": TransitionApplySerializer},
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<transition>[a-z0-9_-]{1,80})")
    def transition_apply(self, request: Request, reference: str, transition: str) -> Response:
        payload, files = form_body(request)
        body = TransitionApplySerializer(data=payload)
        body.is_valid(raise_exception=True)
        case = self._case(reference)
        transition_apply(
            case=case,
            transition=transition,
            actor=request.user,
            data=body.validated_data["data"],
            files=files or None,
            comment=body.validated_data["comment"],
            expected_revision=body.validated_data["revision"],
        )
        return Response(CaseSerializer(case).data)

    @extend_schema(
        summary="Lire l'historique d'un dossier", operation_id="cases_events_list", parameters=[REFERENCE],
        responses=CaseEventSerializer(many=True),
    )  # fmt: skip
    @action(detail=True, methods=["get"])
    def events(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        page = self.paginate_queryset(case_events_visible(case=case, user=request.user))
        return self.get_paginated_response(CaseEventSerializer(page, many=True).data)

    @extend_schema(
        methods=["GET"], summary="Lister les commentaires d'un dossier", operation_id="cases_comments_list",
        parameters=[REFERENCE], responses=CaseEventSerializer(many=True),
    )  # fmt: skip
    @extend_schema(
        methods=["POST"], summary="Ajouter un commentaire à un dossier", operation_id="cases_comments_create",
        parameters=[REFERENCE], request=CommentCreateSerializer, responses={201: CaseEventSerializer},
    )  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        if request.method == "GET":
            page = self.paginate_queryset(case_events_visible(case=case, user=request.user).filter(kind="comment"))
            return self.get_paginated_response(CaseEventSerializer(page, many=True).data)
        body = CommentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = case_comment_add(case=case, text=body.validated_data["text"], actor=request.user)
        return Response(CaseEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"], summary="Lister les pièces jointes d'un dossier", operation_id="cases_attachments_list",
        parameters=[REFERENCE], responses=AttachmentSerializer(many=True),
    )  # fmt: skip
    @extend_schema(
        methods=["POST"], summary="Déposer une pièce jointe", operation_id="cases_attachments_create",
        parameters=[REFERENCE], request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )  # fmt: skip
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def attachments(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        if request.method == "GET":
            page = self.paginate_queryset(case_attachments(case=case, user=request.user))
            return self.get_paginated_response(AttachmentSerializer(page, many=True).data)
        body = AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = case_attachment_add(case=case, file=body.validated_data["file"], actor=request.user)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Télécharger une pièce jointe", operation_id="cases_attachments_download",
        parameters=[REFERENCE, OpenApiParameter("attachment", OpenApiTypes.INT, OpenApiParameter.PATH,
                                                description="Identifiant de la pièce jointe.")],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )  # fmt: skip
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment>[0-9]{1,18})/download")
    def attachment_download(self, request: Request, reference: str, attachment: str) -> HttpResponse:
        found = case_attachments(case=self._case(reference), user=request.user).filter(pk=int(attachment)).first()
        if found is None:
            raise NotFound("Ce dossier n'a pas de pièce jointe portant cet identifiant.")
        return file_response(found.file, filename=found.name, content_type=found.content_type)

    @extend_schema(
        summary="Télécharger un fichier d'un formulaire du dossier", operation_id="cases_files_download",
        parameters=[REFERENCE, OpenApiParameter(
            "key", OpenApiTypes.STR, OpenApiParameter.PATH,
            description="Le code du champ fichier, ou « <groupe>.<ligne>.<champ> » dans un groupe répété "
                        "(lignes numérotées à partir de 0).")],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )  # fmt: skip
    @action(detail=True, methods=["get"], url_path=r"files/(?P<key>[a-z0-9_.-]{1,200})/download")
    def file_download(self, request: Request, reference: str, key: str) -> HttpResponse:
        found = case_file_get(case=self._case(reference), key=key)
        if found is None:
            raise NotFound("Ce dossier n'a pas de fichier à cet endroit.")
        return form_file_response(found.value)


def _workflow_data(definition) -> dict | None:
    version = definition.published_version
    if version is None:
        return None
    compiled = compiled_version(version.pk)
    return {
        "code": compiled.code,
        "name": compiled.name,
        "pole": definition.pole,
        "version": compiled.number,
        "open_form": compiled.open_form,
        "open_roles": sorted(compiled.open_roles),
        "initial": compiled.initial,
        "states": [
            {"code": s.code, "label": s.label, "kind": s.kind, "sla_days": s.sla_days} for s in compiled.states.values()
        ],
        "transitions": [
            {
                "code": t.code,
                "label": t.label,
                "sources": sorted(t.sources),
                "target": t.target,
                "roles": sorted(t.roles),
                "form": t.form,
                "comment": t.comment,
            }
            for t in compiled.transitions.values()
        ],
        "forms": [{"code": f.code, "name": f.name} for f in compiled.forms.values()],
    }


def _published_workflows():
    off = disabled_poles()
    return [d for d in workflow_list() if d.pole not in off]


WORKFLOW_CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="Code du workflow.")


@extend_schema_view(
    list=extend_schema(summary="Lister les workflows publiés", operation_id="workflows_list"),
    retrieve=extend_schema(summary="Lire un workflow publié", operation_id="workflows_get", parameters=[WORKFLOW_CODE]),
)
@extend_schema(tags=["workflows"])
class WorkflowViewSet(viewsets.GenericViewSet):
    serializer_class = WorkflowSerializer
    lookup_field = "code"
    lookup_value_regex = r"[a-z0-9][a-z0-9_-]{0,79}"
    pagination_class = None
    required_roles = {"read": ANY_ROLE}

    def _workflow(self, code: str) -> dict:
        for definition in _published_workflows():
            if definition.code == code:
                data = _workflow_data(definition)
                if data is not None:
                    return data
        raise NotFound("Aucun workflow publié ne porte ce code.")

    def list(self, request: Request) -> Response:
        data = [w for w in (_workflow_data(d) for d in _published_workflows()) if w is not None]
        return Response(WorkflowSerializer(data, many=True).data)

    def retrieve(self, request: Request, code: str) -> Response:
        return Response(WorkflowSerializer(self._workflow(code)).data)

    @extend_schema(
        summary="Schéma JSON d'un formulaire", operation_id="workflows_form_schema",
        parameters=[WORKFLOW_CODE, OpenApiParameter("form", OpenApiTypes.STR, OpenApiParameter.PATH,
                                                    description="Code du formulaire.")],
        responses={200: OpenApiTypes.OBJECT},
    )  # fmt: skip
    @action(detail=True, methods=["get"], url_path=r"forms/(?P<form>[a-z0-9_-]{1,80})/schema")
    def form_schema(self, request: Request, code: str, form: str) -> Response:
        self._workflow(code)
        version = next(d for d in _published_workflows() if d.code == code).published_version
        compiled = compiled_version(version.pk)
        if form not in compiled.forms:
            raise NotFound("Ce workflow n'a pas de formulaire portant ce code.")
        return Response(compiled.forms[form].json_schema)
