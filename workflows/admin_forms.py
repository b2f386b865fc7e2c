"""Forms of the definition screens: roles and actions as checkboxes, states and forms of the same version."""

from __future__ import annotations

from typing import Any

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from workflows import registry
from workflows.models import State, WorkflowVersion


def _codes_field(kind: str, label: str, help_text: str, current: list[str]) -> forms.MultipleChoiceField:
    choices = registry.choices(kind)
    known = {code for code, _label in choices}
    choices += [(code, code) for code in current or [] if code not in known]  # keep what a file brought
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, help_text=help_text, widget=forms.CheckboxSelectMultiple
    )


class WorkflowDefinitionForm(WagtailAdminModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["open_roles"] = _codes_field(
            "roles",
            "Rôles autorisés à ouvrir un dossier",
            "Aucun coché : tout le monde, y compris le formulaire public.",
            self.instance.open_roles,
        )
        self.fields["code"].help_text = "Identifiant unique : minuscules, chiffres, « - », « _ » (ex. : demande-aide)."


def _state_label(state: State) -> str:
    return f"{state.label} ({state.code}) — {state.version.definition} v{state.version.number}"


class TransitionForm(WagtailAdminModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        version_id = self.instance.version_id or self.data.get("version") or self.initial.get("version")
        states = State.objects.filter(version__status=WorkflowVersion.Status.DRAFT).select_related(
            "version__definition"
        )
        if version_id:
            states = State.objects.filter(version_id=version_id).select_related("version__definition")
        for name in ("sources", "target"):
            self.fields[name].queryset = states
            self.fields[name].label_from_instance = _state_label
        self.fields["version"].queryset = WorkflowVersion.objects.filter(
            status=WorkflowVersion.Status.DRAFT
        ).select_related("definition")
        self.fields["sources"].help_text = "Les états depuis lesquels la transition est possible."
        self.fields["roles"] = _codes_field(
            "roles", "Rôles autorisés", "Au moins un rôle doit pouvoir effectuer la transition.", self.instance.roles
        )
        self.fields["actions"] = _codes_field(
            "actions",
            "Actions à lancer après la transition",
            "Fournies par les pôles (notification, document, appariement...).",
            self.instance.actions,
        )
        forms_qs = self.instance.version.forms.all() if self.instance.version_id else []
        if version_id and not self.instance.version_id:
            forms_qs = WorkflowVersion.objects.get(pk=version_id).forms.all()
        self.fields["form"] = forms.ChoiceField(
            label="Formulaire à remplir",
            required=False,
            choices=[("", "Aucun"), *[(f.code, f"{f.name} ({f.code})") for f in forms_qs]],
            help_text="Ses valeurs s'ajoutent aux données du dossier.",
        )
        if self.instance.form and self.instance.form not in dict(self.fields["form"].choices):
            self.fields["form"].choices += [(self.instance.form, self.instance.form)]


class FormDefinitionForm(WagtailAdminModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = WorkflowVersion.objects.filter(
            status=WorkflowVersion.Status.DRAFT
        ).select_related("definition")
        self.fields["code"].help_text = "Identifiant du formulaire dans la version (ex. : demande)."
