"""Serializers of the pole's API: they parse and present; every write goes through a service."""

from __future__ import annotations

from rest_framework import serializers

from plugins.remplacement.models import (
    AgeGroup,
    AvailabilityException,
    AvailabilityRule,
    Offer,
    ReplacementRequest,
    RequestSlot,
)


class SlotSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestSlot
        fields = ["id", "starts_at", "ends_at"]


class SlotInputSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="Jour (AAAA-MM-JJ)")
    start = serializers.TimeField(help_text="Début (HH:MM, au quart d'heure)")
    end = serializers.TimeField(help_text="Fin (HH:MM, au quart d'heure)")


class RequestSerializer(serializers.ModelSerializer):
    structure_name = serializers.CharField(source="structure.name", read_only=True)
    qualification = serializers.SlugRelatedField(slug_field="code", read_only=True)
    slots = SlotSerializer(many=True, read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    substitute_name = serializers.SerializerMethodField()
    staff_needed = serializers.IntegerField(read_only=True)
    ratio_gap = serializers.IntegerField(read_only=True)

    class Meta:
        model = ReplacementRequest
        fields = [
            "id",
            "structure",
            "structure_name",
            "qualification",
            "reason",
            "urgency",
            "age_group",
            "children_present",
            "staff_present",
            "children_per_staff",
            "staff_needed",
            "ratio_gap",
            "notes",
            "state",
            "state_label",
            "substitute",
            "substitute_name",
            "first_slot_start",
            "last_slot_end",
            "total_hours",
            "waves_sent",
            "slots",
            "created_at",
        ]
        read_only_fields = fields

    def get_substitute_name(self, obj: ReplacementRequest) -> str | None:
        return str(obj.substitute) if obj.substitute_id else None


class RequestCreateSerializer(serializers.Serializer):
    structure = serializers.IntegerField(help_text="Identifiant de la structure")
    qualification = serializers.CharField(help_text="Code de la qualification (eje, auxiliaire_puericulture…)")
    slots = SlotInputSerializer(many=True)
    children_present = serializers.IntegerField()
    staff_present = serializers.IntegerField()
    children_per_staff = serializers.IntegerField(required=False, default=6)
    urgency = serializers.ChoiceField(choices=ReplacementRequest.Urgency.choices, required=False, default="normal")
    reason = serializers.ChoiceField(choices=ReplacementRequest.Reason.choices, required=False, default="maladie")
    age_group = serializers.ChoiceField(choices=AgeGroup.choices, required=False, default="mixte")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CandidateSerializer(serializers.Serializer):
    substitute = serializers.IntegerField(source="substitute_id")
    name = serializers.CharField()
    score = serializers.FloatField()
    distance_km = serializers.FloatField()
    hours_this_month = serializers.FloatField()
    preferred = serializers.BooleanField()


class ExclusionSerializer(serializers.Serializer):
    substitute = serializers.IntegerField()
    name = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class RankingSerializer(serializers.Serializer):
    candidates = CandidateSerializer(many=True)
    excluded = ExclusionSerializer(many=True)


class OfferSerializer(serializers.ModelSerializer):
    request = RequestSerializer(read_only=True)
    substitute_name = serializers.CharField(source="substitute.__str__", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Offer
        fields = [
            "id",
            "request",
            "substitute",
            "substitute_name",
            "wave",
            "rank",
            "score",
            "distance_km",
            "status",
            "status_label",
            "sent_at",
            "answered_at",
        ]
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
