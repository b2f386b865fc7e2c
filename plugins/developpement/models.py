"""Models of the développement pole: deliberation templates (editable by the territory's admins)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.fields import RichTextField

from tenants.storage import private_storage


class DeliberationTemplate(models.Model):
    """A model deliberation for a collectivity setting up a SIEG, with the case's data in template syntax."""

    class Kind(models.TextChoices):
        GENERAL_INTEREST = "interet_general", _("Délibération sur l'intérêt général")
        MANDATE = "mandatement", _("Délibération de mandatement")

    code = models.SlugField(_("code"), max_length=80, unique=True)
    kind = models.CharField(_("délibération"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("titre"), max_length=200)
    body = RichTextField(
        _("texte"),
        help_text=_(
            "Variables : {{ collectivite }}, {{ commune }}, {{ equipements }}, {{ places }}, "
            "{{ besoins_territoire }}, {{ definition_interet_general }}, {{ obligations_service_public }}, "
            "{{ resultats_concertation }}, {{ concertation }} (les réunions de concertation), {{ case.reference }}, "
            "{{ today }}."
        ),
    )
    is_active = models.BooleanField(_("utilisé"), default=True)
    shipped_checksum = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("modèle de délibération")
        verbose_name_plural = _("modèles de délibération")
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from core.documents import template_check

        try:
            template_check(self.body)
        except ValidationError as exc:
            raise ValidationError({"body": exc.messages}) from None


class DraftSection(models.Model):
    """A section of a joint response, assigned to a partner with a deadline."""

    case = models.ForeignKey("core.Case", on_delete=models.CASCADE, related_name="developpement_sections")
    title = models.CharField(_("section"), max_length=200)
    partner = models.CharField(_("partenaire chargé"), max_length=200)
    email = models.EmailField(_("courriel"))
    due_date = models.DateField(_("échéance"))
    delivered_at = models.DateTimeField(_("remise le"), null=True, blank=True)
    reminded_on = models.DateField(_("dernier rappel"), null=True, blank=True)

    class Meta:
        verbose_name = _("section de la réponse")
        verbose_name_plural = _("sections de la réponse")
        ordering = ["due_date", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "title"], name="developpement_section_unique")]

    def __str__(self) -> str:
        return f"{self.title} ({self.partner})"


class Meeting(models.Model):
    """A consultation meeting of a SIEG case: who attended, and its minutes."""

    case = models.ForeignKey("core.Case", on_delete=models.CASCADE, related_name="developpement_meetings")
    held_on = models.DateField(_("date"))
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    participants = models.TextField(_("participants"), help_text=_("Un participant par ligne."))
    minutes = models.TextField(_("compte rendu"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("réunion de concertation")
        verbose_name_plural = _("réunions de concertation")
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.case} · {self.held_on:%d/%m/%Y}"

    @property
    def participant_list(self) -> list[str]:
        return [line.strip() for line in self.participants.splitlines() if line.strip()]


class DeliberationDraft(models.Model):
    """A draft deliberation of a SIEG case, rendered from a model deliberation with the case's data."""

    case = models.ForeignKey("core.Case", on_delete=models.CASCADE, related_name="developpement_deliberations")
    kind = models.CharField(_("délibération"), max_length=30, choices=DeliberationTemplate.Kind.choices)
    title = models.CharField(_("titre"), max_length=200)
    body_html = models.TextField(_("texte"))
    pdf = models.FileField(_("PDF"), upload_to="developpement/deliberations/", storage=private_storage)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("projet de délibération")
        verbose_name_plural = _("projets de délibération")
        ordering = ["kind", "-created_at"]

    def __str__(self) -> str:
        return self.title


class Candidate(models.Model):
    """A project answering a SIEG's call for projects, scored on each of the case's weighted evaluation
    criteria (`case.data["criteres_evaluation"]`): `scores` maps a criterion's title to a mark out of 20."""

    case = models.ForeignKey("core.Case", on_delete=models.CASCADE, related_name="developpement_candidates")
    name = models.CharField(_("candidat"), max_length=200)
    scores = models.JSONField(_("notes par critère"), default=dict)
    remarks = models.TextField(_("appréciation"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("candidature")
        verbose_name_plural = _("candidatures")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["case", "name"], name="developpement_candidate_unique")]

    def __str__(self) -> str:
        return self.name
