"""REST API of the support pole (mounted under /api/v1/support/ by the `api_routes` hook)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from plugins.support.models import ProposalRule


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
    queryset = ProposalRule.objects.all()
    lookup_field = "code"
