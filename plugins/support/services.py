"""Services of the support pole. Every write goes through here: keyword-only, typed, atomic."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import models, transaction

from plugins.support.models import ConventionTemplate, ProposalRule

logger = logging.getLogger("ppe.support")

DATA = Path(__file__).resolve().parent / "data"
RULE_FIELDS = ("name", "condition", "service_code", "priority", "reason")
TEMPLATE_FIELDS = ("party", "title", "body")


def _checksum(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept_local_changes: list[str] = field(default_factory=list)


def _shipped_sync(model: type[models.Model], rows: list[dict[str, Any]], fields: tuple[str, ...]) -> SeedReport:
    """Create or upgrade shipped rows; a row an admin changed since it was shipped is kept and reported."""
    report = SeedReport()
    for row in rows:
        shipped = {name: row[name] for name in fields}
        instance = model.objects.filter(code=row["code"]).first()
        if instance is None:
            model.objects.create(code=row["code"], shipped_checksum=_checksum(shipped), **shipped)
            report.created.append(row["code"])
            continue
        current = {name: getattr(instance, name) for name in fields}
        if _checksum(current) != instance.shipped_checksum:
            if _checksum(shipped) != instance.shipped_checksum:
                report.kept_local_changes.append(row["code"])
            continue
        if _checksum(shipped) != instance.shipped_checksum:
            for name, value in shipped.items():
                setattr(instance, name, value)
            instance.shipped_checksum = _checksum(shipped)
            instance.save()
            report.updated.append(row["code"])
    return report


@transaction.atomic
def support_seed(*, rules_file: Path | None = None, templates_file: Path | None = None) -> dict[str, SeedReport]:
    """Seed or upgrade the territory's proposal rules and convention templates from the pole's data files.
    Never overwrites what an admin changed (reported in `kept_local_changes`). Idempotent."""
    rules = yaml.safe_load((rules_file or DATA / "proposal_rules.yaml").read_text(encoding="utf-8"))
    templates = yaml.safe_load((templates_file or DATA / "convention_templates.yaml").read_text(encoding="utf-8"))
    reports = {
        "rules": _shipped_sync(ProposalRule, rules, RULE_FIELDS),
        "templates": _shipped_sync(ConventionTemplate, templates, TEMPLATE_FIELDS),
    }
    for kind, report in reports.items():
        if report.kept_local_changes:
            logger.warning("support %s changed by admins, upgrade not applied: %s", kind, report.kept_local_changes)
    return reports
