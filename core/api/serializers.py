"""Serializers of the API: they parse and render; writes go through services."""

import functools

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
        fields = ["id", "name", "url", "events", "is_active", "failing_since", "disabled_at", "disabled_reason",
                  "created_at"]  # fmt: skip
        read_only_fields = ["id", "failing_since", "disabled_at", "disabled_reason", "created_at"]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="Secret de signature, affiché cette fois seulement.")

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "attempted_at", "status_code", "error", "response_body", "duration_ms"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)
    redelivery_of = serializers.SlugRelatedField(
        slug_field="uuid", read_only=True, help_text="La livraison dont celle-ci est un nouvel envoi."
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "uuid", "event", "status", "attempts", "last_status_code", "next_attempt_at", "created_at",
            "delivered_at", "payload", "attempt_log", "redelivery_of",
        ]  # fmt: skip


class WebhookEventSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


# --- Cases, transitions, comments ---------------------------------------------------------------------------------


class CaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    workflow = serializers.SerializerMethodField()
    workflow_version = serializers.SerializerMethodField()
    state = serializers.CharField()
    state_label = serializers.SerializerMethodField()
    data = serializers.JSONField()
    structure = serializers.IntegerField(source="structure_id", allow_null=True)
    structure_name = serializers.CharField(source="structure.name", allow_null=True, default=None)
    structure_to_confirm = serializers.BooleanField(
        help_text="La structure a été reconnue ou créée depuis la demande publique et attend la confirmation de "
        "l'équipe (`POST /api/v1/cases/<référence>/structure/`)."
    )
    channel = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    state_entered_at = serializers.DateTimeField()
    due_at = serializers.DateField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    revision = serializers.IntegerField(
        help_text="Compteur des modifications du dossier : renvoyez-le dans `revision` pour refuser une écriture "
        "si le dossier a changé depuis votre lecture (409)."
    )

    def to_representation(self, instance):
        # Through the fields of one serializer built once per process: DRF deep-copies every declared field
        # for each serializer it makes (about 0.5 ms of an API transition's ~5, measured), and none of these
        # fields depends on the request or the context.
        template = _case_serializer_template() if type(self) is CaseSerializer else self  # (a subclass: its own)
        return serializers.Serializer.to_representation(template, instance)

    # From the compiled (cached) workflow version: no query per case.
    def get_workflow(self, case) -> str:
        from workflows.engine import compiled_version

        return compiled_version(case.workflow_version_id).code

    def get_workflow_version(self, case) -> int:
        from workflows.engine import compiled_version

        return compiled_version(case.workflow_version_id).number

    def get_state_label(self, case) -> str:
        from workflows.engine import compiled_version

        return compiled_version(case.workflow_version_id).state_label(case.state)


@functools.cache
def _case_serializer_template() -> CaseSerializer:
    return CaseSerializer()


class StructureCorrectionSerializer(serializers.ModelSerializer):
    """The details of a structure created from a public request, as the team corrects them when confirming it
    (the directory's own rules apply: SIRET, postcode, name and commune unique)."""

    class Meta:
        model = Structure
        fields = ["name", "kind", "siret", "address", "postcode", "commune", "places", "network", "email", "phone"]
        extra_kwargs = {key: {"required": False} for key in fields}
        validators = []  # uniqueness is checked by the service (one error format)


class CaseStructureConfirmSerializer(serializers.Serializer):
    structure = serializers.PrimaryKeyRelatedField(
        queryset=Structure.objects.exclude(status=Structure.Status.DISCARDED),
        required=False,
        allow_null=True,
        default=None,
        help_text="Identifiant de la structure de l'annuaire à laquelle rattacher le dossier (la structure créée "
        "depuis la demande, si elle faisait doublon, est alors écartée). Absent : la structure actuelle du dossier "
        "est confirmée.",
    )
    corrections = StructureCorrectionSerializer(
        required=False,
        default=None,
        help_text="Corrections de la fiche d'une structure créée depuis la demande, appliquées en la confirmant "
        "(sans `structure`).",
    )
    invite = serializers.BooleanField(
        required=False,
        default=True,
        help_text="Inviter la personne qui a envoyé la demande publique comme membre de la structure.",
    )

    def validate(self, attrs):
        if attrs.get("structure") is not None and attrs.get("corrections"):
            raise serializers.ValidationError(
                {"corrections": "Corrigez la structure du dossier ou rattachez-en une autre, pas les deux à la fois."}
            )
        return attrs


class CaseStructureOutcomeSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="Ce qui a été fait, en français (l'invitation envoyée ou non).")
    structure = StructureSerializer()
    case = CaseSerializer()


class CaseFilterSerializer(serializers.Serializer):
    workflow = serializers.CharField(required=False, help_text="Code du type de dossier.")
    state = serializers.CharField(required=False, help_text="Code de l'état.")
    structure = serializers.IntegerField(required=False, help_text="Identifiant de la structure.")
    assignee = serializers.IntegerField(required=False, help_text="Identifiant d'un chargé du dossier.")
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="En retard.")
    search = serializers.CharField(required=False, help_text="Recherche (référence, structure, données).")


class CaseCreateSerializer(serializers.Serializer):
    workflow = serializers.SlugField(help_text="Code du type de dossier (workflow publié).")
    data = serializers.DictField(required=False, default=dict, help_text="Données du formulaire d'ouverture.")
    structure = serializers.PrimaryKeyRelatedField(
        queryset=Structure.objects.all(), required=False, allow_null=True, default=None
    )


REVISION_HELP = "Facultatif : la révision lue ; 409 si le dossier a changé depuis."


class CaseUpdateSerializer(serializers.Serializer):
    data = serializers.DictField(help_text="Champs du formulaire d'ouverture à modifier.")
    revision = serializers.IntegerField(required=False, allow_null=True, default=None, help_text=REVISION_HELP)


class TransitionApplySerializer(serializers.Serializer):
    data = serializers.DictField(required=False, default=dict, help_text="Données du formulaire de la transition.")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    revision = serializers.IntegerField(required=False, allow_null=True, default=None, help_text=REVISION_HELP)


class AvailableTransitionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField()
    target_label = serializers.CharField()
    available = serializers.BooleanField()
    reason = serializers.CharField(help_text="Pourquoi la transition n'est pas possible (vide sinon).")
    form = serializers.CharField(help_text="Code du formulaire à remplir (vide si aucun).")
    comment = serializers.ChoiceField(choices=["none", "optional", "required"])


class CaseEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    label = serializers.SerializerMethodField(help_text="Le type d'événement, en français.")
    title = serializers.SerializerMethodField(help_text="Ce que l'événement rapporte, en français (travail des pôles).")
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    transition = serializers.CharField()
    data_diff = serializers.JSONField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_label(self, event) -> str:
        if event.kind == "pole":
            from core.selectors.case_work import pole_event_describe

            return pole_event_describe(event)[0]
        return str(event.get_kind_display())

    def get_title(self, event) -> str:
        if event.kind == "pole":
            from core.selectors.case_work import pole_event_describe

            return pole_event_describe(event)[1]
        if event.kind == "notified":
            from core.services.notifications import notification_event_title

            return notification_event_title(event.detail or {})
        return ""


class CommentCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)


# --- Workflows ----------------------------------------------------------------------------------------------------


class WorkflowStateSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()
    sla_days = serializers.IntegerField(allow_null=True)


class WorkflowTransitionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    sources = serializers.ListField(child=serializers.CharField())
    target = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    form = serializers.CharField()
    comment = serializers.CharField()


class WorkflowFormSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class WorkflowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    pole = serializers.CharField()
    version = serializers.IntegerField()
    open_form = serializers.CharField()
    open_roles = serializers.ListField(child=serializers.CharField())
    initial = serializers.CharField()
    states = WorkflowStateSerializer(many=True)
    transitions = WorkflowTransitionSerializer(many=True)
    forms = WorkflowFormSerializer(many=True)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField(help_text="Type reconnu d'après le contenu du fichier.")
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_by = serializers.IntegerField(source="uploaded_by_id", allow_null=True)
    created_at = serializers.DateTimeField()


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, image, document bureautique ou texte ; 10 Mo au plus.")
