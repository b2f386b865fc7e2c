"""The journal of who changed what outside cases (`core.models.AuditEvent`): accounts and the directory."""

from __future__ import annotations

from typing import Any

from django.db import models

from core.models import AuditEvent


def _person(actor) -> Any:
    if actor is None or not getattr(actor, "is_authenticated", False) or getattr(actor, "pk", None) is None:
        return None
    return actor


def actor_label(actor) -> str:
    person = _person(actor)
    if person is None:
        return str(actor or "")[:200]
    full = f"{person.first_name} {person.last_name}".strip()
    return (f"{full} <{person.email}>" if full and person.email else full or person.get_username())[:200]


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    kind: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    target_label: str = "",
    actor=None,
    changes: dict[str, Any] | None = None,
    request=None,
) -> AuditEvent:
    """Write one journal row. `target` names the changed object (its model name, pk and text), or
    `target_type`/`target_id`/`target_label` when there is no row (a failed sign-in for an unknown name)."""
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target.pk
        target_label = target_label or str(target)
    return AuditEvent.objects.create(
        kind=kind,
        actor=_person(actor),
        actor_label=actor_label(actor),
        target_type=target_type[:40],
        target_id=str(target_id or "")[:40],
        target_label=str(target_label)[:250],
        changes=changes or {},
        ip_address=client_ip(request),
    )


def audit_list(*, target: models.Model | None = None, target_type: str = "", target_id: str | int = ""):
    """The journal of one object, newest first."""
    queryset = AuditEvent.objects.select_related("actor")
    if target is not None:
        target_type, target_id = target._meta.model_name, target.pk
    if target_type:
        queryset = queryset.filter(target_type=target_type)
    if target_id != "":
        queryset = queryset.filter(target_id=str(target_id))
    return queryset


def _verbose_names(target_type: str) -> dict[str, str]:
    from django.apps import apps

    try:
        model = apps.get_model("core", target_type)
    except LookupError:
        return {}
    return {field.name: str(getattr(field, "verbose_name", field.name)) for field in model._meta.get_fields()}


CHANGE_LABELS = {
    "partnership": "partenariat",
    "start_date": "à partir du",
    "services": "services",
    "email": "adresse",
    "structure": "structure",
    "operator": "opérateur",
    "person": "personne",
    "first_name": "prénom",
    "last_name": "nom",
    "username": "identifiant",
    "reason": "motif",
    "second_factor": "double authentification",
    "device": "appareil",
}


def audit_describe(event: AuditEvent) -> str:
    """A French sentence for what an event changed (role codes shown by their labels, never raw values)."""
    from core.roles import role_label

    changes = dict(event.changes or {})
    parts = []
    if "before" in changes or "after" in changes:
        before = ", ".join(role_label(c) for c in changes.pop("before", [])) or "aucun"
        after = ", ".join(role_label(c) for c in changes.pop("after", [])) or "aucun"
        parts.append(f"rôles : {before} → {after}")
    if "roles" in changes:
        parts.append("rôles : " + ", ".join(role_label(c) for c in changes.pop("roles")))
    if changes.pop("replaced", False):
        parts.append("remplacée par une nouvelle invitation")
    fields = _verbose_names(event.target_type)
    for key, value in changes.items():
        label = CHANGE_LABELS.get(key) or fields.get(key) or key.replace("_", " ")
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{label} : {value[0] or '—'} → {value[1] or '—'}")
        elif isinstance(value, dict | list):
            continue
        else:
            parts.append(f"{label} : {value}")
    return " ; ".join(parts)
