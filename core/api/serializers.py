"""Serializers of the API: they parse and render; writes go through services."""

from rest_framework import serializers

from core.api.events import event_choices
from core.api.models import ApiToken, WebhookAttempt, WebhookDelivery, WebhookSubscription
from core.models import CatalogueService, Network, Operator, Structure


class PoleSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    enabled = serializers.BooleanField()


class TerritorySerializer(serializers.Serializer):
    name = serializers.CharField()
    code = serializers.CharField(allow_null=True)
    slug = serializers.CharField()
    domain = serializers.CharField(allow_null=True)
    poles = PoleSerializer(many=True)


# --- Catalogue and directory --------------------------------------------------------------------------------------


class CatalogueServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = CatalogueService
        fields = ["id", "pole", "code", "title", "summary", "description", "audience", "is_active", "updated_at"]
        read_only_fields = ["id", "pole", "code", "updated_at"]


class NetworkSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Network
        fields = ["id", "name", "acronym", "kind"]


class StructureSerializer(serializers.ModelSerializer):
    network_detail = NetworkSummarySerializer(source="network", read_only=True)

    class Meta:
        model = Structure
        fields = [
            "id", "name", "kind", "network", "network_detail", "siret", "address", "postcode", "commune",
            "commune_insee", "places", "employees", "fte", "professionalisation", "email", "phone", "is_active",
            "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at"]
        validators = []  # uniqueness is checked by the service (one error format)


class OperatorSerializer(serializers.ModelSerializer):
    services = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=CatalogueService.objects.all(), required=False
    )

    class Meta:
        model = Operator
        fields = [
            "id", "name", "legal_form", "siret", "description", "services", "communes_covered", "capacity",
            "email", "phone", "website", "is_active",
        ]  # fmt: skip
        read_only_fields = ["id"]
        extra_kwargs = {"name": {"validators": []}}


# --- Tokens and webhooks ------------------------------------------------------------------------------------------


class CurrentTokenSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField()
    scope = serializers.ChoiceField(choices=ApiToken.Scope.choices)
    expires_at = serializers.DateTimeField()
    user = serializers.CharField(source="user.username")


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=event_choices()), min_length=1)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "is_active", "created_at"]
        read_only_fields = ["id", "created_at"]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="Secret de signature, affiché cette fois seulement.")

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "attempted_at", "status_code", "error", "duration_ms"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "uuid", "event", "status", "attempts", "last_status_code", "next_attempt_at", "created_at",
            "delivered_at", "payload", "attempt_log",
        ]  # fmt: skip


class WebhookEventSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
