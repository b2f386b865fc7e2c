"""Models of the remplacement pole: the pool of substitutes, their availability and documents, the replacement
requests of the structures, the offers sent to substitutes, the shifts they fill and the hours they log.

One source of truth: a replacement request's life is its engine case (`core.Case` of the workflow
`remplacement-demande`), which holds its state and its form data. `ReplacementRequest` is the pole's side of
that case: the slots as rows (what matching and bookings need), a projection of the case's data kept in step
in the same transaction by `plugins.remplacement.cases` (never edited on its own), and what the workflow does
not hold (offers, bookings, timesheets). It has no state of its own: `request.state` is the case's.

Models are thin: every change goes through `plugins.remplacement.services`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.storage import private_storage

INSEE_CODE = RegexValidator(r"^(\d{5}|2[AB]\d{3})$", _("Code INSEE de commune invalide (5 caractères)."))


class AgeGroup(models.TextChoices):
    BABIES = "bebes", _("Bébés (moins de 18 mois)")
    MIDDLE = "moyens", _("Moyens (de 18 mois à 2 ans et demi)")
    OLDER = "grands", _("Grands (plus de 2 ans et demi)")
    MIXED = "mixte", _("Groupe mixte")


class RatioMode(models.TextChoices):
    """How a structure applies the staffing ratio (CSP R2324-46-4: the manager's choice)."""

    BY_WALKING = "marche", _("1 adulte pour 5 enfants qui ne marchent pas et 1 pour 8 qui marchent")
    UNIFORM = "uniforme", _("1 adulte pour 6 enfants")


class Qualification(models.Model):
    """A diploma of early-childhood work (a reference list seeded by the pole's migration, in the kit).

    `satisfies` lists the lower qualifications this one may replace: an EJE may replace an auxiliaire de
    puériculture, who may replace a CAP AEPE. `is_qualified_staff` marks the diplomas of 1° of CSP R2324-42
    (the « plus qualifiés » the staffing rules count).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("intitulé"), max_length=120)
    short_label = models.CharField(_("abréviation"), max_length=20, blank=True)
    is_qualified_staff = models.BooleanField(
        _("parmi les plus qualifiés"),
        default=True,
        help_text=_("Diplôme du 1° de l'article R2324-42 du code de la santé publique (au moins 40 % de l'équipe)."),
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
    deactivated_reason = models.CharField(_("motif de désactivation"), max_length=300, blank=True)
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
    application = models.OneToOneField(
        "core.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="remplacement_substitute",
        verbose_name=_("candidature"),
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
    """A diploma held by a substitute, and whether the platform checked it."""

    substitute = models.ForeignKey(Substitute, on_delete=models.CASCADE, related_name="diplomas")
    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="+")
    diploma_file = models.FileField(
        _("diplôme"), upload_to="remplacement/diplomes/", storage=private_storage, blank=True
    )
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


class SubstituteDocument(models.Model):
    """A document of a substitute's record: a diploma copy, the criminal-record extract, the vaccinations.
    Documents with an expiry are followed on the coordinators' pool screens."""

    class Kind(models.TextChoices):
        DIPLOMA = "diplome", _("Diplôme")
        CRIMINAL_RECORD = "casier", _("Extrait de casier judiciaire (bulletin n° 3)")
        VACCINATIONS = "vaccins", _("Vaccinations à jour")
        IDENTITY = "identite", _("Pièce d'identité")
        OTHER = "autre", _("Autre justificatif")

    substitute = models.ForeignKey(Substitute, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    qualification = models.ForeignKey(
        Qualification,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("diplôme concerné"),
    )
    file = models.FileField(_("fichier"), upload_to="remplacement/documents/", storage=private_storage)
    original_name = models.CharField(_("nom du fichier"), max_length=200)
    issued_on = models.DateField(_("délivré le"), null=True, blank=True)
    expires_on = models.DateField(_("valable jusqu'au"), null=True, blank=True, db_index=True)
    verified_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("document du ou de la remplaçant·e")
        verbose_name_plural = _("documents des remplaçant·es")
        ordering = ["substitute", "kind", "-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.substitute}"

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()


class AvailabilityRule(models.Model):
    """A recurring weekly availability: every <weekday> from start to end (several ranges a day allowed:
    split shifts)."""

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


class StructurePreference(models.Model):
    """A structure's favourite (offered first) or exclusion (never offered) among the substitutes it has met.
    The reason of an exclusion is read by coordinators only."""

    class Kind(models.TextChoices):
        FAVOURITE = "favori", _("Favori·te")
        EXCLUDED = "exclu", _("Exclu·e")

    structure = models.ForeignKey("core.Structure", on_delete=models.CASCADE, related_name="substitute_preferences")
    substitute = models.ForeignKey(Substitute, on_delete=models.CASCADE, related_name="structure_preferences")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("motif"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("préférence d'une structure")
        verbose_name_plural = _("préférences des structures")
        constraints = [
            models.UniqueConstraint(fields=["structure", "substitute"], name="remplacement_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.structure_id} {self.kind} {self.substitute_id}"


# The request's states are its case's (workflow `remplacement-demande`): the pole reads them by code.
class RequestState:
    OPEN = "ouverte"
    OFFERED = "proposee"
    FILLED = "pourvue"
    DONE = "realisee"
    TIMESHEET_VALIDATED = "heures_validees"
    BILLED = "facturee"
    CANCELLED = "annulee"
    UNFILLED = "non_pourvue"


ACTIVE_REQUEST_STATES = (RequestState.OPEN, RequestState.OFFERED)


class ReplacementRequest(models.Model):
    """A structure's need of substitutes, the pole's side of its case: slots, headcount, staffing context.

    Every field but the counters is a projection of the case's data (`cases.request_sync`); the state is
    the case's."""

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

    case = models.OneToOneField(
        "core.Case", on_delete=models.CASCADE, related_name="remplacement_request", verbose_name=_("dossier")
    )
    structure = models.ForeignKey("core.Structure", on_delete=models.PROTECT, related_name="replacement_requests")
    qualification = models.ForeignKey(Qualification, on_delete=models.PROTECT, related_name="requests")
    headcount = models.PositiveSmallIntegerField(
        _("personnes par créneau"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    allow_split = models.BooleanField(_("plusieurs personnes possibles sur les créneaux"), default=True)
    reason = models.CharField(_("motif"), max_length=20, choices=Reason.choices, default=Reason.SICKNESS)
    urgency = models.CharField(_("urgence"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    age_group = models.CharField(_("section"), max_length=10, choices=AgeGroup.choices, default=AgeGroup.MIXED)
    ratio_mode = models.CharField(
        _("taux d'encadrement appliqué"), max_length=10, choices=RatioMode.choices, default=RatioMode.BY_WALKING
    )
    children_not_walking = models.PositiveSmallIntegerField(_("enfants qui ne marchent pas"), default=0)
    children_walking = models.PositiveSmallIntegerField(_("enfants qui marchent"), default=0)
    staff_present = models.JSONField(
        _("professionnels présents sans remplaçant"),
        default=list,
        blank=True,
        help_text=_("[{« qualification » : code, « count » : nombre}]"),
    )
    notes = models.TextField(_("précisions"), blank=True)
    first_slot_start = models.DateTimeField(_("début"), db_index=True)
    last_slot_end = models.DateTimeField(_("fin"))
    total_hours = models.DecimalField(_("heures"), max_digits=7, decimal_places=2, default=Decimal("0"))
    waves_sent = models.PositiveSmallIntegerField(_("vagues envoyées"), default=0)
    calendar_sequence = models.PositiveIntegerField(_("version du calendrier"), default=0)
    exhausted_notified_at = models.DateTimeField(_("plus de candidat·es signalé le"), null=True, blank=True)
    unfilled_notified_at = models.DateTimeField(_("non pourvue signalée le"), null=True, blank=True)
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

    def __str__(self) -> str:
        return f"{self.structure.name} · {self.qualification.label} · {self.first_slot_start:%d/%m/%Y}"

    @property
    def state(self) -> str:
        """The request's state: its case's."""
        return self.case.state

    @property
    def children_present(self) -> int:
        return self.children_not_walking + self.children_walking


class RequestSlot(models.Model):
    """One shift of a request (local times, Europe/Paris), for `headcount` people."""

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
    """A mission proposed to one substitute, in a wave, and what they answered. `slots` are the shifts of the
    request this person could take when the offer was made (all of them unless the request may be split)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Envoyée")
        VOLUNTEERED = "volunteered", _("Volontaire")
        ACCEPTED = "accepted", _("Retenue")
        DECLINED = "declined", _("Déclinée")
        FILLED_BY_OTHER = "filled_by_other", _("Pourvue par une autre personne")
        WITHDRAWN = "withdrawn", _("Retirée")

    request = models.ForeignKey(ReplacementRequest, on_delete=models.CASCADE, related_name="offers")
    substitute = models.ForeignKey(Substitute, on_delete=models.CASCADE, related_name="offers")
    slots = models.ManyToManyField(RequestSlot, related_name="offers", verbose_name=_("créneaux proposés"))
    wave = models.PositiveSmallIntegerField(_("vague"))
    rank = models.PositiveIntegerField(_("rang"))
    score = models.FloatField(_("score"))
    distance_km = models.FloatField(_("distance (km)"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.SENT, db_index=True)
    direct = models.BooleanField(_("affectation directe"), default=False)
    sent_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)
    notified_at = models.DateTimeField(_("courriel envoyé le"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("relancée le"), null=True, blank=True)
    answered_at = models.DateTimeField(_("répondue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposition de mission")
        verbose_name_plural = _("propositions de mission")
        ordering = ["request", "rank"]
        constraints = [models.UniqueConstraint(fields=["request", "substitute"], name="remplacement_offer_unique")]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.substitute_id} ({self.status})"


PENDING_OFFER_STATUSES = (Offer.Status.SENT, Offer.Status.VOLUNTEERED)


class Assignment(models.Model):
    """One person booked on one shift: what matching checks for overlaps, rest and hour limits."""

    substitute = models.ForeignKey(Substitute, on_delete=models.CASCADE, related_name="assignments")
    request = models.ForeignKey(ReplacementRequest, on_delete=models.CASCADE, related_name="assignments")
    slot = models.ForeignKey(RequestSlot, on_delete=models.CASCADE, related_name="assignments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("affectation")
        verbose_name_plural = _("affectations")
        indexes = [models.Index(fields=["substitute", "starts_at"], name="remplacement_asg_sub_start")]
        constraints = [models.UniqueConstraint(fields=["slot", "substitute"], name="remplacement_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.substitute_id} @ {self.starts_at:%d/%m/%Y %H:%M}"


class Timesheet(models.Model):
    """The hours one substitute really worked on a mission (their shifts of it), validated by the structure."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("À valider")
        VALIDATED = "validated", _("Validée")
        REJECTED = "rejected", _("À corriger")

    request = models.ForeignKey(ReplacementRequest, on_delete=models.CASCADE, related_name="timesheets")
    substitute = models.ForeignKey(Substitute, on_delete=models.PROTECT, related_name="timesheets")
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    minutes = models.PositiveIntegerField(_("minutes réalisées"), default=0)
    hours = models.DecimalField(_("heures réalisées"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("commentaire du ou de la remplaçant·e"), blank=True)
    review_comment = models.TextField(_("commentaire de la structure"), blank=True)
    submitted_at = models.DateTimeField(_("déclarée le"))
    reviewed_at = models.DateTimeField(_("examinée le"), null=True, blank=True)
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("relevé d'heures")
        verbose_name_plural = _("relevés d'heures")
        constraints = [models.UniqueConstraint(fields=["request", "substitute"], name="remplacement_timesheet_unique")]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.substitute_id}: {self.hours} h ({self.status})"


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

    @property
    def minutes(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds()) // 60 - self.break_minutes


class RequestEvent(models.Model):
    """Append-only journal of what the pole did for a request beyond its case's transitions (waves sent,
    offers answered, shifts booked), written by the services in the same transaction."""

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
