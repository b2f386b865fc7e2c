"""The form builder at run time: a form spec (from a version's snapshot) as a Django form, validated on the
server with its visibility conditions, and as a JSON Schema for the API.

Values are stored JSON-serialisable: dates and date-times in ISO 8601, decimals as strings, phone numbers in
E.164, SIRET/SIREN compact, files as `{name, path, size, content_type}`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.utils.text import get_valid_filename
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret

from tenants.lru import LRUCache
from tenants.storage import private_storage
from workflows import registry
from workflows.conditions import FieldInfo, condition_rule
from workflows.exceptions import ExpressionError, FormInvalid
from workflows.expressions import expression_compile, expression_evaluate
from workflows.values import cel_data, cel_today

logger = logging.getLogger("ppe.workflows")

DISPLAY_ONLY = frozenset({"section", "help"})
DATE_INPUTS = ["%Y-%m-%d", "%d/%m/%Y"]
DATETIME_INPUTS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


@dataclass(frozen=True)
class FieldSpec:
    code: str
    type: str
    label: str
    options: dict[str, Any]
    visible_if: Any = None  # compiled CEL program
    fields: tuple[FieldSpec, ...] = ()

    @property
    def required(self) -> bool:
        return bool(self.options.get("required"))


@dataclass(frozen=True)
class FormSpec:
    code: str
    name: str
    fields: tuple[FieldSpec, ...]
    json_schema: dict[str, Any] = field(default_factory=dict)

    def input_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.type not in DISPLAY_ONLY]


def field_spec_build(item: dict[str, Any], functions: frozenset[str] = frozenset()) -> FieldSpec:
    options = {k: v for k, v in item.items() if k not in ("code", "type", "label", "fields", "visible_if")}
    condition = item.get("visible_if")
    return FieldSpec(
        code=item["code"],
        type=item["type"],
        label=item.get("label") or item["code"],
        options=options,
        visible_if=expression_compile(condition, functions=functions) if condition else None,
        fields=tuple(field_spec_build(sub, functions) for sub in item.get("fields") or []),
    )


def form_spec_build(item: dict[str, Any], functions: frozenset[str] = frozenset()) -> FormSpec:
    fields = tuple(field_spec_build(f, functions) for f in item.get("fields") or [])
    spec = FormSpec(code=item["code"], name=item.get("name") or item["code"], fields=fields)
    object.__setattr__(spec, "json_schema", json_schema_build(spec))
    return spec


# --- Django fields ----------------------------------------------------------------------------------------------


def _phone_clean(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise ValidationError("Numéro de téléphone invalide.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("Numéro de téléphone invalide.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneField(forms.CharField):
    def clean(self, value: Any) -> str:
        value = super().clean(value)
        return _phone_clean(value) if value else value


class CompanyNumberField(forms.CharField):
    """SIRET (14 digits) or SIREN (9 digits), checked with their Luhn key (python-stdnum)."""

    def __init__(self, *, module: Any, name: str, **kwargs: Any) -> None:
        self.module = module
        self.number_name = name
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return value
        try:
            return self.module.validate(value)
        except StdnumError:
            raise ValidationError(f"Numéro {self.number_name} invalide.") from None


class UploadField(forms.FileField):
    """A file judged by its bytes, never by the type the browser declares or its name: the check registered
    by the layers above (`registry.upload_check`, the core's upload validator) with the field's types and size
    limit. The accepted file's `content_type` becomes the sniffed one."""

    def __init__(self, *, content_types: list[str], max_size_mb: float | None, **kwargs: Any) -> None:
        self.content_types = content_types
        self.max_size_mb = max_size_mb
        super().__init__(**kwargs)
        if content_types:
            self.widget.attrs.setdefault("accept", ",".join(content_types))

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            limit = int(float(self.max_size_mb) * 1024 * 1024) if self.max_size_mb else None
            value.content_type = registry.upload_check(value, content_types=self.content_types, max_bytes=limit)
        return value


class BooleanChoiceField(forms.NullBooleanField):
    """Yes/no; `required` means answered (yes or no). Anything but a yes or a no is an error."""

    widget = forms.Select(choices=[("", "—"), ("true", "Oui"), ("false", "Non")])  # passes the raw value on
    TRUE = frozenset({"true", "1", "on", "oui", "yes", "True"})
    FALSE = frozenset({"false", "0", "off", "non", "no", "False"})

    def to_python(self, value: Any) -> bool | None:
        if value in (True, False):
            return bool(value)
        if value in (None, "", "unknown"):
            return None
        if str(value).strip() in self.TRUE:
            return True
        if str(value).strip() in self.FALSE:
            return False
        raise ValidationError("Répondez par oui ou par non.")

    def validate(self, value: Any) -> None:
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")


GROUP_ROWS_MAX = 200  # rows read from a page, whatever its hidden row counter says


class GroupWidget(forms.Widget):
    """A repeatable group as rows of the group's own fields, with « Ajouter » / « Retirer »
    (`workflows/static/workflows/form_groups.js`). Without script the page offers one empty row more than
    it holds (and at least `min_items`); the server counts the filled rows and enforces the bounds. Inputs
    are named `<group>-<row>-<field>`; `<group>-rows` holds the number of rows the page had."""

    use_fieldset = True  # a legend names the group; each row is a fieldset of its own

    def __init__(self, *, spec: FieldSpec, references: dict[str, list[tuple[str, str]]]) -> None:
        super().__init__()
        self.spec = spec
        self.sub_fields = {
            f.code: django_field(f, references, required=f.required) for f in spec.fields if f.type not in DISPLAY_ONLY
        }
        self.sub_specs = {f.code: f for f in spec.fields if f.type not in DISPLAY_ONLY}

    @property
    def needs_multipart_form(self) -> bool:
        return any(sub.widget.needs_multipart_form for sub in self.sub_fields.values())

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if name in data:  # a JSON list (the API, the tests)
            return data.get(name)
        return group_rows_read(self.spec, data, name, files)[0]

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}-rows" not in data

    def _row_html(self, name: str, index: Any, number: Any, item: dict[str, Any], base_id: str) -> str:
        from django.utils.html import format_html, format_html_join

        cells = []
        for code, sub in self.sub_fields.items():
            input_name = f"{name}-{index}-{code}"
            input_id = f"{base_id}-{index}-{code}"
            attrs = {"id": input_id, "data-ppe-sub": code}
            value = item.get(code)
            if isinstance(value, bool):
                value = "true" if value else "false"
            widget_html = sub.widget.render(input_name, sub.prepare_value(value), attrs=attrs)
            if isinstance(sub, UploadField) and _stored_file(value):  # the row keeps it unless another is sent
                widget_html = format_html(
                    '<input type="hidden" name="{}-kept" value="{}">'
                    '<span class="help ppe-group-file">Fichier actuel : {} — envoyez-en un autre pour le remplacer.'
                    "</span>{}",
                    input_name, value["path"], value.get("name") or value["path"].rsplit("/", 1)[-1], widget_html,
                )  # fmt: skip
            mark = format_html(' <span class="required">(obligatoire)</span>') if sub.required else ""
            if isinstance(sub.widget, forms.CheckboxSelectMultiple):
                cells.append(format_html('<fieldset class="ppe-group-cell"><legend>{}{}</legend>{}</fieldset>',
                                         sub.label, mark, widget_html))  # fmt: skip
            else:
                cells.append(format_html('<div class="ppe-group-cell"><label for="{}">{}{}</label>{}</div>',
                                         input_id, sub.label, mark, widget_html))  # fmt: skip
        return format_html(
            '<li class="ppe-group-row"><fieldset><legend>Élément <span class="ppe-group-number">{}</span></legend>'
            '{}<p hidden><button type="button" class="button button-secondary button-small ppe-group-remove">'
            'Retirer l\'élément <span class="ppe-group-number">{}</span></button></p></fieldset></li>',
            number,
            format_html_join("", "{}", ((c,) for c in cells)),
            number,
        )

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> str:
        from django.utils.html import format_html, format_html_join

        items = value
        if isinstance(items, str):
            try:
                items = json.loads(items) if items else []
            except ValueError:
                items = []
        if not isinstance(items, list):
            items = []
        items = [item for item in items if isinstance(item, dict)]
        options = self.spec.options
        low = int(options.get("min_items") or 0)
        high = options.get("max_items")
        count = max(len(items) + 1, low, 1)
        if high is not None:
            count = max(min(count, int(high)), len(items))
        base_id = (attrs or {}).get("id") or f"id_{name}"
        rows = [self._row_html(name, i, i + 1, items[i] if i < len(items) else {}, base_id) for i in range(count)]
        template = self._row_html(name, "__index__", "__number__", {}, base_id)
        bounds = []
        if low:
            bounds.append(f"au moins {low}")
        if high is not None:
            bounds.append(f"au plus {high}")
        return format_html(
            '<div class="ppe-group" id="{}" data-ppe-group="{}" data-ppe-code="{}" data-ppe-label="{}" '
            'data-min="{}" data-max="{}" data-label="{}"{}>'
            '<input type="hidden" name="{}-rows" value="{}" class="ppe-group-count">'
            '<ol class="ppe-group-rows">{}</ol>'
            '<template class="ppe-group-template">{}</template>'
            '<p class="help ppe-group-bounds">{}</p>'
            '<p hidden><button type="button" class="button button-secondary ppe-group-add">Ajouter un élément'
            "</button></p>"
            '<p class="ppe-group-status visually-hidden w-sr-only" aria-live="polite"></p></div>',
            base_id,
            self.spec.code,
            self.spec.code,
            self.spec.label,
            low,
            "" if high is None else high,
            self.spec.label,
            format_html(' data-ppe-visible-if="{}"', self.attrs["data-ppe-visible-if"])
            if "data-ppe-visible-if" in self.attrs
            else "",
            name,
            count,
            format_html_join("", "{}", ((r,) for r in rows)),
            template,
            f"Éléments : {' et '.join(bounds)}." if bounds else "",
        )


def group_rows_read(
    spec: FieldSpec, data: Any, name: str, files: Any = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The filled rows of a group posted by its rows' inputs (`<name>-<row>-<field>`), and the files sent in
    them by `<group>.<row>.<field>` (`row`: the element's position in the rows returned, from 0). Empty rows
    are dropped (a row the person added and left blank is not an element). A row's file kept from the case
    comes back as `<name>-<row>-<field>-kept` (its stored path, checked against the case's files)."""
    files = files if files is not None else {}
    try:
        count = min(int(data.get(f"{name}-rows") or 0), GROUP_ROWS_MAX)
    except (TypeError, ValueError):
        count = 0
    indices = set(range(count))
    prefix = f"{name}-"
    for key in [*data, *files]:  # rows added by the script past the counter, or renumbered
        rest = key[len(prefix) :] if key.startswith(prefix) else ""
        head = rest.split("-", 1)[0]
        if head.isdigit() and int(head) < GROUP_ROWS_MAX:
            indices.add(int(head))
    rows: list[dict[str, Any]] = []
    uploads: dict[str, Any] = {}
    for index in sorted(indices):
        item, sent = _group_row_read(spec, data, files, f"{name}-{index}")
        if item or sent:
            uploads.update({f"{spec.code}.{len(rows)}.{code}": upload for code, upload in sent.items()})
            rows.append(item)
    return rows, uploads


def _group_row_read(spec: FieldSpec, data: Any, files: Any, prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One posted row of a group: its values (a kept file as `{"path": …}`) and the files sent in it."""
    item: dict[str, Any] = {}
    sent: dict[str, Any] = {}
    for sub in spec.fields:
        if sub.type in DISPLAY_ONLY:
            continue
        key = f"{prefix}-{sub.code}"
        if sub.type == "file":
            if files.get(key):
                sent[sub.code] = files[key]
            elif data.get(f"{key}-kept"):
                item[sub.code] = {"path": data.get(f"{key}-kept")}
        elif sub.type == "multichoice":
            values = data.getlist(key) if hasattr(data, "getlist") else data.get(key) or []
            if values:
                item[sub.code] = values
        elif data.get(key) not in (None, ""):
            item[sub.code] = data.get(key)
    return item, sent


class GroupField(forms.Field):
    """A repeatable group: a list of objects (JSON from the API, rows of inputs from an HTML form)."""

    def __init__(self, *, spec: FieldSpec, references: dict[str, list[tuple[str, str]]], **kwargs: Any) -> None:
        self.spec = spec
        self.references = references
        kwargs.setdefault("widget", GroupWidget(spec=spec, references=references))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if value in (None, "", []):
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValidationError("Liste d'éléments illisible.") from None
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise ValidationError("Une liste d'éléments est attendue.")
        return value

    def validate(self, value: list[dict[str, Any]]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        options = self.spec.options
        if options.get("min_items") and len(value) < options["min_items"]:  # an empty group too
            raise ValidationError(f"Au moins {options['min_items']} élément(s).")
        if options.get("max_items") is not None and len(value) > options["max_items"]:
            raise ValidationError(f"Au plus {options['max_items']} élément(s).")

    # Its rows are validated by `_fields_validate` (`_group_rows_validate`), with the files sent in them.


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def django_field(  # noqa: PLR0911, PLR0912
    spec: FieldSpec, references: dict[str, list[tuple[str, str]]], *, required: bool
) -> forms.Field:
    o = spec.options
    common: dict[str, Any] = {"label": spec.label, "help_text": o.get("help", ""), "required": required}
    if o.get("default") is not None:
        common["initial"] = o["default"]
    kind = spec.type
    lengths = {"max_length": o.get("max_length"), "min_length": o.get("min_length")}
    validators = [RegexValidator(o["pattern"], "Format invalide.")] if o.get("pattern") else []
    if kind == "text":
        return forms.CharField(**common, **lengths, validators=validators)
    if kind == "textarea":
        return forms.CharField(**common, **lengths, validators=validators, widget=forms.Textarea({"rows": 4}))
    if kind == "integer":
        return forms.IntegerField(**common, min_value=o.get("min"), max_value=o.get("max"))
    if kind in ("decimal", "money"):
        places = 2 if kind == "money" else o.get("decimal_places")
        return forms.DecimalField(
            **common, min_value=_number(o.get("min")), max_value=_number(o.get("max")), decimal_places=places
        )
    if kind == "date":
        return forms.DateField(**common, input_formats=DATE_INPUTS, widget=forms.DateInput(attrs={"type": "date"}))
    if kind == "datetime":
        return forms.DateTimeField(
            **common, input_formats=DATETIME_INPUTS, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
        )
    if kind == "email":
        return forms.EmailField(**common, max_length=o.get("max_length"))
    if kind == "phone":
        return PhoneField(**common, max_length=30)
    if kind == "siret":
        return CompanyNumberField(**common, module=siret, name="SIRET", max_length=20)
    if kind == "siren":
        return CompanyNumberField(**common, module=siren, name="SIREN", max_length=15)
    if kind == "postcode":
        return forms.RegexField(r"^\d{5}$", **common, error_messages={"invalid": "Code postal invalide (5 chiffres)."})
    if kind == "commune":
        return forms.CharField(**common, max_length=o.get("max_length") or 100, validators=validators)
    if kind == "boolean":
        return BooleanChoiceField(**common)
    if kind in ("choice", "multichoice"):
        choices = [(str(c["value"]), c["label"]) for c in o.get("choices") or []]
        if kind == "choice":
            return forms.ChoiceField(**common, choices=[("", "—"), *choices])  # starts empty, even when required
        return forms.MultipleChoiceField(**common, choices=choices, widget=forms.CheckboxSelectMultiple)
    if kind == "reference":
        choices = references.get(o.get("reference", ""), [])
        return forms.ChoiceField(**common, choices=[("", "—"), *choices])
    if kind == "file":
        return UploadField(**common, content_types=list(o.get("content_types") or []), max_size_mb=o.get("max_size_mb"))
    if kind == "group":
        return GroupField(**common, spec=spec, references=references)
    raise ValueError(f"unknown field type {kind}")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def _visible(spec: FieldSpec, typed: dict[str, Any], context: dict[str, Any], functions: dict[str, Any]) -> bool:
    """Whether a field shows, its condition evaluated on typed values (`workflows.values.cel_data`)."""
    if spec.visible_if is None:
        return True
    try:
        return expression_evaluate(spec.visible_if, {**context, "data": typed}, functions) is True
    except ExpressionError:
        return False  # a condition that cannot be evaluated (data missing) hides the field


# Validation form classes of immutable field tuples (published versions), when no reference list is involved
# (those read their items at each call): building the class costs more than validating.
# Bounded like the compiled workflows they belong to (PPE_FORM_CLASSES_MAX).
_form_classes = LRUCache(getattr(settings, "PPE_FORM_CLASSES_MAX", 2048))


def _has_references(fields: tuple[FieldSpec, ...]) -> bool:
    return any(f.type == "reference" or _has_references(f.fields) for f in fields)


def _validation_form_class(
    fields: tuple[FieldSpec, ...], inputs: list[FieldSpec], references: dict[str, list[tuple[str, str]]]
) -> type:
    cached = _form_classes.get(id(fields))
    if cached is not None and cached[0] is fields:
        return cached[1]
    form_fields = {f.code: django_field(f, references, required=False) for f in inputs}
    form_class = type("WorkflowForm", (forms.Form,), form_fields)
    if not _has_references(fields):
        _form_classes.set(id(fields), (fields, form_class))  # keeps `fields` alive, so the id stays unique
    return form_class


def _fields_validate(  # noqa: PLR0912, PLR0917
    fields: tuple[FieldSpec, ...],
    raw: dict[str, Any],
    files: dict[str, Any],
    references: dict[str, list[tuple[str, str]]],
    context: dict[str, Any],
    functions: dict[str, Any],
    base_data: dict[str, Any] | None = None,
    field_types: dict[str, FieldSpec] | None = None,
    kept: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`files`: the uploads by field code, and by `<group>.<row>.<field>` for a group's rows. `kept`: the
    files already stored for the case by path; a file value naming one of them (`{"path": …}`) keeps it."""
    inputs = [f for f in fields if f.type not in DISPLAY_ONLY]
    by_code = {f.code: f for f in inputs}
    form_class = _validation_form_class(fields, inputs, references)
    form_fields = form_class.base_fields
    uploads = {code: upload for code, upload in (files or {}).items() if "." not in code}
    row_files = {code: upload for code, upload in (files or {}).items() if "." in code}
    values, kept_values, errors = _raw_split(inputs, raw, uploads, row_files, kept or {})
    form = form_class(data=_as_form_data(values, inputs), files=uploads)
    form.is_valid()
    for f in inputs:  # amounts in euros keep their two decimals ("12.50", not "12.5")
        if f.type == "money" and isinstance(form.cleaned_data.get(f.code), Decimal):
            form.cleaned_data[f.code] = form.cleaned_data[f.code].quantize(Decimal("0.01"))
    cleaned = {code: _json_value(form.cleaned_data.get(code)) for code in form_fields if code in form.cleaned_data}
    for code, value in kept_values.items():
        if cleaned.get(code) is None:  # no new file sent: the stored one stays
            cleaned[code] = value
    row_errors: dict[str, list[str]] = {}
    for f in inputs:
        if f.type == "group" and f.code not in form.errors and isinstance(cleaned.get(f.code), list):
            cleaned[f.code], row_errors[f.code] = _group_rows_validate(
                f, cleaned[f.code], row_files, references, functions, kept
            )
    types = {**(field_types or {}), **by_code}
    typed = cel_data({**(base_data or {}), **cleaned}, types)
    result: dict[str, Any] = {}
    for f in inputs:
        if not _visible(f, typed, context, functions):
            typed.pop(f.code, None)  # a hidden field counts as empty for the conditions after it
            errors.pop(f.code, None)
            continue
        if f.code in errors:
            continue
        if f.code in form.errors or row_errors.get(f.code):
            messages = form.errors.get(f.code) or row_errors[f.code]
            errors[f.code] = [f"« {f.label} » : {m}" for m in messages]
            continue
        value = cleaned.get(f.code)
        if f.required and (_empty(value) or (f.type == "file" and value is None)):
            errors[f.code] = [f"Le champ « {f.label} » est obligatoire."]
            continue
        if not _empty(value) or (f.type == "boolean" and value is not None):
            result[f.code] = value
    unknown = set(raw) - set(by_code)
    unknown |= {code for code in uploads if code not in by_code or by_code[code].type != "file"}
    unknown |= {code for code in row_files if by_code.get(code.split(".", 1)[0], FILE_NONE).type != "group"}
    if unknown:
        errors["__all__"] = [f"Champ(s) inconnu(s) : {', '.join(sorted(unknown))}."]
    if errors:
        raise FormInvalid(errors)
    return result


def _raw_split(
    inputs: list[FieldSpec],
    raw: dict[str, Any],
    uploads: dict[str, Any],
    row_files: dict[str, Any],
    kept: dict[str, dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """The raw values for the Django form (defaults added), the stored files the values keep by naming them,
    and the errors of those that name a file the case does not hold. Uploads given among the values join
    `uploads` / `row_files`."""
    errors: dict[str, list[str]] = {}
    kept_values: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for f in inputs:
        if f.code not in raw:
            if f.options.get("default") is not None and f.type != "file":
                values[f.code] = f.options["default"]
            continue
        value = raw[f.code]
        if f.type == "file":
            if isinstance(value, UploadedFile):
                uploads.setdefault(f.code, value)
            elif not _empty(value):
                found = _kept_file(value, kept)
                if found is None:
                    errors[f.code] = [f"« {f.label} » : {FILE_NOT_KEPT}"]
                else:
                    kept_values[f.code] = found
            continue
        if f.type == "group" and isinstance(value, list):
            value = _row_uploads_taken(f.code, value, row_files)
        values[f.code] = value
    return values, kept_values, errors


FILE_NOT_KEPT = "ce fichier n'est pas l'un de ceux du dossier ; envoyez le fichier lui-même."
FILE_NONE = FieldSpec(code="", type="", label="", options={})


def _stored_file(value: Any) -> bool:
    """A file as a case's data holds it (`{name, path, size, content_type}`)."""
    return isinstance(value, dict) and isinstance(value.get("path"), str) and bool(value.get("path"))


def _kept_file(value: Any, kept: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The stored file a submitted value names again (`{"path": …}` or the path), if it is one of the case's."""
    path = value.get("path") if isinstance(value, dict) else value if isinstance(value, str) else None
    return dict(kept[path]) if isinstance(path, str) and path in kept else None


def stored_files_of(data: Any) -> dict[str, dict[str, Any]]:
    """Every file a case's data holds (top-level fields and repeatable groups' rows), by storage path: the
    files a new submission may keep by naming them (`form_validate(existing_data=…)`)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(value: Any) -> None:
        if _stored_file(value):
            found[value["path"]] = value
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data or {})
    return found


def _row_uploads_taken(group: str, rows: list[Any], row_files: dict[str, Any]) -> list[Any]:
    """Rows given as Python values may hold uploaded files: they join the row files (`<group>.<row>.<field>`)."""
    taken = []
    for index, item in enumerate(rows):
        if not isinstance(item, dict):
            taken.append(item)
            continue
        for code, value in item.items():
            if isinstance(value, UploadedFile):
                row_files.setdefault(f"{group}.{index}.{code}", value)
        taken.append({code: value for code, value in item.items() if not isinstance(value, UploadedFile)})
    return taken


def _group_rows_validate(  # noqa: PLR0917
    spec: FieldSpec,
    items: list[dict[str, Any]],
    row_files: dict[str, Any],
    references: dict[str, list[tuple[str, str]]],
    functions: dict[str, Any],
    kept: dict[str, dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each row of a group against the group's fields, with the files sent for it (`<group>.<row>.<field>`,
    judged like any file field's): the cleaned rows and French errors naming the element."""
    by_row: dict[int, dict[str, Any]] = {}
    errors: list[str] = []
    prefix = f"{spec.code}."
    for key, upload in row_files.items():
        if not key.startswith(prefix):
            continue
        row, _, code = key[len(prefix) :].partition(".")
        if not row.isdigit() or int(row) >= len(items):
            errors.append(f"Un fichier est envoyé pour un élément absent de la liste ({key}).")
            continue
        by_row.setdefault(int(row), {})[code] = upload
    cleaned = []
    for index, item in enumerate(items):
        try:
            cleaned.append(_fields_validate(spec.fields, item, by_row.get(index, {}), references, {}, functions,
                                            kept=kept))  # fmt: skip
        except FormInvalid as exc:
            errors.extend(f"Élément {index + 1} — {m}" for messages in exc.errors.values() for m in messages)
    return cleaned, errors


def _as_form_data(values: dict[str, Any], inputs: list[FieldSpec]) -> Any:
    """Django forms read strings; JSON values (lists, numbers, booleans) are passed through a MultiValueDict."""
    from django.utils.datastructures import MultiValueDict

    data = MultiValueDict()
    by_code = {f.code: f for f in inputs}
    for code, value in values.items():
        spec = by_code[code]
        if spec.type == "multichoice":
            data.setlist(code, [str(v) for v in value] if isinstance(value, list) else [value])
        elif spec.type == "group" and not isinstance(value, str):
            data[code] = value  # the list itself (its rows may name stored files): GroupField reads it as is
        elif spec.type == "boolean" and isinstance(value, bool):
            data[code] = "true" if value else "false"
        elif value is None:
            data[code] = ""
        else:
            data[code] = value if isinstance(value, str) else str(value)
    return data


def raw_values(form: FormSpec, post: Any, files: Any, prefix: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    """The raw values and uploads of a form's fields from an HTML form's POST (for `form_validate`, which
    converts them): lists for multiple choices, the filled rows of each repeatable group; the uploads by field
    code, a group's by `<group>.<row>.<field>`."""
    data: dict[str, Any] = {}
    uploads: dict[str, Any] = {}
    for f in form.input_fields():
        key = f"{prefix}-{f.code}" if prefix else f.code
        if f.type == "file":
            if key in files:
                uploads[f.code] = files[key]
        elif f.type == "multichoice":
            data[f.code] = post.getlist(key)
        elif f.type == "group":
            if key in post:
                data[f.code] = post.get(key)
            elif f"{key}-rows" in post:
                data[f.code], row_files = group_rows_read(f, post, key, files)
                uploads.update(row_files)
        elif key in post:
            data[f.code] = post.get(key)
    return data, uploads


def form_validate(
    form: FormSpec,
    *,
    data: dict[str, Any],
    files: dict[str, Any] | None = None,
    case_data: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    functions: dict[str, Any] | None = None,
    references: dict[str, list[tuple[str, str]]] | None = None,
    field_types: dict[str, FieldSpec] | None = None,
    existing_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate submitted values against a form; return the cleaned, JSON-serialisable values of the visible
    fields (uploaded files still as UploadedFile: store them with `files_store`). Raise FormInvalid.

    `files` holds the uploads by field code, and by `<group>.<row>.<field>` for the rows of a repeatable group
    (`row`: the element's position in the group's list, from 0); each is judged by its bytes and size. A file
    value may also name a file the case already holds (`{"path": …}`, as the case's data gives it): it is kept
    when `existing_data` (the case's data as stored) holds that file, refused otherwise.

    Visibility conditions see `data` as typed CEL values (`workflows.values`): the form's fields and, for
    the other keys of `case_data`, the fields of `field_types` (`CompiledWorkflow.field_types`). `functions`
    defaults to the guard functions the poles register, as in production; `context` holds `actor`, `today`
    (`today` defaults to the current day)."""
    if not isinstance(data, dict):
        raise FormInvalid({"__all__": ["Les données doivent être un objet (champ: valeur)."]})
    if references is None:
        references = references_for(form)
    if functions is None:
        functions = registry.guard_functions()
    context = {"today": cel_today(), **(context or {})}
    return _fields_validate(
        form.fields, data, dict(files or {}), references, context, functions, base_data=case_data,
        field_types=field_types, kept=stored_files_of(existing_data),
    )  # fmt: skip


def references_for(form: FormSpec) -> dict[str, list[tuple[str, str]]]:
    """The items of the reference lists a form's fields use (read now: lists change)."""
    from workflows.selectors import reference_items

    codes = set()

    def walk(fields: tuple[FieldSpec, ...]) -> None:
        for f in fields:
            if f.type == "reference" and f.options.get("reference"):
                codes.add(f.options["reference"])
            walk(f.fields)

    walk(form.fields)
    return {code: reference_items(code=code) for code in codes}


_STORED: ContextVar[list[str] | None] = ContextVar("ppe_stored_files", default=None)


def files_store(values: dict[str, Any], *, folder: str) -> dict[str, Any]:
    """Save the uploaded files among cleaned values (top-level fields and repeatable groups' rows) in the
    private storage (served only by permission-checked views: core.downloads.form_file_response); replace each
    by `{name, path, size, content_type}`. Inside `stored_files_discarded_on_error`, the files are removed again
    if the block fails or its transaction rolls back."""
    written = _STORED.get()

    def store(value: Any) -> Any:
        if isinstance(value, UploadedFile):
            name = get_valid_filename(value.name) or "fichier"
            path = private_storage().save(f"{folder}/{uuid.uuid4().hex[:12]}/{name}", value)
            if written is not None:
                written.append(path)
            return {"name": value.name, "path": path, "size": value.size, "content_type": value.content_type}
        if isinstance(value, list):
            return [{k: store(v) for k, v in item.items()} if isinstance(item, dict) else item for item in value]
        return value

    return {code: store(value) for code, value in values.items()}


@contextmanager
def stored_files_discarded_on_error() -> Iterator[list[str]]:
    """Around a transaction that calls `files_store`: when the block raises (the transaction rolls back: a
    lost race, a refused form, a hook that fails), the files it stored are deleted, so that no file is left
    that no case names. (A rollback of a transaction around a successful block is the caller's to handle.)"""
    written: list[str] = []
    token = _STORED.set(written)
    try:
        yield written
    except BaseException:
        storage = private_storage()
        for path in written:
            try:
                storage.delete(path)
            except OSError:
                logger.warning("could not delete %s after a rollback", path)
        raise
    finally:
        _STORED.reset(token)


class DisplayWidget(forms.Widget):
    """A section title or an explanation among a form's fields: rendered text, no input."""

    input_type = "display"

    def __init__(self, *, kind: str, text: str) -> None:
        super().__init__()
        self.kind, self.text = kind, text

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> str:
        from django.utils.html import format_html

        extra = (
            format_html(' data-ppe-visible-if="{}"', self.attrs["data-ppe-visible-if"])
            if ("data-ppe-visible-if" in self.attrs)
            else ""
        )
        if self.kind == "section":
            return format_html('<h3 class="ppe-form-section"{}>{}</h3>', extra, self.text)
        return format_html('<p class="ppe-form-help"{}>{}</p>', extra, self.text)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> None:
        return None


class DisplayField(forms.Field):
    """A display-only item of a form (`section`, `help`): `display_only` tells templates to render it bare."""

    display_only = True

    def __init__(self, *, kind: str, text: str) -> None:
        super().__init__(required=False, label="", widget=DisplayWidget(kind=kind, text=text))


def field_infos(fields: tuple[FieldSpec, ...], references: dict[str, list[tuple[str, str]]]) -> dict[str, FieldInfo]:
    """What the condition builder knows of a form's input fields (code, type, label, choices)."""
    infos = {}
    for f in fields:
        if f.type in DISPLAY_ONLY:
            continue
        if f.type == "reference":
            choices = tuple(references.get(f.options.get("reference", ""), []))
        else:
            choices = tuple((str(c["value"]), c["label"]) for c in f.options.get("choices") or [])
        infos[f.code] = FieldInfo(code=f.code, type=f.type, label=f.label, choices=choices)
    return infos


def _live_attributes(field: forms.Field, spec: FieldSpec, infos: dict[str, FieldInfo]) -> None:
    """The attributes the page's script reads (`workflows/static/workflows/form_conditions.js`): every
    input names its field (`data-ppe-code`); a field with a condition the builder can read carries its
    description (`data-ppe-visible-if`). The server decides again on submission, with or without script."""
    attrs = field.widget.attrs
    attrs["data-ppe-code"] = spec.code
    attrs["data-ppe-label"] = spec.label
    if spec.visible_if is not None:
        rule = condition_rule(spec.visible_if.source, infos)
        if rule is not None:
            attrs["data-ppe-visible-if"] = json.dumps(rule, ensure_ascii=False, separators=(",", ":"))


def django_form_class(
    form: FormSpec, *, references: dict[str, list[tuple[str, str]]] | None = None, display: bool = False
) -> type:
    """A Django form class to render the form (validation goes through `form_validate`). With `display`,
    section titles and explanations are fields too (`DisplayField`), in their place among the inputs."""
    references = references if references is not None else references_for(form)
    infos = field_infos(form.fields, references)
    fields: dict[str, forms.Field] = {}
    for f in form.fields:
        if f.type in DISPLAY_ONLY:
            if display:
                fields[f.code] = DisplayField(kind=f.type, text=f.label)
                if f.visible_if is not None:
                    _live_attributes(fields[f.code], f, infos)
            continue
        fields[f.code] = django_field(f, references, required=f.required)
        _live_attributes(fields[f.code], f, infos)
    return type(f"{form.code.title().replace('-', '').replace('_', '')}Form", (forms.Form,), fields)


# --- JSON Schema ------------------------------------------------------------------------------------------------


def _field_schema(spec: FieldSpec) -> dict[str, Any]:  # noqa: PLR0912, PLR0915
    o = spec.options
    schema: dict[str, Any] = {"title": spec.label}
    if o.get("help"):
        schema["description"] = o["help"]
    kind = spec.type
    if kind in ("text", "textarea", "commune"):
        schema["type"] = "string"
    elif kind == "integer":
        schema["type"] = "integer"
    elif kind in ("decimal", "money"):
        schema["type"] = ["number", "string"]
    elif kind == "date":
        schema.update(type="string", format="date")
    elif kind == "datetime":
        schema.update(type="string", format="date-time")
    elif kind == "email":
        schema.update(type="string", format="email")
    elif kind == "phone":
        schema.update(type="string", **{"x-format": "phone-fr"})
    elif kind == "siret":
        schema.update(type="string", pattern=r"^\d{3} ?\d{3} ?\d{3} ?\d{5}$")
    elif kind == "siren":
        schema.update(type="string", pattern=r"^\d{3} ?\d{3} ?\d{3}$")
    elif kind == "postcode":
        schema.update(type="string", pattern=r"^\d{5}$")
    elif kind == "boolean":
        schema["type"] = "boolean"
    elif kind == "choice":
        schema.update(type="string", enum=[str(c["value"]) for c in o.get("choices") or []])
    elif kind == "multichoice":
        schema.update(
            type="array", uniqueItems=True, items={"type": "string", "enum": [str(c["value"]) for c in o["choices"]]}
        )
    elif kind == "reference":
        schema.update(type="string", **{"x-reference": o.get("reference", "")})
    elif kind == "file":
        schema.update(type="string", format="binary")
        if o.get("content_types"):
            schema["x-content-types"] = list(o["content_types"])
        if o.get("max_size_mb") is not None:
            schema["x-max-size-mb"] = o["max_size_mb"]
    elif kind == "group":
        schema.update(type="array", items=_object_schema(spec.fields))
        if o.get("min_items") is not None:
            schema["minItems"] = o["min_items"]
        if o.get("max_items") is not None:
            schema["maxItems"] = o["max_items"]
    for key, target in (("min", "minimum"), ("max", "maximum")):
        if o.get(key) is not None and kind in ("integer", "decimal", "money"):
            schema[target] = o[key]
    for key, target in (("min_length", "minLength"), ("max_length", "maxLength"), ("pattern", "pattern")):
        if o.get(key) not in (None, "") and schema.get("type") == "string":
            schema[target] = o[key]
    if o.get("default") is not None:
        schema["default"] = o["default"]
    if spec.visible_if is not None:
        schema["x-visible-if"] = spec.visible_if.source
    return schema


def _object_schema(fields: tuple[FieldSpec, ...]) -> dict[str, Any]:
    inputs = [f for f in fields if f.type not in DISPLAY_ONLY]
    return {
        "type": "object",
        "properties": {f.code: _field_schema(f) for f in inputs},
        "required": [
            f.code
            for f in inputs
            if (f.required or (f.type == "group" and f.options.get("min_items"))) and f.visible_if is None
        ],
        "additionalProperties": False,
    }


def json_schema_build(form: FormSpec) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": form.name,
        **_object_schema(form.fields),
    }
