"""Models of the support pole: proposal rules and convention templates (editable by the territory's admins)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.fields import RichTextField


class ProposalRule(models.Model):
    """A rule that proposes a catalogue service when a diagnosed profile meets its CEL condition."""

    code = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("intitulé"), max_length=200)
    condition = models.TextField(
        _("condition (CEL)"),
        help_text=_(
            'Expression CEL sur le profil : profile.axes.comptabilite < 50 && profile.federation != "ADMR". '
            "Axes : comptabilite, paie, rh, gouvernance, benevolat, renouvellement, reglementation, "
            "financements, pratiques (0 à 100, 100 = maîtrisé) ; profile.professionalisation (1 à 3) ; "
            "profile.global."
        ),
    )
    service_code = models.SlugField(_("service proposé (code)"), max_length=80)
    priority = models.PositiveSmallIntegerField(_("priorité"), default=50, help_text=_("La plus haute d'abord."))
    reason = models.CharField(_("motif présenté à la structure"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)
    shipped_checksum = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("règle de proposition")
        verbose_name_plural = _("règles de proposition")
        ordering = ["-priority", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from core.models import CatalogueService
        from plugins.support.rules import condition_check

        errors = {}
        try:
            condition_check(self.condition)
        except ValidationError as exc:
            errors["condition"] = exc.messages
        if self.service_code and not CatalogueService.objects.filter(code=self.service_code).exists():
            errors["service_code"] = [f"Aucun service du catalogue n'a le code « {self.service_code} »."]
        if errors:
            raise ValidationError(errors)


class ConventionTemplate(models.Model):
    """The text of a convention, with the case's data in Django template syntax ({{ structure.name }})."""

    class Party(models.TextChoices):
        STRUCTURE = "structure", _("Plateforme ↔ structure")
        OPERATOR = "operator", _("Plateforme ↔ opérateur")

    code = models.SlugField(_("code"), max_length=80, unique=True)
    party = models.CharField(_("convention"), max_length=20, choices=Party.choices)
    title = models.CharField(_("titre"), max_length=200)
    body = RichTextField(
        _("texte"),
        help_text=_(
            "Variables : {{ platform }}, {{ case.reference }}, {{ structure.name }}, {{ structure.commune }}, "
            "{{ structure.siret }}, {{ operator.name }}, {{ today }} ; boucle : {% for s in services %}"
            "{{ s.title }} ({{ s.operator }}){% endfor %}."
        ),
    )
    is_active = models.BooleanField(_("utilisé"), default=True)
    shipped_checksum = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("modèle de convention")
        verbose_name_plural = _("modèles de convention")
        ordering = ["party", "title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from core.documents import template_check

        try:
            template_check(self.body)
        except ValidationError as exc:
            raise ValidationError({"body": exc.messages}) from None


class DiagnosticProfile(models.Model):
    """The scored diagnostic of a case (see plugins/support/scoring.py): one per case, recomputed when the
    diagnostic is filled again."""

    case = models.OneToOneField("core.Case", on_delete=models.CASCADE, related_name="support_profile")
    axes = models.JSONField(_("scores par axe"), default=dict)
    federation = models.CharField(_("fédération"), max_length=100, blank=True)
    professionalisation = models.PositiveSmallIntegerField(_("niveau de professionnalisation"))
    global_score = models.PositiveSmallIntegerField(_("score global"))
    computed_at = models.DateTimeField(_("calculé le"), auto_now=True)

    class Meta:
        verbose_name = _("profil de diagnostic")
        verbose_name_plural = _("profils de diagnostic")

    def __str__(self) -> str:
        return f"{self.case} · {self.global_score}/100"

    def as_profile(self) -> dict:
        """The profile as the `diagnostic_proposals` hook receives it."""
        return {
            "axes": dict(self.axes),
            "federation": self.federation or None,
            "professionalisation": self.professionalisation,
            "global": self.global_score,
        }


class Referral(models.TextChoices):
    PENDING = "pending", _("En attente de l'opérateur")
    ACCEPTED = "accepted", _("Acceptée par l'opérateur")
    DECLINED = "declined", _("Déclinée par l'opérateur")


class Proposal(models.Model):
    """A catalogue service proposed to a structure, carried out by an ESS operator or, failing one, by the
    platform itself (operator empty). Once the structure accepts it, the service is referred to its operator,
    who accepts or declines it (`referral_status`)."""

    Referral = Referral

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposé")
        ACCEPTED = "accepted", _("Accepté")
        DECLINED = "declined", _("Décliné")

    case = models.ForeignKey("core.Case", on_delete=models.CASCADE, related_name="support_proposals")
    service = models.ForeignKey("core.CatalogueService", verbose_name=_("service"), on_delete=models.PROTECT)
    operator = models.ForeignKey(
        "core.Operator", verbose_name=_("opérateur"), null=True, blank=True, on_delete=models.PROTECT
    )
    reason = models.CharField(_("motif"), max_length=300)
    priority = models.PositiveSmallIntegerField(_("priorité"), default=50)
    source = models.CharField(_("proposé par"), max_length=80, help_text="Pole code, or rule code for rules.")
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PROPOSED)
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The operator's answer to the service referred to it (empty: carried out by the platform, or not yet
    # referred: the structure has not accepted the proposal).
    referral_status = models.CharField(
        _("réponse de l'opérateur"), max_length=20, choices=Referral.choices, blank=True, default=""
    )
    referral_answered_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    referral_note = models.CharField(_("motif de l'opérateur"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("proposition de service")
        verbose_name_plural = _("propositions de service")
        ordering = ["-priority", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "service"], name="support_proposal_unique")]

    def __str__(self) -> str:
        return f"{self.case} · {self.service}"

    @property
    def carried_out_by(self) -> str:
        return self.operator.name if self.operator_id else "la plateforme"


class Convention(models.Model):
    """A convention of a case between the platform and the structure or an operator, with its PDF and the
    signature of each party (date and signatory)."""

    Party = ConventionTemplate.Party

    case = models.ForeignKey("core.Case", on_delete=models.CASCADE, related_name="support_conventions")
    party = models.CharField(_("convention"), max_length=20, choices=Party.choices)
    operator = models.ForeignKey("core.Operator", null=True, blank=True, on_delete=models.PROTECT)
    title = models.CharField(_("titre"), max_length=200)
    body_html = models.TextField(_("texte"))
    pdf = models.FileField(_("PDF"), upload_to="support/conventions/")
    generated_at = models.DateTimeField(_("générée le"), auto_now_add=True)
    platform_signed_on = models.DateField(_("signée par la plateforme le"), null=True, blank=True)
    platform_signatory = models.CharField(_("signataire pour la plateforme"), max_length=150, blank=True)
    counterparty_signed_on = models.DateField(_("signée par l'autre partie le"), null=True, blank=True)
    counterparty_signatory = models.CharField(_("signataire pour l'autre partie"), max_length=150, blank=True)
    signed_pdf = models.FileField(_("exemplaire signé"), upload_to="support/conventions/signed/", blank=True)
    signed_pdf_uploaded_at = models.DateTimeField(_("exemplaire signé déposé le"), null=True, blank=True)
    # Set when the proposals are revised after the convention was drawn up: kept for the record, replaced.
    superseded_at = models.DateTimeField(_("remplacée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        ordering = ["party", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "party", "operator"],
                condition=models.Q(superseded_at__isnull=True),
                name="support_convention_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(party="operator") | models.Q(operator__isnull=False),
                name="support_convention_operator_party",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def counterparty_name(self) -> str:
        return self.operator.name if self.operator_id else (self.case.data.get("structure_name") or str(self.case))

    @property
    def is_signed(self) -> bool:
        return self.platform_signed_on is not None and self.counterparty_signed_on is not None

    @property
    def counterparty_label(self) -> str:
        return "l'opérateur" if self.party == self.Party.OPERATOR else "la structure"


class FollowUpEntry(models.Model):
    """An entry of a case's follow-up log (a call, a meeting, a visit, a note)."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Appel")
        MEETING = "meeting", _("Réunion")
        VISIT = "visit", _("Visite")
        EMAIL = "email", _("Courriel")

    case = models.ForeignKey("core.Case", on_delete=models.CASCADE, related_name="support_followups")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.NOTE)
    happened_on = models.DateField(_("date"))
    text = models.TextField(_("compte rendu"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("suivi")
        verbose_name_plural = _("journal de suivi")
        ordering = ["-happened_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()} du {self.happened_on:%d/%m/%Y}"


class CoordinationTask(models.Model):
    """A coordination task of a case, with its due date; reminders go out before it falls due."""

    case = models.ForeignKey("core.Case", on_delete=models.CASCADE, related_name="support_tasks")
    title = models.CharField(_("tâche"), max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("chargé"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="support_tasks",
    )  # fmt: skip
    operator = models.ForeignKey(
        "core.Operator", verbose_name=_("opérateur"), null=True, blank=True, on_delete=models.SET_NULL
    )
    due_date = models.DateField(_("échéance"))
    done_at = models.DateTimeField(_("faite le"), null=True, blank=True)
    reminded_on = models.DateField(_("dernier rappel"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tâche de coordination")
        verbose_name_plural = _("tâches de coordination")
        ordering = ["done_at", "due_date", "pk"]

    def __str__(self) -> str:
        return self.title
