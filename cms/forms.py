"""Forms of the public site: what the request form adds to the workflow's opening form, and the page's admin
form (the workflow to open is chosen among the published ones)."""

from __future__ import annotations

from typing import Any

from django import forms
from wagtail.admin.forms import WagtailAdminPageForm

CONSENT_LABEL = (
    "J'accepte que les informations de ce formulaire soient utilisées par la plateforme pour traiter ma "
    "demande, comme l'explique la notice ci-dessus."
)


class RequestExtrasForm(forms.Form):
    """Consent to the processing of the data, and a honeypot field that people never see nor fill.

    Its fields are prefixed, so that they never clash with the workflow form's own field codes."""

    prefix = "envoi"

    consent = forms.BooleanField(
        label=CONSENT_LABEL,
        required=True,
        error_messages={"required": "Cochez la case de consentement pour que nous puissions traiter votre demande."},
    )
    # The honeypot: hidden from people and assistive technologies, filled by robots that fill every field.
    site_web = forms.CharField(
        label="Ne remplissez pas ce champ",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def is_robot(self) -> bool:
        return bool(self.data.get(self.add_prefix("site_web")))


def workflow_choices() -> list[tuple[str, str]]:
    """The territory's workflows that have a published version and an opening form."""
    from workflows.models import WorkflowVersion

    versions = (
        WorkflowVersion.objects.filter(status=WorkflowVersion.Status.PUBLISHED)
        .select_related("definition")
        .order_by("definition__name")
    )
    return [(v.definition.code, v.definition.name) for v in versions]


class RequestFormPageAdminForm(WagtailAdminPageForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "workflow_code" in self.fields:
            choices = workflow_choices()
            current = self.initial.get("workflow_code") or getattr(self.instance, "workflow_code", "")
            if current and current not in dict(choices):
                choices.append((current, f"{current} (non publié)"))
            self.fields["workflow_code"].widget = forms.Select(choices=choices)
