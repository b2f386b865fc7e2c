"""Models of the support pole: proposal rules and convention templates (editable by the territory's admins)."""

from __future__ import annotations

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
            "Expression CEL sur le profil : profile.axes.comptabilite < 50 && profile.federation != \"ADMR\". "
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
