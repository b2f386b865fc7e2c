"""The `ppe-workflow/1` format (docs/workflow-format.md): a version as a plain dict, as YAML, and back to rows.

`version_spec(version)` gives the dict (the published snapshot when the version is frozen); `spec_to_yaml`
writes it with a stable key order that reads well in a diff; `yaml_to_spec` parses and checks the shape;
`version_rows_create` writes a spec as the rows of a draft version.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml

from workflows.exceptions import DefinitionInvalid
from workflows.models import FieldDefinition, FormDefinition, State, Transition, WorkflowDefinition, WorkflowVersion

FORMAT = "ppe-workflow/1"

TOP_KEYS = (
    "format",
    "code",
    "name",
    "description",
    "pole",
    "reference_prefix",
    "open_form",
    "open_roles",
    "forms",
    "states",
    "transitions",
)
FORM_KEYS = ("code", "name", "fields")
STATE_KEYS = ("code", "label", "kind", "sla_days", "responsible")
TRANSITION_KEYS = ("code", "label", "from", "to", "roles", "guard", "guard_message", "form", "comment", "actions")
# Field options, in export order; the model column of each.
FIELD_OPTIONS = {
    "required": "required",
    "help": "help",
    "min": "min_value",
    "max": "max_value",
    "min_length": "min_length",
    "max_length": "max_length",
    "pattern": "pattern",
    "choices": "choices",
    "reference": "reference",
    "visible_if": "visible_if",
    "content_types": "content_types",
    "max_size_mb": "max_size_mb",
    "decimal_places": "decimal_places",
    "min_items": "min_items",
    "max_items": "max_items",
    "default": "default",
    "personal": "personal",
}
FIELD_KEYS = ("code", "type", "label", *FIELD_OPTIONS, "fields")
FIELD_TYPES = frozenset(FieldDefinition.Type.values)
STATE_KINDS = frozenset(State.Kind.values)
COMMENT_MODES = frozenset(Transition.Comment.values)


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _empty(value: Any) -> bool:
    return value is None or value is False or value in ("", [])


# --- rows → spec ----------------------------------------------------------------------------------------------


def _field_spec(field: FieldDefinition, subfields: dict[int, list[FieldDefinition]]) -> dict[str, Any]:
    spec: dict[str, Any] = {"code": field.code, "type": field.type, "label": field.label}
    for key, column in FIELD_OPTIONS.items():
        value = getattr(field, column)
        if isinstance(value, Decimal):
            value = _number(value)
        if key in ("default", "personal"):
            if value is not None:
                spec[key] = value
        elif not _empty(value):
            spec[key] = value
    children = subfields.get(field.pk, [])
    if field.type == FieldDefinition.Type.GROUP or children:
        spec["fields"] = [_field_spec(child, subfields) for child in children]
    return spec


def version_spec(version: WorkflowVersion) -> dict[str, Any]:  # noqa: PLR0912
    """The version as a `ppe-workflow/1` dict: the stored snapshot once published, else read from its rows."""
    if version.is_frozen and version.snapshot:
        return version.snapshot
    definition = version.definition
    forms = []
    for form in version.forms.order_by("code"):
        fields = list(form.fields.order_by("position", "pk"))
        subfields: dict[int, list[FieldDefinition]] = {}
        for field in fields:
            if field.group_id:
                subfields.setdefault(field.group_id, []).append(field)
        forms.append(
            {
                "code": form.code,
                "name": form.name,
                "fields": [_field_spec(field, subfields) for field in fields if not field.group_id],
            }
        )
    states = []
    for state in version.states.order_by("position", "pk"):
        item: dict[str, Any] = {"code": state.code, "label": state.label, "kind": state.kind}
        if state.sla_days is not None:
            item["sla_days"] = state.sla_days
        if state.responsible:
            item["responsible"] = state.responsible
        states.append(item)
    transitions = []
    for transition in (
        version.transitions.order_by("position", "pk").prefetch_related("sources").select_related("target")
    ):
        item = {
            "code": transition.code,
            "label": transition.label,
            "from": [s.code for s in sorted(transition.sources.all(), key=lambda s: (s.position, s.pk))],
            "to": transition.target.code if transition.target_id else transition.target_code,
            "roles": list(transition.roles),
        }
        if transition.guard:
            item["guard"] = transition.guard
        if transition.guard_message:
            item["guard_message"] = transition.guard_message
        if transition.form:
            item["form"] = transition.form
        if transition.comment != Transition.Comment.NONE:
            item["comment"] = transition.comment
        if transition.actions:
            item["actions"] = list(transition.actions)
        transitions.append(item)
    return {
        "format": FORMAT,
        "code": definition.code,
        "name": definition.name,
        "description": definition.description,
        "pole": definition.pole,
        "reference_prefix": definition.reference_prefix,
        "open_form": definition.open_form,
        "open_roles": list(definition.open_roles),
        "forms": forms,
        "states": states,
        "transitions": transitions,
    }


# --- spec ↔ YAML ----------------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(isinstance(item, str | int | float | bool) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


def _represent_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    # Choices ({value, label}) read best on one line.
    flow = set(data) <= {"value", "label"} and bool(data)
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(dict, _represent_dict)


def _ordered(spec: dict[str, Any]) -> dict[str, Any]:
    def order(item: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
        return {key: item[key] for key in keys if key in item}

    def field(item: dict[str, Any]) -> dict[str, Any]:
        out = order(item, FIELD_KEYS)
        if "fields" in out:
            out["fields"] = [field(child) for child in out["fields"]]
        if "choices" in out:
            out["choices"] = [order(choice, ("value", "label")) for choice in out["choices"]]
        return out

    out = order(spec, TOP_KEYS)
    out["forms"] = [
        {**order(form, FORM_KEYS), "fields": [field(f) for f in form.get("fields", [])]} for form in spec["forms"]
    ]
    out["states"] = [order(state, STATE_KEYS) for state in spec["states"]]
    out["transitions"] = [order(transition, TRANSITION_KEYS) for transition in spec["transitions"]]
    return out


def spec_to_yaml(spec: dict[str, Any]) -> str:
    return yaml.dump(_ordered(spec), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def _check_keys(item: Any, allowed: tuple[str, ...], where: str, errors: list[str]) -> bool:
    if not isinstance(item, dict):
        errors.append(f"{where} : un objet (clé: valeur) est attendu.")
        return False
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        errors.append(f"{where} : clé(s) inconnue(s) {', '.join(unknown)}.")
    if "code" in allowed and not isinstance(item.get("code"), str):
        errors.append(f"{where} : le code est obligatoire.")
        return False
    return True


def _check_field(item: Any, where: str, errors: list[str]) -> None:
    if not _check_keys(item, FIELD_KEYS, where, errors):
        return
    where = f"{where} « {item['code']} »"
    if item.get("type") not in FIELD_TYPES:
        errors.append(f"{where} : type de champ inconnu « {item.get('type')} ».")
    if not isinstance(item.get("label"), str):
        errors.append(f"{where} : le libellé est obligatoire.")
    if "personal" in item and not isinstance(item["personal"], bool):
        errors.append(f"{where} : « personal » vaut true ou false.")
    for number in ("min", "max", "max_size_mb"):
        if number in item and not isinstance(item[number], int | float):
            errors.append(f"{where} : « {number} » doit être un nombre.")  # noqa: PERF401
    for integer in ("min_length", "max_length", "decimal_places", "min_items", "max_items"):
        if integer in item and (not isinstance(item[integer], int) or item[integer] < 0):
            errors.append(f"{where} : « {integer} » doit être un entier positif.")  # noqa: PERF401
    choices = item.get("choices", [])
    if not isinstance(choices, list) or not all(isinstance(c, dict) and "value" in c and "label" in c for c in choices):
        errors.append(f"{where} : « choices » doit être une liste de {{value, label}}.")
    for sub in item.get("fields", []) or []:
        _check_field(sub, f"{where}, sous-champ", errors)


def spec_check_shape(spec: Any) -> list[str]:  # noqa: PLR0912
    """French messages for a spec whose shape is wrong (keys, types); empty when it can be written as rows."""
    errors: list[str] = []
    if not isinstance(spec, dict):
        return ["Le fichier doit contenir un objet YAML (clé: valeur)."]
    if spec.get("format") != FORMAT:
        errors.append(f"Format « {spec.get('format')} » non reconnu : « {FORMAT} » attendu.")
    unknown = sorted(set(spec) - set(TOP_KEYS))
    if unknown:
        errors.append(f"Clé(s) inconnue(s) : {', '.join(unknown)}.")
    for key in ("code", "name"):
        if not isinstance(spec.get(key), str) or not spec.get(key):
            errors.append(f"La clé « {key} » est obligatoire.")  # noqa: PERF401
    if not isinstance(spec.get("open_roles", []), list):
        errors.append("« open_roles » doit être une liste de rôles.")
    for key in ("forms", "states", "transitions"):
        if not isinstance(spec.get(key, []), list):
            errors.append(f"« {key} » doit être une liste.")
            return errors
    for form in spec.get("forms", []):
        if _check_keys(form, FORM_KEYS, "Formulaire", errors):
            for field in form.get("fields", []) or []:
                _check_field(field, f"Formulaire « {form['code']} », champ", errors)
    for state in spec.get("states", []):
        if _check_keys(state, STATE_KEYS, "État", errors):
            if state.get("kind", "normal") not in STATE_KINDS:
                errors.append(f"État « {state['code']} » : type « {state.get('kind')} » inconnu.")
            sla = state.get("sla_days")
            if sla is not None and (not isinstance(sla, int) or sla < 0):
                errors.append(f"État « {state['code']} » : le délai doit être un nombre entier de jours.")
    for transition in spec.get("transitions", []):
        if _check_keys(transition, TRANSITION_KEYS, "Transition", errors):
            where = f"Transition « {transition['code']} »"
            if not isinstance(transition.get("from"), list) or not transition.get("from"):
                errors.append(f"{where} : « from » doit lister au moins un état de départ.")
            if not isinstance(transition.get("to"), str):
                errors.append(f"{where} : « to » (l'état d'arrivée) est obligatoire.")
            if transition.get("comment", "none") not in COMMENT_MODES:
                errors.append(f"{where} : « comment » vaut none, optional ou required.")
            for key in ("roles", "actions"):
                if not isinstance(transition.get(key, []), list):
                    errors.append(f"{where} : « {key} » doit être une liste.")  # noqa: PERF401
    return errors


def yaml_to_spec(source: str) -> dict[str, Any]:
    try:
        spec = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1}, colonne {mark.column + 1})" if mark else ""
        raise DefinitionInvalid([f"YAML illisible{where} : {getattr(exc, 'problem', exc)}."]) from None
    errors = spec_check_shape(spec)
    if errors:
        raise DefinitionInvalid(errors)
    return spec


# --- spec → rows ----------------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _field_rows_create(form: FormDefinition, items: list[dict[str, Any]], group: FieldDefinition | None) -> None:
    for position, item in enumerate(items):
        values: dict[str, Any] = {}
        for key, column in FIELD_OPTIONS.items():
            if key not in item:
                continue
            value = item[key]
            if column in ("min_value", "max_value", "max_size_mb"):
                value = _decimal(value)
            elif value is None and column not in ("default",):
                continue
            values[column] = value
        field = FieldDefinition.objects.create(
            form=form,
            group=group,
            position=position,
            code=item["code"],
            type=item["type"],
            label=item["label"],
            **values,
        )
        if item.get("fields"):
            _field_rows_create(form, item["fields"], field)


def definition_fields_update(definition: WorkflowDefinition, spec: dict[str, Any]) -> None:
    definition.name = spec["name"]
    definition.description = spec.get("description") or ""
    definition.pole = spec.get("pole") or ""
    definition.reference_prefix = spec.get("reference_prefix") or ""
    definition.open_form = spec.get("open_form") or ""
    definition.open_roles = list(spec.get("open_roles") or [])


def version_rows_create(version: WorkflowVersion, spec: dict[str, Any]) -> None:
    """Write a spec's forms, states and transitions as rows of a (draft) version."""
    for form_spec in spec.get("forms", []):
        form = FormDefinition.objects.create(version=version, code=form_spec["code"], name=form_spec.get("name") or "")
        _field_rows_create(form, form_spec.get("fields") or [], None)
    states: dict[str, State] = {}
    for position, item in enumerate(spec.get("states", [])):
        states[item["code"]] = State.objects.create(
            version=version,
            position=position,
            code=item["code"],
            label=item.get("label") or item["code"],
            kind=item.get("kind", State.Kind.NORMAL),
            sla_days=item.get("sla_days"),
            responsible=item.get("responsible") or "",
        )
    for position, item in enumerate(spec.get("transitions", [])):
        transition = Transition.objects.create(
            version=version,
            position=position,
            code=item["code"],
            label=item.get("label") or item["code"],
            target=states.get(item["to"]),
            target_code=item["to"],
            roles=list(item.get("roles") or []),
            guard=item.get("guard") or "",
            guard_message=item.get("guard_message") or "",
            form=item.get("form") or "",
            comment=item.get("comment", Transition.Comment.NONE),
            actions=list(item.get("actions") or []),
        )
        transition.sources.set([states[code] for code in item["from"] if code in states])
