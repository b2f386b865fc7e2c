"""Forms of the definition screens: roles and actions as checkboxes, states and forms of the same version."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import slugify
from wagtail.admin.forms import WagtailAdminModelForm

from workflows import registry
from workflows.models import FieldDefinition, ReferenceList, State, WorkflowVersion


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


def _choices_text(choices: Any) -> str:
    lines = []
    for item in choices or []:
        if isinstance(item, dict):
            value, label = str(item.get("value", "")), str(item.get("label", ""))
            lines.append(label if slugify(label).replace("-", "_") == value else f"{value} | {label}")
    return "\n".join(lines)


def choices_parse(text: str) -> list[dict[str, str]]:
    """« Libellé » or « valeur | Libellé », one per line, into the stored list (values made from the labels
    when not given). French ValidationError for a duplicate or an empty line's value."""
    items, seen = [], set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        value, _sep, label = line.partition("|") if "|" in line else ("", "", line)
        value, label = value.strip(), label.strip()
        value = value or slugify(label).replace("-", "_")
        if not value or not label:
            raise forms.ValidationError(f"Ligne {number} : indiquez un libellé.")
        if value in seen:
            raise forms.ValidationError(f"Ligne {number} : le choix « {label} » est déjà dans la liste.")
        seen.add(value)
        items.append({"value": value, "label": label})
    return items


def _default_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class FieldDefinitionForm(WagtailAdminModelForm):
    """A form field's editor: choices as lines, file types and reference lists as pickers, the default value as
    text read by the field's type, the group among the groups of the same form. No JSON is typed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["choices"] = forms.CharField(
            label="Choix proposés",
            required=False,
            widget=forms.Textarea({"rows": 4}),
            help_text="Un choix par ligne (« Crèche »). Pour fixer le code enregistré : « creche | Crèche ».",
        )
        self.initial["choices"] = _choices_text(self.instance.choices)
        file_types = registry.choices("file_types")
        known = {code for code, _label in file_types}
        file_types += [(code, code) for code in self.instance.content_types or [] if code not in known]
        self.fields["content_types"] = forms.MultipleChoiceField(
            label="Types de fichier acceptés",
            choices=file_types,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text="Aucun coché : les types acceptés par la plateforme. Le contenu du fichier est vérifié.",
        )
        lists = [(code, source.label) for code, source in registry.reference_sources().items()]
        lists += list(ReferenceList.objects.values_list("code", "name"))
        if self.instance.reference and self.instance.reference not in dict(lists):
            lists.append((self.instance.reference, self.instance.reference))
        self.fields["reference"] = forms.ChoiceField(
            label="Liste de référence", choices=[("", "—"), *lists], required=False
        )
        self.fields["default"] = forms.CharField(
            label="Valeur par défaut",
            required=False,
            help_text="Selon le type : un texte, un nombre, « oui » ou « non », des codes de choix séparés par des "
            "virgules.",
        )
        self.initial["default"] = _default_text(self.instance.default)
        groups = FieldDefinition.objects.filter(type="group")
        self.fields["group"].queryset = (
            groups.filter(form_id=self.instance.form_id) if self.instance.form_id else groups.none()
        )
        hint = "Le groupe répétable de ce formulaire dont ce champ fait partie (enregistrez d'abord le groupe)."
        self.fields["group"].help_text = hint

    def clean_choices(self) -> list[dict[str, str]]:
        return choices_parse(self.cleaned_data.get("choices") or "")

    def clean_default(self) -> Any:
        text = (self.cleaned_data.get("default") or "").strip()
        kind = self.data.get(self.add_prefix("type")) or self.instance.type
        if not text:
            return None
        if kind == "boolean":
            if text.lower() in ("oui", "vrai", "true", "1"):
                return True
            if text.lower() in ("non", "faux", "false", "0"):
                return False
            raise forms.ValidationError("Répondez « oui » ou « non ».")
        if kind == "integer":
            try:
                return int(text)
            except ValueError:
                raise forms.ValidationError("Indiquez un nombre entier.") from None
        if kind == "multichoice":
            return [part.strip() for part in text.split(",") if part.strip()]
        return text


def _responsible_field(current: str) -> forms.ChoiceField:
    roles = registry.choices("roles")
    if current and current not in dict(roles):
        roles.append((current, current))
    return forms.ChoiceField(
        label="Rôle responsable",
        choices=[("", "—"), *roles],
        required=False,
        help_text="Qui doit faire avancer un dossier dans cet état (sa boîte « équipe »).",
    )


class StateForm(WagtailAdminModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"] = _responsible_field(self.instance.responsible)
