"""REST API of the support pole (mounted under /api/v1/support/ by the `api_routes` hook)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from plugins.support.models import ProposalRule


class ProposalRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProposalRule
        fields = ["code", "name", "condition", "service_code", "priority", "reason", "is_active"]


class ProposalRuleViewSet(viewsets.ReadOnlyModelViewSet):
    """The territory's proposal rules (CEL conditions over a diagnosed profile), highest priority first."""

    serializer_class = ProposalRuleSerializer
    queryset = ProposalRule.objects.all()
    lookup_field = "code"
