"""Forms of the core's admin screens that a plain model form would show as raw JSON."""

from __future__ import annotations

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from core.models import NotificationTemplate


def _role_choices() -> list[tuple[str, str]]:
    from django.contrib.auth.models import Group

    from core.roles import role_label

    return [(name, role_label(name)) for name in Group.objects.order_by("name").values_list("name", flat=True)]


class NotificationTemplateForm(WagtailAdminModelForm):
    recipients = forms.MultipleChoiceField(
        label="Destinataires", required=False, choices=NotificationTemplate.Recipient.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    roles = forms.MultipleChoiceField(
        label="Et toutes les personnes de ces rôles", required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = NotificationTemplate
        fields = ["name", "code", "recipients", "roles", "subject", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}

    def __init__(self, *args, **kwargs):
        from core.services.notifications import variables_help

        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = _role_choices()
        self.fields[
            "code"
        ].help_text = "Identifiant stable (lettres, chiffres, tirets) : l'action s'appelle notify_<code>."
        self.fields["body"].help_text = f"Texte brut. Variables : {variables_help()}."
        self.fields["subject"].help_text = "Les mêmes variables que le texte : {{ case.reference }}, {{ case.state }}…"
