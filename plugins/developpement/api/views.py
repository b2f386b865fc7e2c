"""REST API of the développement pole (mounted under /api/v1/developpement/ by the `api_routes` hook)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import Case
from core.roles import STAFF_ROLES
from plugins.developpement import services
from plugins.developpement.models import DeliberationDraft, DraftSection, Meeting


class DraftSectionSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)

    class Meta:
        model = DraftSection
        fields = ["id", "case", "title", "partner", "due_date", "delivered_at"]


@extend_schema_view(
    list=extend_schema(summary="Lister les sections des réponses communes", operation_id="developpement_sections_list"),
    retrieve=extend_schema(summary="Lire une section de réponse commune", operation_id="developpement_sections_get"),
)
@extend_schema(tags=["developpement"])
class DraftSectionViewSet(viewsets.ReadOnlyModelViewSet):
    """The sections of the joint responses being drafted, with their partner and deadline (soonest first)."""

    serializer_class = DraftSectionSerializer
    required_roles = {"read": STAFF_ROLES, "deliver": STAFF_ROLES}
    queryset = DraftSection.objects.select_related("case").order_by("due_date", "pk")

    @extend_schema(summary="Marquer une section comme remise", operation_id="developpement_sections_deliver",
                   request=None, responses={200: DraftSectionSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, pk=None) -> Response:
        section = self.get_object()
        try:
            section = services.section_deliver(section=section, actor=request.user)
        except ValidationError as exc:
            raise _refusal(exc) from None
        return Response(DraftSectionSerializer(section).data)


# --- A développement case's work: sections, meetings, deliberations, candidates and their ranking --------------

WORKFLOWS = ("dev-reponse-commune", "dev-sieg")
REFERENCE = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="Référence du dossier.")


class MeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = ["id", "held_on", "place", "participants", "minutes", "created_at"]
        read_only_fields = ["id", "created_at"]


class DeliberationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = DeliberationDraft
        fields = ["id", "kind", "kind_label", "title", "created_at"]
        read_only_fields = fields


class CandidateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="Nom du candidat.")
    scores = serializers.DictField(child=serializers.CharField(), help_text="Note sur 20 par intitulé de critère.")
    remarks = serializers.CharField(required=False, allow_blank=True)


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    name = serializers.CharField()
    total = serializers.FloatField(help_text="Note pondérée sur 100.")
    marks = serializers.ListField(child=serializers.DictField(), help_text="Critère, pondération (%), note sur 20.")


def _ranking(case) -> list[dict]:
    return [
        {"rank": row["rank"], "name": row["name"], "total": row["total"],
         "marks": [{"criterion": c, "weight": w, "mark": m} for c, w, m in row["marks"]]}
        for row in services.sieg_ranking(case)
    ]  # fmt: skip


def _refusal(exc: ValidationError) -> ApiValidationError:
    return ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


@extend_schema(tags=["developpement"])
class DevelopmentCaseViewSet(viewsets.GenericViewSet):
    """A développement case's work: the joint response's sections, the SIEG's meetings, deliberation drafts,
    candidates scored per weighted criterion and their ranking, the analysis report."""

    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}"
    pagination_class = None
    serializer_class = MeetingSerializer
    required_roles = dict.fromkeys(("retrieve", "meetings", "deliberations", "candidates", "report"), STAFF_ROLES)

    def get_queryset(self):
        return Case.objects.filter(workflow__code__in=WORKFLOWS)

    def _case(self, reference: str):
        case = self.get_queryset().filter(reference=reference).first()
        if case is None:
            raise NotFound("Aucun dossier du pôle développement ne porte cette référence.")
        return case

    @extend_schema(summary="Lire le travail d'un dossier du pôle développement", operation_id="developpement_cases_get",
                   parameters=[REFERENCE], responses={200: OpenApiTypes.OBJECT})  # fmt: skip
    def retrieve(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        return Response({
            "reference": case.reference,
            "sections": DraftSectionSerializer(case.developpement_sections.all(), many=True).data,
            "meetings": MeetingSerializer(case.developpement_meetings.all(), many=True).data,
            "deliberations": DeliberationSerializer(case.developpement_deliberations.all(), many=True).data,
            "criteria": [{"criterion": c, "weight": w} for c, w in services.sieg_criteria(case)],
            "ranking": _ranking(case),
        })  # fmt: skip

    @extend_schema(methods=["POST"], summary="Enregistrer une réunion de concertation",
                   operation_id="developpement_meetings_create", parameters=[REFERENCE], request=MeetingSerializer,
                   responses={201: MeetingSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def meetings(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        body = MeetingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = {k: body.validated_data.get(k, "") for k in ("held_on", "place", "participants", "minutes")}
        try:
            meeting = services.meeting_record(case=case, actor=request.user, **data)
        except ValidationError as exc:
            raise _refusal(exc) from None
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["POST"], summary="Rédiger les projets de délibération à partir des modèles",
                   operation_id="developpement_deliberations_draft", parameters=[REFERENCE], request=None,
                   responses={201: DeliberationSerializer(many=True)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def deliberations(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        try:
            drafts = services.deliberations_draft(case=case, actor=request.user)
        except ValidationError as exc:
            raise _refusal(exc) from None
        return Response(DeliberationSerializer(drafts, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["POST"], summary="Noter une candidature sur chaque critère pondéré",
                   operation_id="developpement_candidates_score", parameters=[REFERENCE], request=CandidateSerializer,
                   responses={201: RankingRowSerializer(many=True)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def candidates(self, request: Request, reference: str) -> Response:
        case = self._case(reference)
        body = CandidateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.candidate_score(case=case, actor=request.user, **body.validated_data)
        except ValidationError as exc:
            raise _refusal(exc) from None
        return Response(_ranking(case), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Télécharger le rapport d'analyse des candidatures (PDF)",
                   operation_id="developpement_report_pdf", parameters=[REFERENCE],
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY})  # fmt: skip
    @action(detail=True, methods=["get"])
    def report(self, request: Request, reference: str) -> HttpResponse:
        case = self._case(reference)
        response = HttpResponse(services.sieg_report_pdf(case=case), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="Rapport d\'analyse {case.reference}.pdf"'
        return response
