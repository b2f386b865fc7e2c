"""Serializers of the pole's API: they parse and present; every write goes through a service."""

from __future__ import annotations

from rest_framework import serializers

from plugins.remplacement import selectors
from plugins.remplacement.models import (
    AgeGroup,
    AvailabilityException,
    AvailabilityRule,
    Offer,
    RatioMode,
    ReplacementRequest,
    RequestSlot,
    Substitute,
    SubstituteDocument,
    Timesheet,
    TimesheetLine,
)


class BookedSerializer(serializers.Serializer):
    substitute = serializers.IntegerField(source="substitute_id")
    name = serializers.CharField(source="substitute.__str__")
    phone = serializers.CharField(source="substitute.phone")


class SlotSerializer(serializers.ModelSerializer):
    booked = BookedSerializer(source="assignments", many=True, read_only=True)

    class Meta:
        model = RequestSlot
        fields = ["id", "starts_at", "ends_at", "booked"]


class SlotInputSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="Jour (AAAA-MM-JJ)")
    start = serializers.TimeField(help_text="Début (HH:MM, au quart d'heure)")
    end = serializers.TimeField(help_text="Fin (HH:MM, au quart d'heure)")


class StaffInputSerializer(serializers.Serializer):
    qualification = serializers.CharField(help_text="Code de la qualification")
    count = serializers.IntegerField(min_value=0, max_value=100)


class StaffingSerializer(serializers.Serializer):
    required = serializers.IntegerField(help_text="Adultes requis auprès des enfants")
    qualified_required = serializers.IntegerField(help_text="Dont parmi les plus qualifiés")
    present = serializers.IntegerField()
    qualified_present = serializers.IntegerField()
    missing = serializers.IntegerField()
    missing_qualified = serializers.IntegerField()
    people_needed = serializers.IntegerField()
    summary = serializers.SerializerMethodField()
    explanation = serializers.ListField(child=serializers.CharField())

    def get_summary(self, obj) -> str:
        return obj.summary()


class RequestSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="case.reference", read_only=True)
    structure_name = serializers.CharField(source="structure.name", read_only=True)
    qualification = serializers.SlugRelatedField(slug_field="code", read_only=True)
    slots = SlotSerializer(many=True, read_only=True)
    state = serializers.CharField(source="case.state", read_only=True)
    state_label = serializers.SerializerMethodField()
    staffing = serializers.SerializerMethodField()

    class Meta:
        model = ReplacementRequest
        fields = [
            "id", "reference", "structure", "structure_name", "qualification", "headcount", "allow_split", "reason",
            "urgency", "age_group", "ratio_mode", "children_not_walking", "children_walking", "staff_present",
            "staffing", "notes", "state", "state_label", "first_slot_start", "last_slot_end", "total_hours",
            "waves_sent", "slots", "created_at", "filled_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_state_label(self, obj: ReplacementRequest) -> str:
        from workflows.engine import compiled_version

        return compiled_version(obj.case.workflow_version_id).state_label(obj.case.state)

    def get_staffing(self, obj: ReplacementRequest) -> dict:
        return StaffingSerializer(selectors.request_staffing(obj)).data


class RequestCreateSerializer(serializers.Serializer):
    structure = serializers.IntegerField(help_text="Identifiant de la structure")
    qualification = serializers.CharField(help_text="Code de la qualification (eje, auxiliaire_puericulture…)")
    headcount = serializers.IntegerField(required=False, default=1, min_value=1, max_value=10)
    allow_split = serializers.BooleanField(required=False, default=True)
    slots = SlotInputSerializer(many=True)
    children_not_walking = serializers.IntegerField(required=False, default=0)
    children_walking = serializers.IntegerField(required=False, default=0)
    staff_present = StaffInputSerializer(many=True, required=False, default=list)
    ratio_mode = serializers.ChoiceField(choices=RatioMode.choices, required=False, default=RatioMode.BY_WALKING)
    urgency = serializers.ChoiceField(choices=ReplacementRequest.Urgency.choices, required=False, default="normal")
    reason = serializers.ChoiceField(choices=ReplacementRequest.Reason.choices, required=False, default="maladie")
    age_group = serializers.ChoiceField(choices=AgeGroup.choices, required=False, default="mixte")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Motif de l'annulation")


class AssignSerializer(serializers.Serializer):
    substitute = serializers.IntegerField(help_text="Identifiant du ou de la remplaçant·e")
    slots = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Créneaux (tous par défaut)"
    )


class ReleaseSerializer(serializers.Serializer):
    substitute = serializers.IntegerField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AnswerSerializer(serializers.Serializer):
    slots = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Créneaux acceptés (tous ceux proposés par défaut)"
    )


class CandidateSerializer(serializers.Serializer):
    substitute = serializers.IntegerField(source="substitute_id")
    name = serializers.CharField()
    score = serializers.FloatField()
    distance_km = serializers.FloatField()
    hours_this_month = serializers.FloatField()
    preferred = serializers.BooleanField()
    favourite = serializers.BooleanField()
    slots = serializers.ListField(child=serializers.IntegerField())


class ExclusionSerializer(serializers.Serializer):
    substitute = serializers.IntegerField()
    name = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class RankingSerializer(serializers.Serializer):
    candidates = CandidateSerializer(many=True)
    excluded = ExclusionSerializer(many=True)


class PlainSlotSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestSlot
        fields = ["id", "starts_at", "ends_at"]


class OfferRequestSerializer(RequestSerializer):
    """The request as an offer shows it: who else is booked stays private."""

    slots = PlainSlotSerializer(many=True, read_only=True)


class OfferSerializer(serializers.ModelSerializer):
    request = OfferRequestSerializer(read_only=True)
    substitute_name = serializers.CharField(source="substitute.__str__", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    slots = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Offer
        fields = [
            "id", "request", "substitute", "substitute_name", "slots", "wave", "rank", "score", "distance_km",
            "status", "status_label", "direct", "sent_at", "answered_at",
        ]  # fmt: skip
        read_only_fields = fields


class RuleSerializer(serializers.ModelSerializer):
    start = serializers.TimeField(source="start_time")
    end = serializers.TimeField(source="end_time")

    class Meta:
        model = AvailabilityRule
        fields = ["weekday", "start", "end"]


class ExceptionSerializer(serializers.ModelSerializer):
    start = serializers.TimeField(source="start_time", required=False, allow_null=True, default=None)
    end = serializers.TimeField(source="end_time", required=False, allow_null=True, default=None)

    class Meta:
        model = AvailabilityException
        fields = ["id", "date", "kind", "start", "end"]
        read_only_fields = ["id"]


class AvailabilitySerializer(serializers.Serializer):
    weekly = RuleSerializer(many=True)
    exceptions = ExceptionSerializer(many=True, read_only=True)


class WeeklySerializer(serializers.Serializer):
    weekly = RuleSerializer(many=True)


class TimesheetLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimesheetLine
        fields = ["slot", "started_at", "ended_at", "break_minutes", "minutes"]


class TimesheetSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="request.case.reference", read_only=True)
    structure_name = serializers.CharField(source="request.structure.name", read_only=True)
    substitute_name = serializers.CharField(source="substitute.__str__", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    lines = TimesheetLineSerializer(many=True, read_only=True)

    class Meta:
        model = Timesheet
        fields = [
            "id", "request", "reference", "structure_name", "substitute", "substitute_name", "status",
            "status_label", "minutes", "hours", "comment", "review_comment", "submitted_at", "reviewed_at",
            "validated_at", "lines",
        ]  # fmt: skip
        read_only_fields = fields


class TimesheetLineInputSerializer(serializers.Serializer):
    slot = serializers.IntegerField()
    start = serializers.TimeField(help_text="Arrivée (HH:MM, à la minute)")
    end = serializers.TimeField(help_text="Départ (HH:MM, à la minute)")
    break_minutes = serializers.IntegerField(required=False, default=0, min_value=0, max_value=600)


class TimesheetSubmitSerializer(serializers.Serializer):
    request = serializers.IntegerField(help_text="Identifiant de la mission")
    lines = TimesheetLineInputSerializer(many=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TimesheetReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DiplomaSerializer(serializers.Serializer):
    qualification = serializers.CharField(source="qualification.code")
    label = serializers.CharField(source="qualification.label")
    verified_at = serializers.DateTimeField(allow_null=True)


class DocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    qualification = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SubstituteDocument
        fields = [
            "id", "kind", "kind_label", "qualification", "original_name", "issued_on", "expires_on", "verified_at",
            "uploaded_at",
        ]  # fmt: skip
        read_only_fields = fields


class SubstituteSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    diplomas = DiplomaSerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)
    preferred_age_groups = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Substitute
        fields = [
            "id", "name", "email", "phone", "is_active", "deactivated_reason", "home_commune_insee",
            "home_commune_name", "max_distance_km", "max_hours_week", "max_hours_month", "preferred_age_groups",
            "diplomas", "documents", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class DeactivateSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Motif (document expiré, départ…)")


class HoursRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    missions = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=8, decimal_places=2)


class HoursLineSerializer(serializers.Serializer):
    reference = serializers.CharField()
    structure = serializers.CharField()
    structure_key = serializers.CharField()
    substitute = serializers.CharField()
    substitute_email = serializers.CharField()
    qualification = serializers.CharField()
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()
    break_minutes = serializers.IntegerField()
    minutes = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=6, decimal_places=2)


class MonthHoursSerializer(serializers.Serializer):
    month = serializers.CharField()
    lines = HoursLineSerializer(many=True)
    by_substitute = HoursRowSerializer(many=True)
    by_structure = HoursRowSerializer(many=True)
