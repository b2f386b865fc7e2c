"""The territory's directory: structures and ESS operators, and a structure's partnership with its
municipality (with history)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.models import AuditEvent, MunicipalityPartnership, Operator, Structure
from core.services.audit import audit_record

logger = logging.getLogger("ppe.directory")

STRUCTURE_FIELDS = (
    "name", "kind", "network", "siret", "address", "postcode", "commune", "commune_insee", "places",
    "employees", "fte", "professionalisation", "email", "phone", "is_active", "status",
)  # fmt: skip
OPERATOR_FIELDS = (
    "name", "legal_form", "siret", "description", "communes_covered", "capacity", "email", "phone", "website",
    "is_active",
)  # fmt: skip


def _assign(instance: Any, fields: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, list[str]]:
    """Set the fields; returns what changed ({field: [before, after]} as text) for the journal."""
    unknown = set(fields) - set(allowed) - {"services"}
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    changes = {}
    for name, value in fields.items():
        if name != "services":
            before = getattr(instance, name, None)
            if before != value:
                changes[name] = ["" if before is None else str(before), "" if value is None else str(value)]
            setattr(instance, name, value)
    return changes


@transaction.atomic
def structure_create(*, actor=None, **fields: Any) -> Structure:
    structure = Structure()
    _assign(structure, fields, STRUCTURE_FIELDS)
    structure.full_clean()
    structure.save()
    audit_record(kind=AuditEvent.Kind.CREATED, target=structure, actor=actor)
    return structure


@transaction.atomic
def structure_update(*, structure: Structure, actor=None, **fields: Any) -> Structure:
    changes = _assign(structure, fields, STRUCTURE_FIELDS)
    structure.full_clean()
    structure.save()
    if changes:
        audit_record(kind=AuditEvent.Kind.UPDATED, target=structure, actor=actor, changes=changes)
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
    audit_record(kind=AuditEvent.Kind.CREATED, target=operator, actor=actor)
    return operator


@transaction.atomic
def operator_update(*, operator: Operator, actor=None, **fields: Any) -> Operator:
    services = fields.pop("services", None)
    changes = _assign(operator, fields, OPERATOR_FIELDS)
    operator.full_clean()
    operator.save()
    if services is not None:
        before = {s.pk for s in operator.services.all()}
        operator.services.set(services)
        after = {s.pk for s in operator.services.all()}
        if before != after:
            changes["services"] = ", ".join(sorted(str(s) for s in operator.services.all()))
    if changes:
        audit_record(kind=AuditEvent.Kind.UPDATED, target=operator, actor=actor, changes=changes)
    return operator


@transaction.atomic
def partnership_change(
    *,
    structure: Structure,
    kind: str,
    municipality: str,
    start_date: dt.date,
    annual_amount: Decimal | None = None,
    places_purchased: int | None = None,
    notes: str = "",
    actor: Any,
) -> MunicipalityPartnership:
    """Record a structure's new partnership with its municipality from `start_date`.

    The current period (if any) is closed the day before; a new row is written, so the history of the
    partnership stays readable. Refuses (French `ValidationError`) a start that does not follow the current
    period's start, an unknown kind, amounts on a kind without subsidy.
    """
    structure = Structure.objects.select_for_update().get(pk=structure.pk)
    current = structure.partnerships.filter(end_date__isnull=True).order_by("-start_date").first()
    if current is not None and start_date <= current.start_date:
        raise ValidationError(
            {
                "start_date": (
                    f"Le nouveau partenariat doit commencer après le début du partenariat en cours "
                    f"({current.start_date:%d/%m/%Y})."
                )
            }
        )
    if kind == MunicipalityPartnership.Kind.NONE and (annual_amount or places_purchased):
        raise ValidationError(
            {"annual_amount": "Un partenariat « sans aide de la collectivité » n'a ni montant ni places achetées."}
        )
    if places_purchased and kind != MunicipalityPartnership.Kind.PLACES_PURCHASE:
        raise ValidationError({"places_purchased": "Des places achetées supposent un partenariat « Achat de places »."})
    new = MunicipalityPartnership(
        structure=structure,
        municipality=municipality.strip(),
        kind=kind,
        annual_amount=annual_amount,
        places_purchased=places_purchased,
        start_date=start_date,
        notes=notes,
    )
    new.full_clean()
    if current is not None:
        current.end_date = start_date - dt.timedelta(days=1)
        current.save(update_fields=["end_date"])
    new.save()
    audit_record(
        kind=AuditEvent.Kind.UPDATED,
        target=structure,
        actor=actor,
        changes={"partnership": [current.get_kind_display() if current else "", new.get_kind_display()],
                 "start_date": ["", f"{start_date:%d/%m/%Y}"]},
    )  # fmt: skip
    logger.info(
        "structure %s: partnership %s from %s by %s", structure.pk, kind, start_date, getattr(actor, "username", actor)
    )
    return new
