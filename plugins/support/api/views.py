"""REST API of the support pole (mounted under /api/v1/support/ by the `api_routes` hook).

Every staff action of the back office has its endpoint here, and so do the structure's and the operator's:
decide the proposals (the structure), answer a referral (the operator), sign one's convention and upload the
signed copy. Views parse, call one service of `plugins.support.services`, and answer; the roles each action
requires are declared in `required_roles` (`core.api.permissions`), the finer rules (the structure's own
convention, the operator's own referral) are the services'. Errors are problem details (422 with field errors).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.permissions import STAFF
from core.downloads import file_response
from core.models import Operator
from core.roles import Role
from core.services.case_work import assignable_users, is_staff_actor
from plugins.support import services
from plugins.support.models import (
    Convention,
    CoordinationTask,
    DiagnosticProfile,
    FollowUpEntry,
    Proposal,
    ProposalRule,
)
from plugins.support.scoring import AXIS_LABELS, PROFESSIONALISATION_LABELS
from plugins.support.selectors import (
    conventions_visible,
    evaluation_summary,
    proposals_visible,
    support_cases_visible,
)
from workflows.engine import compiled_version

STRUCTURE_SIDE = STAFF | {Role.STRUCTURE_MEMBER}
OPERATOR_SIDE = STAFF | {Role.OPERATOR}
PARTIES = STAFF | {Role.STRUCTURE_MEMBER, Role.OPERATOR}


class ProposalRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProposalRule
        fields = ["code", "name", "condition", "service_code", "priority", "reason", "is_active"]


@extend_schema_view(
    list=extend_schema(summary="Lister les règles de proposition du pôle support", operation_id="support_rules_list"),
    retrieve=extend_schema(summary="Lire une règle de proposition", operation_id="support_rules_get"),
)
@extend_schema(tags=["support"])
class ProposalRuleViewSet(viewsets.ReadOnlyModelViewSet):
    """The territory's proposal rules (CEL conditions over a diagnosed profile), highest priority first."""

    serializer_class = ProposalRuleSerializer
    required_roles = {"read": STAFF}
    queryset = ProposalRule.objects.all()
    lookup_field = "code"


# --- Serializers ----------------------------------------------------------------------------------------------


class ProposalSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    service = serializers.CharField(source="service.code", read_only=True)
    service_title = serializers.CharField(source="service.title", read_only=True)
    operator_name = serializers.CharField(source="operator.name", read_only=True, default="")
    carried_out_by = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    referral_label = serializers.CharField(source="get_referral_status_display", read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id", "case", "service", "service_title", "operator", "operator_name", "carried_out_by", "reason",
            "priority", "source", "status", "status_label", "decided_at", "referral_status", "referral_label",
            "referral_answered_at", "referral_note",
        ]  # fmt: skip
        read_only_fields = fields


class ProposalAddSerializer(serializers.Serializer):
    service = serializers.SlugField(help_text="Code du service du catalogue.")
    operator = serializers.PrimaryKeyRelatedField(
        queryset=Operator.objects.filter(is_active=True), allow_null=True, required=False,
        help_text="Opérateur qui le réalise ; vide : la plateforme.",
    )  # fmt: skip
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class DecisionSerializer(serializers.Serializer):
    accepted = serializers.BooleanField(help_text="Vrai : accepter ; faux : décliner.")


class ReferralAnswerSerializer(serializers.Serializer):
    accepted = serializers.BooleanField(help_text="Vrai : l'opérateur accepte de réaliser le service.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                 help_text="Motif, obligatoire pour décliner.")  # fmt: skip


class AssignmentSerializer(serializers.Serializer):
    operator = serializers.PrimaryKeyRelatedField(
        queryset=Operator.objects.filter(is_active=True), allow_null=True,
        help_text="Nouvel opérateur (qui propose le service) ; null : la plateforme le réalise.",
    )  # fmt: skip


class ConventionSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    party_label = serializers.CharField(source="get_party_display", read_only=True)
    counterparty_name = serializers.CharField(read_only=True)
    is_signed = serializers.BooleanField(read_only=True)
    has_signed_copy = serializers.SerializerMethodField()

    class Meta:
        model = Convention
        fields = [
            "id", "case", "party", "party_label", "operator", "counterparty_name", "title", "generated_at",
            "platform_signed_on", "platform_signatory", "counterparty_signed_on", "counterparty_signatory",
            "is_signed", "has_signed_copy", "signed_pdf_uploaded_at", "superseded_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_has_signed_copy(self, convention) -> bool:
        return bool(convention.signed_pdf)


class SignatureSerializer(serializers.Serializer):
    party = serializers.ChoiceField(
        choices=[("platform", "La plateforme"), ("counterparty", "L'autre partie")], default="counterparty",
        help_text="« platform » ou « counterparty » (la structure ou l'opérateur : seule partie que ceux-ci signent).",
    )  # fmt: skip
    signed_on = serializers.DateField(required=False, help_text="Date de signature ; aujourd'hui si absente.")
    signatory = serializers.CharField(
        max_length=150, required=False, allow_blank=True,
        help_text="Nom du signataire ; celui de la personne connectée si absent.",
    )  # fmt: skip


class SignedCopySerializer(serializers.Serializer):
    file = serializers.FileField(help_text="L'exemplaire signé, en PDF.")


class FollowUpSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = FollowUpEntry
        fields = ["id", "kind", "kind_label", "happened_on", "text", "author_name", "created_at"]
        read_only_fields = ["id", "kind_label", "author_name", "created_at"]

    def get_author_name(self, entry) -> str:
        return (entry.author.get_full_name() or entry.author.get_username()) if entry.author_id else ""


class TaskSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.none(), allow_null=True, required=False,
        help_text="Membre de l'équipe chargé de la tâche (l'auteur par défaut).",
    )  # fmt: skip
    assignee_name = serializers.SerializerMethodField()
    operator = serializers.PrimaryKeyRelatedField(queryset=Operator.objects.all(), allow_null=True, required=False)

    class Meta:
        model = CoordinationTask
        fields = ["id", "case", "title", "due_date", "assignee", "assignee_name", "operator", "done_at", "created_at"]
        read_only_fields = ["id", "case", "assignee_name", "done_at", "created_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()

    def get_assignee_name(self, task) -> str:
        return (task.assignee.get_full_name() or task.assignee.get_username()) if task.assignee_id else ""


class ProfileSerializer(serializers.Serializer):
    axes = serializers.ListField(child=serializers.DictField(), help_text="Axe, libellé et score (0 à 100).")
    federation = serializers.CharField()
    professionalisation = serializers.IntegerField()
    professionalisation_label = serializers.CharField()
    global_score = serializers.IntegerField()
    computed_at = serializers.DateTimeField()


class SupportCaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    profile = ProfileSerializer(allow_null=True)
    proposals = ProposalSerializer(many=True)
    conventions = ConventionSerializer(many=True)
    followups = FollowUpSerializer(many=True, help_text="Vide pour la structure et l'opérateur.")
    tasks = TaskSerializer(many=True, help_text="Vide pour la structure et l'opérateur.")


def _profile_data(case) -> dict | None:
    profile = DiagnosticProfile.objects.filter(case=case).first()
    if profile is None:
        return None
    return {
        "axes": [
            {"axis": code, "label": AXIS_LABELS.get(code, code), "score": score} for code, score in profile.axes.items()
        ],
        "federation": profile.federation,
        "professionalisation": profile.professionalisation,
        "professionalisation_label": PROFESSIONALISATION_LABELS.get(profile.professionalisation, ""),
        "global_score": profile.global_score,
        "computed_at": profile.computed_at,
    }


REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="Référence du dossier.")
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Identifiant.")


# --- A support case's work ------------------------------------------------------------------------------------


@extend_schema(tags=["support"])
class SupportCaseViewSet(viewsets.GenericViewSet):
    """A support case's work: its profile, proposals, conventions, follow-up and tasks."""

    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}"
    serializer_class = SupportCaseSerializer
    pagination_class = None
    required_roles = {
        "retrieve": PARTIES,
        "proposals": PARTIES,  # POST (a service added by hand) is the team's: checked by the service
        "proposals_recompute": STAFF,
        "conventions": PARTIES,
        "followups": STAFF,
        "tasks": STAFF,
    }

    def get_queryset(self):
        return support_cases_visible(user=self.request.user)

    def _case(self, reference: str):
        case = self.get_queryset().filter(reference=reference).first()
        if case is None:
            raise NotFound("Aucun dossier d'accompagnement visible ne porte cette référence.")
        return case

    @extend_schema(summary="Lire le travail d'un dossier d'accompagnement", operation_id="support_cases_get",
                   parameters=[REFERENCE])  # fmt: skip
    def retrieve(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        staff = is_staff_actor(request.user)
        data = {
            "reference": case.reference,
            "state": case.state,
            "state_label": compiled_version(case.workflow_version_id).state_label(case.state),
            "profile": _profile_data(case),
            "proposals": ProposalSerializer(proposals_visible(user=request.user).filter(case=case), many=True).data,
            "conventions": ConventionSerializer(
                conventions_visible(user=request.user).filter(case=case), many=True
            ).data,
            "followups": FollowUpSerializer(case.support_followups.select_related("author"), many=True).data
            if staff
            else [],
            "tasks": TaskSerializer(case.support_tasks.select_related("assignee", "case"), many=True).data
            if staff
            else [],
        }
        return Response(data)

    @extend_schema(methods=["GET"], summary="Lister les propositions d'un dossier",
                   operation_id="support_proposals_list",
                   parameters=[REFERENCE], responses=ProposalSerializer(many=True))  # fmt: skip
    @extend_schema(methods=["POST"], summary="Ajouter à la main un service proposé",
                   operation_id="support_proposals_create", parameters=[REFERENCE], request=ProposalAddSerializer,
                   responses={201: ProposalSerializer})  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def proposals(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        if request.method == "GET":
            return Response(ProposalSerializer(proposals_visible(user=request.user).filter(case=case), many=True).data)
        body = ProposalAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.proposal_add(
            case=case, service_code=body.validated_data["service"], operator=body.validated_data.get("operator"),
            reason=body.validated_data.get("reason", ""), actor=request.user,
        )  # fmt: skip
        return Response(ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Recalculer les propositions (après un changement des règles)",
                   operation_id="support_proposals_recompute", parameters=[REFERENCE], request=None,
                   responses=ProposalSerializer(many=True))  # fmt: skip
    @action(detail=True, methods=["post"], url_path="proposals/recompute")
    def proposals_recompute(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        services.proposals_recompute(case=case, actor=request.user)
        return Response(
            ProposalSerializer(case.support_proposals.select_related("service", "operator"), many=True).data
        )

    @extend_schema(methods=["GET"], summary="Lister les conventions d'un dossier",
                   operation_id="support_conventions_list", parameters=[REFERENCE],
                   responses=ConventionSerializer(many=True))  # fmt: skip
    @extend_schema(methods=["POST"], summary="Établir les conventions (celles non signées sont refaites)",
                   operation_id="support_conventions_generate", parameters=[REFERENCE], request=None,
                   responses={201: ConventionSerializer(many=True)})  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def conventions(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        if request.method == "GET":
            rows = conventions_visible(user=request.user).filter(case=case)
            return Response(ConventionSerializer(rows, many=True).data)
        conventions = services.conventions_generate(case=case, actor=request.user)
        return Response(ConventionSerializer(conventions, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], summary="Lire le journal de suivi d'un dossier",
                   operation_id="support_followups_list",
                   parameters=[REFERENCE], responses=FollowUpSerializer(many=True))  # fmt: skip
    @extend_schema(methods=["POST"], summary="Ajouter une entrée au journal de suivi",
                   operation_id="support_followups_create", parameters=[REFERENCE], request=FollowUpSerializer,
                   responses={201: FollowUpSerializer})  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def followups(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        if request.method == "GET":
            return Response(FollowUpSerializer(case.support_followups.select_related("author"), many=True).data)
        body = FollowUpSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.followup_add(case=case, actor=request.user, **body.validated_data)
        return Response(FollowUpSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], summary="Lister les tâches de coordination d'un dossier",
                   operation_id="support_tasks_list", parameters=[REFERENCE],
                   responses=TaskSerializer(many=True))  # fmt: skip
    @extend_schema(methods=["POST"], summary="Créer une tâche de coordination (confiée à un membre de l'équipe)",
                   operation_id="support_tasks_create", parameters=[REFERENCE], request=TaskSerializer,
                   responses={201: TaskSerializer})  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def tasks(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        if request.method == "GET":
            return Response(TaskSerializer(case.support_tasks.select_related("assignee", "case"), many=True).data)
        body = TaskSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        task = services.task_create(case=case, actor=request.user, assignee=data.pop("assignee", None), **data)
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)


# --- Proposals, conventions, tasks ------------------------------------------------------------------------------


@extend_schema_view(
    retrieve=extend_schema(summary="Lire une proposition de service", operation_id="support_proposals_get"),
)
@extend_schema(tags=["support"])
class ProposalViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A proposal: the structure decides it, the operator answers its referral, the team reassigns it."""

    serializer_class = ProposalSerializer
    required_roles = {"read": PARTIES, "decision": STRUCTURE_SIDE, "referral": OPERATOR_SIDE, "assignment": STAFF}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation: no person
            return Proposal.objects.none()
        return proposals_visible(user=self.request.user)

    @extend_schema(summary="Accepter ou décliner une proposition (la structure ou l'équipe pour elle)",
                   operation_id="support_proposals_decide", request=DecisionSerializer,
                   responses=ProposalSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def decision(self, request: Request, pk=None) -> Response:
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.proposal_decide(proposal=self.get_object(), accepted=body.validated_data["accepted"],
                                            actor=request.user)  # fmt: skip
        return Response(ProposalSerializer(proposal).data)

    @extend_schema(summary="Accepter ou décliner le service confié (l'opérateur)",
                   operation_id="support_referrals_answer", request=ReferralAnswerSerializer,
                   responses=ProposalSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def referral(self, request: Request, pk=None) -> Response:
        body = ReferralAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.referral_answer(proposal=self.get_object(), actor=request.user, **body.validated_data)
        return Response(ProposalSerializer(proposal).data)

    @extend_schema(summary="Confier le service à un autre opérateur ou à la plateforme",
                   operation_id="support_proposals_reassign", request=AssignmentSerializer,
                   responses=ProposalSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def assignment(self, request: Request, pk=None) -> Response:
        body = AssignmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.proposal_reassign(proposal=self.get_object(), operator=body.validated_data["operator"],
                                              actor=request.user)  # fmt: skip
        return Response(ProposalSerializer(proposal).data)


PDF = {(200, "application/pdf"): OpenApiTypes.BINARY}


@extend_schema_view(retrieve=extend_schema(summary="Lire une convention", operation_id="support_conventions_get"))
@extend_schema(tags=["support"])
class ConventionViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A convention: its PDF (with the signatures), each party's signature, the copy signed by hand."""

    serializer_class = ConventionSerializer
    required_roles = {"read": PARTIES, "signatures": PARTIES, "signed_copy": PARTIES}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation: no person
            return Convention.objects.none()
        return conventions_visible(user=self.request.user)

    @extend_schema(summary="Télécharger le PDF d'une convention", operation_id="support_conventions_pdf",
                   responses=PDF)  # fmt: skip
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk=None) -> HttpResponse:
        convention = self.get_object()
        return file_response(convention.pdf, content_type="application/pdf",
                             filename=services.convention_filename(convention))  # fmt: skip

    @extend_schema(summary="Enregistrer la signature d'une partie", operation_id="support_conventions_sign",
                   request=SignatureSerializer, responses=ConventionSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def signatures(self, request: Request, pk=None) -> Response:
        body = SignatureSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        convention = services.convention_sign(convention=self.get_object(), actor=request.user,
                                              **body.validated_data)  # fmt: skip
        return Response(ConventionSerializer(convention).data)

    @extend_schema(methods=["GET"], summary="Télécharger l'exemplaire signé d'une convention",
                   operation_id="support_conventions_signed_copy_get", responses=PDF)  # fmt: skip
    @extend_schema(methods=["POST"], summary="Déposer l'exemplaire signé d'une convention (PDF)",
                   operation_id="support_conventions_signed_copy_upload",
                   request={"multipart/form-data": SignedCopySerializer}, responses=ConventionSerializer)  # fmt: skip
    @action(detail=True, methods=["get", "post"], url_path="signed-copy",
            parser_classes=[MultiPartParser, FormParser, JSONParser])  # fmt: skip
    def signed_copy(self, request: Request, pk=None):
        convention = self.get_object()
        if request.method == "GET":
            if not convention.signed_pdf:
                raise NotFound("Aucun exemplaire signé n'a été déposé pour cette convention.")
            return file_response(convention.signed_pdf, content_type="application/pdf",
                                 filename=services.convention_filename(convention, signed=True))  # fmt: skip
        body = SignedCopySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        convention = services.convention_signed_copy_attach(convention=convention, file=body.validated_data["file"],
                                                            actor=request.user)  # fmt: skip
        return Response(ConventionSerializer(convention).data)


class TaskUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    due_date = serializers.DateField(required=False)
    assignee = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.none(), required=False,
                                                  allow_null=True)  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()


@extend_schema_view(
    retrieve=extend_schema(summary="Lire une tâche de coordination", operation_id="support_tasks_get"),
    partial_update=extend_schema(summary="Modifier une tâche (la confier à un autre, la reporter, la renommer)",
                                 operation_id="support_tasks_update", request=TaskUpdateSerializer),
)  # fmt: skip
@extend_schema(tags=["support"])
class TaskViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = TaskSerializer
    required_roles = {"read": STAFF, "partial_update": STAFF, "complete": STAFF}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation: no person
            return CoordinationTask.objects.none()
        return CoordinationTask.objects.filter(case__in=support_cases_visible(user=self.request.user)).select_related(
            "case", "assignee"
        )

    def partial_update(self, request: Request, pk=None) -> Response:
        body = TaskUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = services.task_update(task=self.get_object(), actor=request.user, **body.validated_data)
        return Response(TaskSerializer(task).data)

    @extend_schema(summary="Marquer une tâche comme faite", operation_id="support_tasks_complete", request=None,
                   responses=TaskSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk=None) -> Response:
        task = services.task_complete(task=self.get_object(), actor=request.user)
        return Response(TaskSerializer(task).data)


@extend_schema(tags=["support"])
class EvaluationViewSet(viewsets.ViewSet):
    """The territory's evaluation of the support (the dashboard's figures)."""

    required_roles = {"read": STAFF}

    @extend_schema(summary="Lire le bilan de l'évaluation de l'accompagnement", operation_id="support_evaluation_get",
                   responses={200: OpenApiTypes.OBJECT})  # fmt: skip
    def list(self, request: Request) -> Response:
        return Response(evaluation_summary())
