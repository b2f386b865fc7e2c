"""The territory's service catalogue, seeded from what the poles register."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction

from core.hookspecs import CatalogueServiceSpec
from core.models import CatalogueService
from core.plugins import results_by_pole

_SHIPPED_FIELDS = ("title", "summary", "description", "audience")


def _checksum(values: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()


def _spec_values(spec: CatalogueServiceSpec) -> dict[str, str]:
    return {name: getattr(spec, name) for name in _SHIPPED_FIELDS}


def _row_values(service: CatalogueService) -> dict[str, str]:
    return {name: getattr(service, name) for name in _SHIPPED_FIELDS}


@dataclass
class CatalogueSyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_local_changes: list[str] = field(default_factory=list)


@transaction.atomic
def catalogue_sync() -> CatalogueSyncReport:
    """Create or upgrade the catalogue from the active poles' `catalogue_services` hook.

    A service an admin has edited since it was shipped is never overwritten: it is reported in
    `kept_local_changes` so that a person decides.
    """
    report = CatalogueSyncReport()
    for pole, specs in results_by_pole("catalogue_services").items():
        for spec in specs:
            shipped = _spec_values(spec)
            service = CatalogueService.objects.filter(code=spec.code).first()
            if service is None:
                CatalogueService.objects.create(
                    pole=pole, code=spec.code, shipped_checksum=_checksum(shipped), **shipped
                )
                report.created.append(spec.code)
                continue
            if _checksum(_row_values(service)) != service.shipped_checksum:
                if _checksum(shipped) != service.shipped_checksum:
                    report.kept_local_changes.append(spec.code)
                continue
            if _checksum(shipped) != service.shipped_checksum:
                for name, value in shipped.items():
                    setattr(service, name, value)
                service.shipped_checksum = _checksum(shipped)
                service.save()
                report.updated.append(spec.code)
    return report


_EDITABLE_FIELDS = ("title", "summary", "description", "audience", "is_active")


@transaction.atomic
def catalogue_service_update(*, service: CatalogueService, actor=None, **fields) -> CatalogueService:
    """Change a catalogue service of the territory (an admin's edit: later syncs keep it, see above)."""
    unknown = set(fields) - set(_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(service, name, value)
    service.full_clean()
    service.save()
    return service


def catalogue_service_list(*, territory=None, include_inactive: bool = False):
    """The catalogue of a territory (the current one by default): the services of its switched-on poles,
    the ones its admins withdrew left out unless `include_inactive`."""
    from core.plugins import active_poles

    services = CatalogueService.objects.filter(pole__in=list(active_poles(territory)))
    if not include_inactive:
        services = services.filter(is_active=True)
    return services.order_by("pole", "title")
