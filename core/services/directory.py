"""The territory's directory: structures and ESS operators."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.models import Operator, Structure

STRUCTURE_FIELDS = (
    "name", "kind", "network", "siret", "address", "postcode", "commune", "commune_insee", "places",
    "employees", "fte", "professionalisation", "email", "phone", "is_active",
)  # fmt: skip
OPERATOR_FIELDS = (
    "name", "legal_form", "siret", "description", "communes_covered", "capacity", "email", "phone", "website",
    "is_active",
)  # fmt: skip


def _assign(instance: Any, fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed) - {"services"}
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    for name, value in fields.items():
        if name != "services":
            setattr(instance, name, value)


@transaction.atomic
def structure_create(*, actor=None, **fields: Any) -> Structure:
    structure = Structure()
    _assign(structure, fields, STRUCTURE_FIELDS)
    structure.full_clean()
    structure.save()
    return structure


@transaction.atomic
def structure_update(*, structure: Structure, actor=None, **fields: Any) -> Structure:
    _assign(structure, fields, STRUCTURE_FIELDS)
    structure.full_clean()
    structure.save()
    return structure


@transaction.atomic
def operator_create(*, actor=None, **fields: Any) -> Operator:
    operator = Operator()
    services = fields.pop("services", None)
    _assign(operator, fields, OPERATOR_FIELDS)
    operator.full_clean()
    operator.save()
    if services is not None:
        operator.services.set(services)
    return operator


@transaction.atomic
def operator_update(*, operator: Operator, actor=None, **fields: Any) -> Operator:
    services = fields.pop("services", None)
    _assign(operator, fields, OPERATOR_FIELDS)
    operator.full_clean()
    operator.save()
    if services is not None:
        operator.services.set(services)
    return operator
