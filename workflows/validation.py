"""Checks of a definition before it is published, with precise French messages."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from workflows import registry
from workflows.exceptions import ExpressionError
from workflows.expressions import expression_compile
from workflows.serialization import spec_check_shape


def _duplicates(codes: list[str]) -> list[str]:
    return sorted(code for code, count in Counter(codes).items() if count > 1)


def _fields_check(  # noqa: PLR0912
    fields: list[dict[str, Any]], where: str, names: frozenset[str], lists: set[str] | None
) -> list[str]:
    errors = [
        f"{where} : le champ « {code} » est défini plusieurs fois." for code in _duplicates([f["code"] for f in fields])
    ]
    for f in fields:
        label = f"{where}, champ « {f['code']} »"
        kind = f.get("type")
        if f.get("visible_if"):
            try:
                expression_compile(f["visible_if"], functions=names)
            except ExpressionError as exc:
                errors.append(f"{label} : condition d'affichage — {exc.message}")
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


def spec_validate(spec: Any, *, reference_lists: set[str] | None = None) -> list[str]:  # noqa: PLR0912
    """Every problem that forbids publishing the spec, as French messages (empty when it can be published)."""
    errors = spec_check_shape(spec)
    if errors:
        return errors
    names = frozenset(registry.guard_functions())
    states = spec.get("states", [])
    transitions = spec.get("transitions", [])
    forms = spec.get("forms", [])
    state_codes = {s["code"] for s in states}
    form_codes = {f["code"] for f in forms}

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
        if t.get("guard"):
            try:
                expression_compile(t["guard"], functions=names)
            except ExpressionError as exc:
                errors.append(f"{where} : condition — {exc.message}")

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
