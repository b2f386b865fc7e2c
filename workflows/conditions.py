"""The condition builder: « champ / opérateur / valeur » rows joined by « et » / « ou », written as CEL.

An admin builds the usual conditions (a guard, a field's `visible_if`) without writing CEL: each row names a
field of the version, an operator offered for that field's type and, when the operator needs one, a value
typed for that field (a number, a date, one of the field's choices). `condition_cel` writes the CEL;
`condition_rows` reads back a CEL expression that the builder could have written (so that editing shows the
rows again) and answers None for anything else, which stays editable as CEL.

The CEL written compares typed values (`workflows.values`): `data.montant > 1000.0`,
`data.debut >= date("2026-01-01")`, `data.adherent == true`, `"rh" in data.besoins`, `size(data.devis) >= 2`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

TEXT = frozenset({"text", "textarea", "email", "phone", "siret", "siren", "postcode", "commune"})
NUMBER = frozenset({"integer", "decimal", "money"})
DATE = frozenset({"date", "datetime"})
CHOICE = frozenset({"choice", "reference"})
CONDITION_TYPES = TEXT | NUMBER | DATE | CHOICE | {"boolean", "multichoice", "group", "file"}


@dataclass(frozen=True)
class FieldInfo:
    """What the builder needs to know of a field: its code, type, label and choices (`[(value, label)]`)."""

    code: str
    type: str
    label: str
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Operator:
    code: str
    label: str
    types: frozenset[str]
    template: str  # `{f}`: the field's path, `{v}`: the value's CEL literal
    needs_value: bool = True
    value_kind: str = ""  # "integer" for counts of rows/items; else the field's own type


OPERATORS: tuple[Operator, ...] = (
    Operator("eq", "est égal à", TEXT | NUMBER | CHOICE, "{f} == {v}"),
    Operator("ne", "est différent de", TEXT | NUMBER | CHOICE, "{f} != {v}"),
    Operator("contains", "contient le texte", TEXT, "{f}.contains({v})"),
    Operator("gt", "est supérieur à", NUMBER, "{f} > {v}"),
    Operator("ge", "est supérieur ou égal à", NUMBER, "{f} >= {v}"),
    Operator("lt", "est inférieur à", NUMBER, "{f} < {v}"),
    Operator("le", "est inférieur ou égal à", NUMBER, "{f} <= {v}"),
    Operator("date_eq", "est le", frozenset({"date"}), "{f} == {v}"),
    Operator("before", "est avant le", DATE, "{f} < {v}"),
    Operator("from", "est le ou après le", DATE, "{f} >= {v}"),
    Operator("after", "est après le", DATE, "{f} > {v}"),
    Operator("until", "est le ou avant le", DATE, "{f} <= {v}"),
    Operator("past", "est passée (avant aujourd'hui)", DATE, "{f} < today", needs_value=False),
    Operator("future", "est à venir (après aujourd'hui)", DATE, "{f} > today", needs_value=False),
    Operator("yes", "vaut oui", frozenset({"boolean"}), "{f} == true", needs_value=False),
    Operator("no", "vaut non", frozenset({"boolean"}), "{f} == false", needs_value=False),
    Operator("has", "comprend", frozenset({"multichoice"}), "{v} in {f}"),
    Operator("has_not", "ne comprend pas", frozenset({"multichoice"}), "!({v} in {f})"),
    Operator("count_ge", "compte au moins (nombre)", frozenset({"multichoice", "group"}), "size({f}) >= {v}",
             value_kind="integer"),
    Operator("count_le", "compte au plus (nombre)", frozenset({"multichoice", "group"}), "size({f}) <= {v}",
             value_kind="integer"),
    Operator("filled", "est renseigné", CONDITION_TYPES - {"boolean"}, "", needs_value=False),
    Operator("empty", "n'est pas renseigné", CONDITION_TYPES - {"boolean"}, "", needs_value=False),
)  # fmt: skip
BY_CODE = {op.code: op for op in OPERATORS}
JOINS = {"and": ("et", " && "), "or": ("ou", " || ")}


def operators_for(kind: str) -> list[Operator]:
    return [op for op in OPERATORS if kind in op.types]


class ConditionError(ValueError):
    """A row that cannot be written as CEL; `message` is French and names the row."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _path(code: str) -> str:
    return f"data.{code}"


def _filled(info: FieldInfo) -> str:
    path = _path(info.code)
    if info.type in ("multichoice", "group"):
        return f"has({path}) && size({path}) > 0"
    if info.type in TEXT:
        return f'has({path}) && {path} != null && {path} != ""'
    return f"has({path}) && {path} != null"


def _literal(info: FieldInfo, op: Operator, raw: str, where: str) -> str:
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise ConditionError(f"{where} : indiquez une valeur.")
    kind = op.value_kind or info.type
    if kind == "integer":
        text = text.replace(" ", "").replace("\u202f", "").replace("\xa0", "")  # « 1 000 »
        if not re.fullmatch(r"-?\d+", text):
            raise ConditionError(f"{where} : « {text} » n'est pas un nombre entier.")
        return str(int(text))
    if kind in ("decimal", "money"):
        try:
            number = Decimal(text.replace(",", ".").replace(" ", "").replace("\u202f", ""))
        except InvalidOperation:
            raise ConditionError(f"{where} : « {text} » n'est pas un nombre.") from None
        rendered = format(number.normalize(), "f")
        return rendered if "." in rendered else f"{rendered}.0"
    if kind in DATE:
        day = _day(text)
        if day is None:
            raise ConditionError(f"{where} : « {text} » n'est pas une date (JJ/MM/AAAA).")
        return f'date("{day.isoformat()}")'
    if info.type in CHOICE or info.type == "multichoice":
        values = {value for value, _label in info.choices}
        if info.choices and text not in values:
            labels = {label: value for value, label in info.choices}
            if text not in labels:
                raise ConditionError(f"{where} : « {text} » n'est pas un des choix du champ.")
            text = labels[text]
    return json.dumps(text, ensure_ascii=False)


def _day(text: str) -> date | None:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None
    return None


def condition_cel(rows: Iterable[Any], join: str, fields: Mapping[str, FieldInfo]) -> str:
    """The CEL of builder rows (objects or dicts with `field`, `operator`, `value`; empty rows are skipped).
    Raises ConditionError (French, naming the row) for an unknown field or operator or a bad value."""
    if join not in JOINS:
        raise ConditionError("Choisissez « et » ou « ou » pour joindre les conditions.")
    clauses = []
    for index, row in enumerate(rows, start=1):
        get = row.get if isinstance(row, Mapping) else lambda name, row=row: getattr(row, name, "")
        code, op_code, value = (get("field") or "").strip(), (get("operator") or "").strip(), get("value") or ""
        if not code and not op_code and not str(value).strip():
            continue
        where = f"Condition {index}"
        info = fields.get(code)
        if info is None:
            raise ConditionError(f"{where} : choisissez un champ.")
        op = BY_CODE.get(op_code)
        if op is None or info.type not in op.types:
            raise ConditionError(f"{where} : choisissez une comparaison possible pour « {info.label} ».")
        if op.code == "filled":
            clause = _filled(info)
        elif op.code == "empty":
            clause = f"!({_filled(info)})"
        else:
            literal = _literal(info, op, value, where) if op.needs_value else ""
            clause = op.template.format(f=_path(code), v=literal)
        clauses.append(clause)
    if len(clauses) > 1:
        clauses = [f"({c})" if _top_level_join(c) else c for c in clauses]
    return JOINS[join][1].join(clauses)


# --- reading back -----------------------------------------------------------------------------------------------

_FIELD = r"data\.([a-z0-9_][a-z0-9_-]*)"
_LITERAL = r'("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|date\("\d{4}-\d{2}-\d{2}"\))'


def _clause_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for op in OPERATORS:
        if op.code in ("filled", "empty"):
            continue
        regex = re.escape(op.template).replace(re.escape("{f}"), _FIELD).replace(re.escape("{v}"), _LITERAL)
        patterns.append((re.compile(f"^{regex}$"), op.code))
    return patterns


_PATTERNS = _clause_patterns()


def _split(source: str) -> tuple[list[str], str] | None:
    """Split on the top-level && or || (one kind only), outside strings and parentheses."""
    parts, depth, current, quote, joins = [], 0, [], False, set()
    index = 0
    while index < len(source):
        char = source[index]
        if char == '"' and (index == 0 or source[index - 1] != "\\"):
            quote = not quote
        if not quote:
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            elif depth == 0 and source[index : index + 4] in (" && ", " || "):
                joins.add(source[index : index + 4])
                parts.append("".join(current).strip())
                current = []
                index += 4
                continue
        current.append(char)
        index += 1
    parts.append("".join(current).strip())
    if len(joins) > 1:
        return None
    join = "or" if " || " in joins else "and"
    return parts, join


def _top_level_join(clause: str) -> bool:
    split = _split(clause)
    return split is None or len(split[0]) > 1


def _unwrap(clause: str) -> str:
    if clause.startswith("(") and clause.endswith(")"):
        inner = clause[1:-1]
        split = _split(inner)
        if split is not None and len(split[0]) > 1:
            return inner
    return clause


def _value_text(literal: str, info: FieldInfo) -> str:
    if literal.startswith("date("):
        day = date.fromisoformat(literal[6:16])
        return day.strftime("%d/%m/%Y")
    if literal.startswith('"'):
        return json.loads(literal)
    if info.type in ("decimal", "money") and literal.endswith(".0"):
        return literal[:-2]
    return literal


def _clause_row(clause: str, fields: Mapping[str, FieldInfo]) -> dict[str, str] | None:
    clause = _unwrap(clause)
    for code, info in fields.items():
        if clause == _filled(info):
            return {"field": code, "operator": "filled", "value": ""}
        if clause == f"!({_filled(info)})":
            return {"field": code, "operator": "empty", "value": ""}
    for pattern, op_code in _PATTERNS:
        match = pattern.match(clause)
        if not match:
            continue
        groups = match.groups()
        op = BY_CODE[op_code]
        if op.needs_value and op.template.index("{v}") < op.template.index("{f}"):
            literal, code = groups
        else:
            code, literal = (*groups, "")[:2]
        info = fields.get(code)
        if info is None or info.type not in op.types:
            continue
        try:  # the clause must be what the builder writes for this field, value included
            written = (
                condition_cel(
                    [{"field": code, "operator": op_code, "value": _value_text(literal, info)}], "and", fields
                )
                if op.needs_value
                else op.template.format(f=_path(code), v="")
            )
        except ConditionError:
            continue
        if written == clause:
            return {"field": code, "operator": op_code, "value": _value_text(literal, info) if op.needs_value else ""}
    return None


def condition_rows(source: str, fields: Mapping[str, FieldInfo]) -> tuple[list[dict[str, str]], str] | None:
    """The builder rows and join of a CEL expression the builder could have written; None otherwise (the
    expression is then edited as CEL). An empty expression gives no rows."""
    source = (source or "").strip()
    if not source:
        return [], "and"
    single = _clause_row(source, fields)  # « est renseigné » alone is itself a conjunction
    if single is not None and condition_cel([single], "and", fields) == source:
        return [single], "and"
    split = _split(source)
    if split is None:
        return None
    parts, join = split
    rows = []
    for part in parts:
        row = _clause_row(part, fields)
        if row is None:
            return None
        rows.append(row)
    if condition_cel(rows, join, fields) != source:
        return None
    return rows, join


def condition_text(source: str, fields: Mapping[str, FieldInfo]) -> str:
    """A condition as French words (« Montant est supérieur à 1000 et Adhérente vaut oui »), for the
    builder's listings; « Condition avancée (CEL) » when the builder cannot read it; "" when empty."""
    parsed = condition_rows(source or "", fields)
    if parsed is None:
        return "Condition avancée (CEL)"
    rows, join = parsed
    words = []
    for row in rows:
        info = fields[row["field"]]
        op = BY_CODE[row["operator"]]
        value = row["value"]
        if value and info.choices and op.value_kind != "integer":
            value = dict(info.choices).get(value, value)
        words.append(f"« {info.label} » {op.label}" + (f" {value}" if op.needs_value else ""))
    return f" {JOINS[join][0]} ".join(words)


def condition_rule(source: str, fields: Mapping[str, FieldInfo]) -> dict[str, Any] | None:
    """A condition the builder can read, as the JSON description the page's script evaluates live
    (`workflows/static/workflows/form_conditions.js`): `{"join": "and"|"or", "rows": [{"field", "type", "op",
    "value"}]}`, values normalised (numbers as numbers, dates ISO, choices by value). None when the builder
    cannot read it (advanced CEL) or it names a field outside `fields`: the server alone decides then."""
    parsed = condition_rows(source or "", fields)
    if parsed is None:
        return None
    rows, join = parsed
    if not rows:
        return None
    described = []
    for row in rows:
        info = fields[row["field"]]
        op = BY_CODE[row["operator"]]
        value: Any = None
        if op.needs_value:
            kind = op.value_kind or info.type
            text = row["value"]
            if kind in NUMBER:
                value = float(Decimal(text.replace(",", ".").replace(" ", "")))
            elif kind in DATE:
                day = _day(text)
                value = day.isoformat() if day else text
            else:
                value = text
        described.append({"field": info.code, "type": info.type, "op": op.code, "value": value})
    return {"join": join, "rows": described}
