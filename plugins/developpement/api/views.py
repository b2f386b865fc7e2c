"""REST API of the développement pole (mounted under /api/v1/developpement/ by the `api_routes` hook)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from core.roles import STAFF_ROLES
from plugins.developpement.models import DraftSection


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
    required_roles = {"read": STAFF_ROLES}
    queryset = DraftSection.objects.select_related("case").order_by("due_date", "pk")
