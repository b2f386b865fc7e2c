"""Models of the remplacement pole: the pool of substitutes, their availability, the replacement requests of
the structures, the offers sent to substitutes, the missions they fill and the hours they log.

Models are thin: every change goes through `plugins.remplacement.services`. A request's lifecycle is a
django-fsm field (`ReplacementRequest.state`) changed only by the services, so that matching reads it
without touching the case engine.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

INSEE_CODE = RegexValidator(r"^(\d{5}|2[AB]\d{3})$", _("Code INSEE de commune invalide (5 caractères)."))


class AgeGroup(models.TextChoices):
    BABIES = "bebes", _("Bébés (moins de 18 mois)")
    MIDDLE = "moyens", _("Moyens (de 18 mois à 2 ans et demi)")
    OLDER = "grands", _("Grands (plus de 2 ans et demi)")
    MIXED = "mixte", _("Groupe mixte")


class Qualification(models.Model):
    """A diploma of early-childhood work (a reference list seeded by the pole's migration).

    `satisfies` lists the lower qualifications this one may replace: an EJE may replace an auxiliaire de
    puériculture, who may replace a CAP AEPE.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("intitulé"), max_length=120)
    short_label = models.CharField(_("abréviation"), max_length=20, blank=True)
    is_qualified_staff = models.BooleanField(
        _("personnel qualifié"),
        default=True,
        help_text=_("Compte parmi les professionnels les plus qualifiés pour le taux d'encadrement."),
    )
    satisfies = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="satisfied_by", verbose_name=_("peut remplacer")
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return self.label


class Substitute(models.Model):
    """A person of the pool of substitutes, linked to an account of the territory."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="substitute")
    is_active = models.BooleanField(_("actif"), default=True, db_index=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    home_commune_insee = models.CharField(_("commune de résidence (code INSEE)"), max_length=5, validators=[INSEE_CODE])
    home_commune_name = models.CharField(_("commune de résidence"), max_length=100)
    home_latitude = models.FloatField(_("latitude"))
    home_longitude = models.FloatField(_("longitude"))
    max_distance_km = models.PositiveSmallIntegerField(
        _("distance maximale (km)"), default=25, validators=[MinValueValidator(1), MaxValueValidator(300)]
    )
    max_hours_week = models.PositiveSmallIntegerField(
        _("heures maximum par semaine"), default=35, validators=[MinValueValidator(1), MaxValueValidator(48)]
    )
    max_hours_month = models.PositiveSmallIntegerField(
        _("heures maximum par mois"), default=151, validators=[MinValueValidator(1), MaxValueValidator(220)]
    )
    qualifications = models.ManyToManyField(
        Qualification, through="SubstituteQualification", related_name="substitutes", verbose_name=_("diplômes")
    )
    preferred_structures = models.ManyToManyField(
        "core.Structure", blank=True, related_name="preferred_by_substitutes", verbose_name=_("structures préférées")
    )
    preferred_age_groups = ArrayField(
        models.CharField(max_length=10, choices=AgeGroup.choices),
        default=list,
        blank=True,
        verbose_name=_("âges préférés"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("remplaçant·e")
        verbose_name_plural = _("remplaçant·es")
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.email


class SubstituteQualification(models.Model):
    """A diploma held by a substitute, with its file and whether the platform checked it."""

    substitute = models.ForeignKey(Substitute, on_delete=models.CASCADE, related_name="diplomas")
    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="+")
    diploma_file = models.FileField(_("diplôme"), upload_to="remplacement/diplomes/", blank=True)
    obtained_on = models.DateField(_("obtenu le"), null=True, blank=True)
    verified_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)

    class Meta:
        verbose_name = _("diplôme")
        verbose_name_plural = _("diplômes")
        constraints = [
            models.UniqueConstraint(fields=["substitute", "qualification"], name="remplacement_diploma_unique")
        ]

    def __str__(self) -> str:
        return f"{self.substitute} · {self.qualification}"


class AvailabilityRule(models.Model):
    """A recurring weekly availability: every <weekday> from start to end."""

    substitute = models.ForeignKey(Substitute, on_delete=models.CASCADE, related_name="availability_rules")
    weekday = models.PositiveSmallIntegerField(
        _("jour"), validators=[MaxValueValidator(6)], help_text=_("0 = lundi … 6 = dimanche")
    )
    start_time = models.TimeField(_("de"))
    end_time = models.TimeField(_("à"))

    class Meta:
        verbose_name = _("disponibilité hebdomadaire")
        verbose_name_plural = _("disponibilités hebdomadaires")
        ordering = ["substitute", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_time__gt=models.F("start_time")), name="rule_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display_fr()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def get_weekday_display_fr(self) -> str:
        return ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"][self.weekday]


class AvailabilityException(models.Model):
    """A dated exception to the weekly pattern: unavailable (all day or some hours) or available extra hours."""

    class Kind(models.TextChoices):
        UNAVAILABLE = "unavailable", _("Indisponible")
        AVAILABLE = "available", _("Disponible")

    substitute = models.ForeignKey(Substitute, on_delete=models.CASCADE, related_name="availability_exceptions")
    date = models.DateField(_("date"))
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    start_time = models.TimeField(_("de"), null=True, blank=True, help_text=_("Vide : toute la journée."))
    end_time = models.TimeField(_("à"), null=True, blank=True)

    class Meta:
        verbose_name = _("exception de disponibilité")
        verbose_name_plural = _("exceptions de disponibilité")
        ordering = ["substitute", "date", "start_time"]
        indexes = [models.Index(fields=["date"], name="remplacement_exc_date")]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.get_kind_display()}"


class RequestState(models.TextChoices):
    OPEN = "open", _("Ouverte")
    OFFERED = "offered", _("Proposée aux remplaçants")
    FILLED = "filled", _("Pourvue")
    DONE = "done", _("Réalisée")
    TIMESHEET_VALIDATED = "timesheet_validated", _("Heures validées")
    BILLED = "billed", _("Facturée")
    CANCELLED = "cancelled", _("Annulée")
    UNFILLED = "unfilled", _("Non pourvue")


ACTIVE_REQUEST_STATES = (RequestState.OPEN, RequestState.OFFERED)


class ReplacementRequest(ConcurrentTransitionMixin, models.Model):
    """A structure's need of a substitute: one or several slots, a qualification, its staffing context."""

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normale")
        URGENT = "urgent", _("Urgente (moins de 48 h)")
        CRITICAL = "critical", _("Critique (fermeture de places sinon)")

    class Reason(models.TextChoices):
        SICKNESS = "maladie", _("Arrêt maladie")
        LEAVE = "conge", _("Congé")
        TRAINING = "formation", _("Formation")
        VACANCY = "vacance_poste", _("Poste vacant")
        ACTIVITY = "surcroit", _("Surcroît d'activité")
        OTHER = "autre", _("Autre")

    structure = models.ForeignKey("core.Structure", on_delete=models.PROTECT, related_name="replacement_requests")
    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="requests")
    reason = models.CharField(_("motif"), max_length=20, choices=Reason.choices, default=Reason.SICKNESS)
    urgency = models.CharField(_("urgence"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    age_group = models.CharField(_("section"), max_length=10, choices=AgeGroup.choices, default=AgeGroup.MIXED)
    children_present = models.PositiveSmallIntegerField(_("enfants présents"))
    staff_present = models.PositiveSmallIntegerField(_("professionnels présents sans le remplaçant"))
    children_per_staff = models.PositiveSmallIntegerField(
        _("enfants par professionnel (taux)"), default=6, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    notes = models.TextField(_("précisions"), blank=True)
    state = FSMField(_("état"), default=RequestState.OPEN, choices=RequestState.choices, protected=True, db_index=True)
    case = models.OneToOneField(
        "core.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="remplacement_request",
        verbose_name=_("dossier"),
    )
    substitute = models.ForeignKey(
        Substitute,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="missions",
        verbose_name=_("remplaçant·e"),
    )
    first_slot_start = models.DateTimeField(_("début"), db_index=True)
    last_slot_end = models.DateTimeField(_("fin"))
    total_hours = models.DecimalField(_("heures"), max_digits=6, decimal_places=2, default=Decimal("0"))
    waves_sent = models.PositiveSmallIntegerField(_("vagues envoyées"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("créée par")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("demande de remplacement")
        verbose_name_plural = _("demandes de remplacement")
        ordering = ["first_slot_start"]
        indexes = [models.Index(fields=["state", "first_slot_start"], name="remplacement_req_state_start")]

    def __str__(self) -> str:
        return f"{self.structure.name} · {self.qualification.label} · {self.first_slot_start:%d/%m/%Y}"

    @property
    def staff_needed(self) -> int:
        """Professionals the ratio requires for the children present."""
        return -(-self.children_present // self.children_per_staff)

    @property
    def ratio_gap(self) -> int:
        """Professionals missing to hold the ratio without a substitute (0 when it holds)."""
        return max(0, self.staff_needed - self.staff_present)

    # Transitions: called only by the services.
    @transition(field=state, source=RequestState.OPEN, target=RequestState.OFFERED)
    def mark_offered(self) -> None:
        pass

    @transition(field=state, source=[RequestState.OPEN, RequestState.OFFERED], target=RequestState.FILLED)
    def mark_filled(self) -> None:
        pass

    @transition(field=state, source=RequestState.FILLED, target=RequestState.OFFERED)
    def mark_released(self) -> None:
        pass

    @transition(field=state, source=RequestState.FILLED, target=RequestState.DONE)
    def mark_done(self) -> None:
        pass

    @transition(field=state, source=RequestState.DONE, target=RequestState.TIMESHEET_VALIDATED)
    def mark_timesheet_validated(self) -> None:
        pass

    @transition(field=state, source=RequestState.TIMESHEET_VALIDATED, target=RequestState.BILLED)
    def mark_billed(self) -> None:
        pass

    @transition(
        field=state,
        source=[RequestState.OPEN, RequestState.OFFERED, RequestState.FILLED],
        target=RequestState.CANCELLED,
    )
    def mark_cancelled(self) -> None:
        pass

    @transition(field=state, source=[RequestState.OPEN, RequestState.OFFERED], target=RequestState.UNFILLED)
    def mark_unfilled(self) -> None:
        pass


class RequestSlot(models.Model):
    """One period of work of a request (local times, Europe/Paris)."""

    request = models.ForeignKey(ReplacementRequest, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))

    class Meta:
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="slot_end_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%d/%m/%Y %H:%M}-{self.ends_at:%H:%M}"

    @property
    def hours(self) -> Decimal:
        return Decimal(int((self.ends_at - self.starts_at).total_seconds()) // 60) / Decimal(60)


class Offer(models.Model):
    """A mission proposed to one substitute, in a wave, and what they answered."""

    class Status(models.TextChoices):
        SENT = "sent", _("Envoyée")
        VOLUNTEERED = "volunteered", _("Volontaire")
        ACCEPTED = "accepted", _("Retenue")
        DECLINED = "declined", _("Déclinée")
        FILLED_BY_OTHER = "filled_by_other", _("Pourvue par une autre personne")
        WITHDRAWN = "withdrawn", _("Retirée")

    request = models.ForeignKey(ReplacementRequest, on_delete=models.CASCADE, related_name="offers")
    substitute = models.ForeignKey(Substitute, on_delete=models.CASCADE, related_name="offers")
    wave = models.PositiveSmallIntegerField(_("vague"))
    rank = models.PositiveIntegerField(_("rang"))
    score = models.FloatField(_("score"))
    distance_km = models.FloatField(_("distance (km)"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.SENT, db_index=True)
    sent_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)
    answered_at = models.DateTimeField(_("répondue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposition de mission")
        verbose_name_plural = _("propositions de mission")
        ordering = ["request", "rank"]
        constraints = [models.UniqueConstraint(fields=["request", "substitute"], name="remplacement_offer_unique")]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.substitute_id} ({self.status})"


class Assignment(models.Model):
    """A period a substitute is booked for (one row per slot of a filled request): what matching checks for
    overlaps, rest and hour limits."""

    substitute = models.ForeignKey(Substitute, on_delete=models.CASCADE, related_name="assignments")
    request = models.ForeignKey(ReplacementRequest, on_delete=models.CASCADE, related_name="assignments")
    slot = models.OneToOneField(RequestSlot, on_delete=models.CASCADE, related_name="assignment")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        verbose_name = _("affectation")
        verbose_name_plural = _("affectations")
        indexes = [models.Index(fields=["substitute", "starts_at"], name="remplacement_asg_sub_start")]

    def __str__(self) -> str:
        return f"{self.substitute_id} @ {self.starts_at:%d/%m/%Y %H:%M}"


class Timesheet(models.Model):
    """The hours a substitute really worked on a mission, validated by the structure."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("À valider")
        VALIDATED = "validated", _("Validée")
        REJECTED = "rejected", _("À corriger")

    request = models.OneToOneField(ReplacementRequest, on_delete=models.CASCADE, related_name="timesheet")
    substitute = models.ForeignKey(Substitute, on_delete=models.PROTECT, related_name="timesheets")
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    hours = models.DecimalField(_("heures réalisées"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("commentaire"), blank=True)
    submitted_at = models.DateTimeField(_("déclarée le"))
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("relevé d'heures")
        verbose_name_plural = _("relevés d'heures")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.hours} h ({self.status})"


class TimesheetLine(models.Model):
    timesheet = models.ForeignKey(Timesheet, on_delete=models.CASCADE, related_name="lines")
    slot = models.ForeignKey(RequestSlot, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(_("arrivée"))
    ended_at = models.DateTimeField(_("départ"))
    break_minutes = models.PositiveSmallIntegerField(_("pause (minutes)"), default=0)

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gt=models.F("started_at")), name="tsline_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%d/%m/%Y %H:%M}-{self.ended_at:%H:%M}"


class RequestEvent(models.Model):
    """Append-only audit of what happened to a request (written by the services in the same transaction)."""

    request = models.ForeignKey(ReplacementRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("événement d'une demande")
        verbose_name_plural = _("événements des demandes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.at:%d/%m/%Y %H:%M}"
