"""Checks of a definition before it is published, with precise French messages."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from workflows import registry
from workflows.exceptions import ExpressionError
from workflows.expressions import VARIABLES, expression_compile, expression_evaluate
from workflows.serialization import spec_check_shape


def _duplicates(codes: list[str]) -> list[str]:
    return sorted(code for code, count in Counter(codes).items() if count > 1)


SAMPLE = {
    "text": "texte", "textarea": "texte", "integer": 1, "decimal": 1.5, "money": 1.5, "boolean": True,
    "multichoice": ["a"], "group": [], "file": {"name": "f.pdf", "size": 1, "content_type": "application/pdf"},
}  # fmt: skip


def _sample_data(forms: list[dict[str, Any]]) -> dict[str, Any]:
    """A typed value for every field of the spec's forms: enough to tell what a guard's result is."""
    from datetime import UTC, datetime

    moment = datetime(2026, 1, 15, tzinfo=UTC)
    data: dict[str, Any] = {}
    for form in forms:
        for f in form.get("fields") or []:
            kind = f.get("type")
            if kind in ("section", "help"):
                continue
            if kind in ("date", "datetime"):
                data[f["code"]] = moment
            elif kind in ("choice", "reference"):
                data[f["code"]] = str((f.get("choices") or [{"value": "a"}])[0].get("value", "a"))
            else:
                data[f["code"]] = SAMPLE.get(kind, "texte")
    return data


def _expression_problems(source: str, where: str, names: frozenset[str], *, sample: dict[str, Any] | None) -> list[str]:
    """An expression's unknown variables and, for a guard (`sample` given), a result that is not true or
    false on sample values (« data.montant + 1 »)."""
    try:
        program = expression_compile(source, functions=names)
    except ExpressionError as exc:
        return [f"{where} — {exc.message}"]
    unknown = sorted(set(program.references()["variables"]) - VARIABLES)
    if unknown:
        return [f"{where} : variable inconnue « {unknown[0]} » (possibles : data, case, actor, today)."]
    if sample is None:
        return []
    from datetime import UTC, datetime

    moment = datetime(2026, 1, 15, tzinfo=UTC)
    context = {
        "data": sample,
        "case": {"state": "", "reference": "", "structure": None, "created_at": moment, "age_days": 1},
        "actor": {"roles": [], "id": 1},
        "today": moment,
    }
    try:
        result = expression_evaluate(program, context, registry.guard_functions())
    except ExpressionError:
        return []  # cannot tell on sample values: the runtime refuses it if it ever is not a yes or no
    if not isinstance(result, bool):
        return [f"{where} : la condition doit valoir vrai ou faux (ici : une valeur d'un autre type)."]
    return []


def _fields_check(fields: list[dict[str, Any]], where: str, names: frozenset[str], lists: set[str] | None) -> list[str]:
    errors = [
        f"{where} : le champ « {code} » est défini plusieurs fois." for code in _duplicates([f["code"] for f in fields])
    ]
    for f in fields:
        label = f"{where}, champ « {f['code']} »"
        kind = f.get("type")
        if f.get("visible_if"):
            errors.extend(_expression_problems(f["visible_if"], f"{label} : condition d'affichage", names, sample=None))
        if kind in ("choice", "multichoice") and not f.get("choices"):
            errors.append(f"{label} : un choix unique ou multiple doit proposer des choix.")
        if kind == "reference":
            if not f.get("reference"):
                errors.append(f"{label} : la liste de référence n'est pas indiquée.")
            elif lists is not None and f["reference"] not in lists:
                errors.append(f"{label} : la liste de référence « {f['reference']} » n'existe pas.")
        if kind == "group" and not f.get("fields"):
            errors.append(f"{label} : un groupe répétable doit contenir des champs.")
        if f.get("fields") and kind != "group":
            errors.append(f"{label} : seuls les groupes répétables contiennent des champs.")
        if f.get("min") is not None and f.get("max") is not None and f["min"] > f["max"]:
            errors.append(f"{label} : le minimum dépasse le maximum.")
        if f.get("pattern"):
            import re

            try:
                re.compile(f["pattern"])
            except re.error as exc:
                errors.append(f"{label} : motif invalide ({exc}).")
        if f.get("fields"):
            errors.extend(_fields_check(f["fields"], label, names, lists))
    return errors


def spec_validate(spec: Any, *, reference_lists: set[str] | None = None) -> list[str]:  # noqa: PLR0912, PLR0915
    """Every problem that forbids publishing the spec, as French messages (empty when it can be published).
    `reference_lists` (the territory's list codes) also turns on the checks of roles and actions."""
    errors = spec_check_shape(spec)
    if errors:
        return errors
    names = frozenset(registry.guard_functions())
    states = spec.get("states", [])
    transitions = spec.get("transitions", [])
    forms = spec.get("forms", [])
    state_codes = {s["code"] for s in states}
    form_codes = {f["code"] for f in forms}
    # In a territory (the services pass its reference lists), roles and actions are checked against what it
    # offers; a spec checked on its own (no territory) is checked for its shape and graph only.
    in_territory = reference_lists is not None
    roles = {code for code, _label in registry.choices("roles")} if in_territory else set()
    actions = {code for code, _label in registry.choices("actions")} if in_territory else set()
    sample = _sample_data(forms)
    for s in states:
        if s.get("responsible") and roles and s["responsible"] not in roles:
            errors.append(f"État « {s['code']} » : le rôle responsable « {s['responsible']} » n'existe pas.")
    for role in spec.get("open_roles") or []:
        if roles and role not in roles:
            errors.append(f"Rôles autorisés à ouvrir un dossier : le rôle « {role} » n'existe pas.")

    for code in _duplicates([s["code"] for s in states]):
        errors.append(f"L'état « {code} » est défini plusieurs fois.")
    for code in _duplicates([t["code"] for t in transitions]):
        errors.append(f"La transition « {code} » est définie plusieurs fois.")
    for code in _duplicates([f["code"] for f in forms]):
        errors.append(f"Le formulaire « {code} » est défini plusieurs fois.")

    initials = [s["code"] for s in states if s.get("kind", "normal") == "initial"]
    if not initials:
        errors.append("Aucun état initial : marquez un état comme « initial ».")
    elif len(initials) > 1:
        errors.append(f"Plusieurs états initiaux ({', '.join(initials)}) : il en faut un seul.")
    finals = {s["code"] for s in states if s.get("kind") == "final"}

    for t in transitions:
        where = f"Transition « {t['code']} »"
        for source in t["from"]:
            if source not in state_codes:
                errors.append(f"{where} : l'état de départ « {source} » n'existe pas.")
            elif source in finals:
                errors.append(f"L'état final « {source} » a une transition sortante (« {t['code']} »).")
        if t["to"] not in state_codes:
            errors.append(f"{where} : l'état d'arrivée « {t['to']} » n'existe pas.")
        if t.get("form") and t["form"] not in form_codes:
            errors.append(f"{where} : le formulaire « {t['form']} » n'existe pas.")
        if not t.get("roles"):
            errors.append(f"{where} : aucun rôle n'est autorisé à l'effectuer.")
        for role in t.get("roles") or []:
            if roles and role not in roles:
                errors.append(f"{where} : le rôle « {role} » n'existe pas sur ce territoire.")
        for action in t.get("actions") or []:
            if actions and action not in actions:
                errors.append(f"{where} : l'action « {action} » n'existe pas (pôle désactivé ou nom mal écrit).")
        if t.get("guard"):
            errors.extend(_expression_problems(t["guard"], f"{where} : condition", names, sample=sample))

    if spec.get("open_form") and spec["open_form"] not in form_codes:
        errors.append(f"Le formulaire d'ouverture « {spec['open_form']} » n'existe pas.")
    for form in forms:
        errors.extend(_fields_check(form.get("fields") or [], f"Formulaire « {form['code']} »", names, reference_lists))

    if len(initials) == 1:
        reached = {initials[0]}
        queue = deque(reached)
        while queue:
            current = queue.popleft()
            for t in transitions:
                if current in t["from"] and t["to"] in state_codes and t["to"] not in reached:
                    reached.add(t["to"])
                    queue.append(t["to"])
        for s in states:
            if s["code"] not in reached:
                errors.append(f"L'état « {s['code']} » ({s.get('label', '')}) est inatteignable depuis l'état initial.")
    if not finals and states:
        errors.append("Aucun état final : un dossier doit pouvoir être clôturé.")
    leaving = {source for t in transitions for source in t["from"]}
    for s in states:
        if s.get("kind", "normal") != "final" and s["code"] not in leaving:
            errors.append(
                f"L'état « {s['code']} » ({s.get('label', '')}) n'est pas final et aucune transition n'en sort : "
                "un dossier y resterait bloqué."
            )
    return errors


def spec_representable(spec: dict[str, Any]) -> list[str]:
    """The problems that forbid even writing a draft (duplicate codes, unknown source states)."""
    errors = spec_check_shape(spec)
    if errors:
        return errors
    codes = [s["code"] for s in spec.get("states", [])]
    errors += [f"L'état « {c} » est défini plusieurs fois." for c in _duplicates(codes)]
    errors += [
        f"La transition « {c} » est définie plusieurs fois."
        for c in _duplicates([t["code"] for t in spec.get("transitions", [])])
    ]
    errors += [
        f"Le formulaire « {c} » est défini plusieurs fois."
        for c in _duplicates([f["code"] for f in spec.get("forms", [])])
    ]
    for t in spec.get("transitions", []):
        errors += [
            f"Transition « {t['code']} » : l'état de départ « {s} » n'existe pas." for s in t["from"] if s not in codes
        ]
    return errors
