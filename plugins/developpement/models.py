"""Models of the développement pole: deliberation templates (editable by the territory's admins)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.fields import RichTextField


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
            "{{ case.reference }}, {{ today }}."
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
