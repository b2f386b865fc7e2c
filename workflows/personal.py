"""Which values of a case's forms are personal data (RGPD): a field's own « donnée personnelle » answer, else a
default by its type and code.

A field says `personal: true` or `personal: false` in its spec (the form builder's « Donnée personnelle »);
without it, e-mail addresses, phone numbers, files and long free texts (which may name people) are personal, and
so are short texts whose code names a person or an address (`contact_name`, `first_name`, `nom`, `adresse`…)
unless it names an organisation (`structure_name`).
A repeatable group is personal through its subfields. `personal_values_redact` replaces the personal values of a
data mapping (or of a data diff) by a French marker, keeping every other value as it was.
"""

from __future__ import annotations

import re
from typing import Any

from workflows.forms import DISPLAY_ONLY, FieldSpec

PERSONAL_TYPES = frozenset({"email", "phone", "file", "textarea"})
PERSONAL_CODE_WORDS = frozenset({
    "name", "nom", "prenom", "firstname", "lastname", "surname", "contact", "adresse", "address", "domicile",
    "birth", "naissance", "email", "courriel", "mail", "phone", "telephone", "tel", "mobile", "home",
})  # fmt: skip
# Words that name an organisation, not a person (a structure's or a community's name stays).
ORGANISATION_CODE_WORDS = frozenset({
    "structure", "collectivite", "association", "organisme", "entreprise", "societe", "operator", "operateur",
    "federation", "reseau", "service", "projet", "laureat", "titre", "section",
})  # fmt: skip
_WORDS = re.compile(r"[a-z]+")


def field_is_personal(spec: FieldSpec) -> bool:
    """Whether a field's values are personal data (its own answer first, else by type and code)."""
    answer = spec.options.get("personal")
    if isinstance(answer, bool):
        return answer
    if spec.type in DISPLAY_ONLY or spec.type == "group":
        return False
    if spec.type in PERSONAL_TYPES:
        return True
    if spec.type in ("text", "commune", "postcode"):
        words = set(_WORDS.findall(spec.code.lower().replace("é", "e")))
        return bool(words & PERSONAL_CODE_WORDS) and not words & ORGANISATION_CODE_WORDS
    return False


def _redact_value(spec: FieldSpec, value: Any, marker: str) -> Any:
    if value in (None, "", [], {}):
        return value
    if spec.type == "group":
        if not isinstance(value, list):
            return value
        subs = {sub.code: sub for sub in spec.fields}
        return [
            {k: _redact_value(subs[k], v, marker) if k in subs else v for k, v in item.items()}
            if isinstance(item, dict)
            else item
            for item in value
        ]
    return marker if field_is_personal(spec) else value


def personal_values_redact(data: dict[str, Any], specs: dict[str, FieldSpec], marker: str) -> dict[str, Any]:
    """`data` (field code → value) with its personal values replaced by `marker`; values no form knows are kept."""
    return {code: _redact_value(specs[code], value, marker) if code in specs else value for code, value in data.items()}


def personal_files(data: dict[str, Any], specs: dict[str, FieldSpec]) -> list[dict[str, Any]]:
    """The stored files (`{name, path, size, content_type}`) among `data`'s values, groups included."""
    found: list[dict[str, Any]] = []

    def visit(spec: FieldSpec | None, value: Any) -> None:
        if isinstance(value, dict) and value.get("path") and (spec is None or spec.type == "file"):
            found.append(value)
        elif isinstance(value, list) and spec is not None and spec.type == "group":
            subs = {sub.code: sub for sub in spec.fields}
            for item in value:
                if isinstance(item, dict):
                    for key, sub_value in item.items():
                        visit(subs.get(key), sub_value)

    for code, value in data.items():
        spec = specs.get(code)
        if spec is not None and spec.type in ("file", "group"):
            visit(spec, value)
    return found
