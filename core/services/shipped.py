"""Rows a pole ships as data (rules, templates...): seeded in each territory, upgraded without ever
overwriting what the territory's admins changed.

A shipped model has a unique `code` and a `shipped_checksum` (the checksum of the values last applied); a
row whose current values no longer match it was edited by an admin and is kept, and reported.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction


def shipped_checksum(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass
class ShippedSyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_local_changes: list[str] = field(default_factory=list)


@transaction.atomic
def shipped_rows_sync(
    *, model: type[models.Model], rows: list[dict[str, Any]], fields: tuple[str, ...]
) -> ShippedSyncReport:
    """Create the missing rows, upgrade the untouched ones, keep (and report) the ones admins changed."""
    report = ShippedSyncReport()
    for row in rows:
        shipped = {name: row[name] for name in fields}
        instance = model.objects.filter(code=row["code"]).first()
        if instance is None:
            model.objects.create(code=row["code"], shipped_checksum=shipped_checksum(shipped), **shipped)
            report.created.append(row["code"])
            continue
        current = {name: getattr(instance, name) for name in fields}
        if shipped_checksum(current) != instance.shipped_checksum:
            if shipped_checksum(shipped) != instance.shipped_checksum:
                report.kept_local_changes.append(row["code"])
            continue
        if shipped_checksum(shipped) != instance.shipped_checksum:
            for name, value in shipped.items():
                setattr(instance, name, value)
            instance.shipped_checksum = shipped_checksum(shipped)
            instance.save()
            report.updated.append(row["code"])
    return report
