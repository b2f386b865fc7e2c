"""Forms of the definition screens: roles and actions as checkboxes, states and forms of the same version."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.text import slugify
from wagtail.admin.forms import WagtailAdminModelForm

from workflows import registry
from workflows.conditions import (
    CONDITION_TYPES,
    OPERATORS,
    ConditionError,
    FieldInfo,
    condition_cel,
    condition_rows,
    condition_text,
)
from workflows.models import FieldDefinition, ReferenceList, State, WorkflowVersion


def _codes_field(kind: str, label: str, help_text: str, current: list[str]) -> forms.MultipleChoiceField:
    choices = registry.choices(kind)
    known = {code for code, _label in choices}
    choices += [(code, code) for code in current or [] if code not in known]  # keep what a file brought
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, help_text=help_text, widget=forms.CheckboxSelectMultiple
    )


# --- the condition builder in the editors -------------------------------------------------------------------------

BUILDER_ROWS = 4


def _version_field_infos(version_id: int | None, *, form_id: int | None = None) -> dict[str, FieldInfo]:
    """The fields a condition may name: those of the version's forms (a guard), or of one form (a field's
    visibility), with their choices, for the builder's pickers."""
    if form_id is not None:
        rows = FieldDefinition.objects.filter(form_id=form_id, group__isnull=True)
    elif version_id:
        rows = FieldDefinition.objects.filter(form__version_id=version_id, group__isnull=True)
    else:
        return {}
    infos: dict[str, FieldInfo] = {}
    for f in rows.exclude(type__in=("section", "help")).order_by("form__code", "position", "pk"):
        if f.type not in CONDITION_TYPES or f.code in infos:
            continue
        choices = tuple((str(c.get("value")), str(c.get("label"))) for c in f.choices or [] if isinstance(c, dict))
        infos[f.code] = FieldInfo(code=f.code, type=f.type, label=f.label, choices=choices)
    return infos


class ConditionBuilderWidget(forms.Widget):
    """« champ / opérateur / valeur » rows joined by « et » / « ou » (no script needed)."""

    def __init__(self, infos: dict[str, FieldInfo] | None = None) -> None:
        super().__init__()
        self.infos = infos or {}

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, Any]:
        rows = [
            {key: (data.get(f"{name}-{index}-{key}") or "").strip() for key in ("field", "operator", "value")}
            for index in range(BUILDER_ROWS)
        ]
        return {"join": data.get(f"{name}-join") or "and", "rows": rows}

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> str:
        from django.utils.html import format_html, format_html_join

        value = value if isinstance(value, dict) else {"join": "and", "rows": []}
        rows = list(value.get("rows") or [])
        rows += [{}] * (BUILDER_ROWS - len(rows))
        base_id = (attrs or {}).get("id") or f"id_{name}"

        def options(pairs: list[tuple[str, str]], current: str) -> str:
            return format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((v, " selected" if v == current else "", lab) for v, lab in pairs),
            )

        field_pairs = [("", "— champ —"), *[(code, info.label) for code, info in self.infos.items()]]
        op_pairs = [("", "— comparaison —"), *[(op.code, op.label) for op in OPERATORS]]
        lines = []
        for index, row in enumerate(rows[:BUILDER_ROWS]):
            number, cells = index + 1, []
            for key, what, pairs in (("field", "Champ", field_pairs), ("operator", "Comparaison", op_pairs)):
                cells.append(
                    format_html(
                        '<label class="w-sr-only" for="{}-{}-{}">{} de la condition {}</label>'
                        '<select name="{}-{}-{}" id="{}-{}-{}">{}</select>',
                        base_id,
                        index,
                        key,
                        what,
                        number,
                        name,
                        index,
                        key,
                        base_id,
                        index,
                        key,
                        options(pairs, row.get(key, "")),
                    )
                )
            cells.append(
                format_html(
                    '<label class="w-sr-only" for="{}-{}-value">Valeur de la condition {}</label>'
                    '<input type="text" name="{}-{}-value" id="{}-{}-value" value="{}" placeholder="valeur">',
                    base_id,
                    index,
                    number,
                    name,
                    index,
                    base_id,
                    index,
                    row.get("value", ""),
                )
            )
            lines.append(
                format_html('<li class="ppe-condition-row">{}</li>', format_html_join(" ", "{}", ((c,) for c in cells)))
            )
        join = value.get("join") or "and"
        return format_html(
            '<div class="ppe-condition-builder" id="{}"><p><label for="{}-join">Les conditions doivent être '
            'vraies :</label> <select name="{}-join" id="{}-join">{}</select></p><ol class="ppe-condition-rows">{}'
            "</ol></div>",
            base_id, base_id, name, base_id,
            options([("and", "toutes (et)"), ("or", "au moins une (ou)")], join),
            format_html_join("", "{}", ((line,) for line in lines)),
        )  # fmt: skip


class ConditionBuilderField(forms.Field):
    """The builder's rows; the form writes their CEL into the expression field (`condition_cel`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", ConditionBuilderWidget())
        super().__init__(**kwargs)

    def set_infos(self, infos: dict[str, FieldInfo]) -> None:
        self.infos = infos
        self.widget.infos = infos


def _builder_setup(form: forms.Form, builder: str, expression: str, infos: dict[str, FieldInfo]) -> None:
    form.fields[builder].set_infos(infos)
    source = getattr(form.instance, expression) or ""
    parsed = condition_rows(source, infos) if source else None
    if parsed is not None:
        rows, join = parsed
        form.initial[builder] = {"join": join, "rows": [_row_as_typed(row, infos) for row in rows]}
        form.fields[expression].help_text = (
            f"Écrite par les conditions ci-dessus : {condition_text(source, infos)}. Videz les conditions pour "
            "écrire une expression CEL vous-même."
        )
    elif source:
        form.fields[
            expression
        ].help_text = (
            "Condition avancée écrite en CEL : les conditions ci-dessus restent vides tant qu'elle est utilisée."
        )


def _row_as_typed(row: dict[str, Any], infos: dict[str, FieldInfo]) -> dict[str, Any]:
    """A row read back from the CEL as the person typed it: a choice by its label, a date as JJ/MM/AAAA."""
    info, value = infos.get(row.get("field", "")), row.get("value") or ""
    if info is None or not value:
        return row
    if info.choices and value in dict(info.choices):
        return {**row, "value": dict(info.choices)[value]}
    if info.type in ("date", "datetime") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        year, month, day = value.split("-")
        return {**row, "value": f"{day}/{month}/{year}"}
    return row


def _builder_clean(form: forms.Form, builder: str, expression: str) -> None:
    value = form.cleaned_data.get(builder) or {}
    rows = [row for row in value.get("rows") or [] if any(row.values())]
    if not rows:
        return
    try:
        form.cleaned_data[expression] = condition_cel(rows, value.get("join") or "and", form.fields[builder].infos)
    except ConditionError as exc:
        form.add_error(builder, exc.message)


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
    guard_builder = ConditionBuilderField(
        label="Condition à remplir",
        help_text="Choisissez un champ des formulaires de la version, une comparaison et, si elle en demande une, "
        "une valeur (un nombre, une date JJ/MM/AAAA, un des choix du champ).",
    )

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
        self.fields["guard"].label = "Condition avancée (CEL)"
        _builder_setup(self, "guard_builder", "guard", _version_field_infos(int(version_id) if version_id else None))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        _builder_clean(self, "guard_builder", "guard")  # the model's clean() then compiles the CEL written
        return cleaned


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


class _PersonalSelect(forms.NullBooleanSelect):
    """Django's yes/no/unknown select with the builder's own words for each answer."""

    def __init__(self, choices, attrs=None) -> None:
        super().__init__(attrs)
        self.choices = list(choices)


class FieldDefinitionForm(WagtailAdminModelForm):
    """A form field's editor: choices as lines, file types and reference lists as pickers, the default value as
    text read by the field's type, the group among the groups of the same form, the visibility condition built
    from rows. No JSON is typed."""

    visible_builder = ConditionBuilderField(
        label="Afficher ce champ seulement si",
        help_text="Les champs proposés sont ceux du formulaire déjà enregistrés. Vide : toujours affiché.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        infos = _version_field_infos(None, form_id=self.instance.form_id) if self.instance.form_id else {}
        infos.pop(self.instance.code or "", None)
        self.fields["visible_if"].label = "Condition d'affichage avancée (CEL)"
        _builder_setup(self, "visible_builder", "visible_if", infos)
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
        self.fields["personal"] = forms.NullBooleanField(
            label="Donnée personnelle",
            required=False,
            widget=_PersonalSelect(
                choices=[
                    ("unknown", "Selon le type (oui : courriel, téléphone, fichier, texte long, nom, adresse)"),
                    ("true", "Oui : anonymisée à la fin de la conservation, effacée à la demande de la personne"),
                    ("false", "Non"),
                ]
            ),
            help_text="Les données personnelles d'un dossier sont anonymisées quand sa durée de conservation après "
            "clôture est passée (« Données personnelles »).",
        )
        groups = FieldDefinition.objects.filter(type="group")
        self.fields["group"].queryset = (
            groups.filter(form_id=self.instance.form_id) if self.instance.form_id else groups.none()
        )
        hint = "Le groupe répétable de ce formulaire dont ce champ fait partie (enregistrez d'abord le groupe)."
        self.fields["group"].help_text = hint

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        _builder_clean(self, "visible_builder", "visible_if")
        return cleaned

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
