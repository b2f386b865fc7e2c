"""Services of the support pole. Every write goes through here: keyword-only, typed, atomic."""

from __future__ import annotations

import logging
from pathlib import Path

import yaml
from django.db import transaction

from core.services.shipped import ShippedSyncReport, shipped_rows_sync
from plugins.support.models import ConventionTemplate, ProposalRule

logger = logging.getLogger("ppe.support")

DATA = Path(__file__).resolve().parent / "data"
RULE_FIELDS = ("name", "condition", "service_code", "priority", "reason")
TEMPLATE_FIELDS = ("party", "title", "body")


@transaction.atomic
def support_seed(*, rules_file: Path | None = None, templates_file: Path | None = None) -> dict[str, ShippedSyncReport]:
    """Seed or upgrade the territory's proposal rules and convention templates from the pole's data files.
    Never overwrites what an admin changed (reported in `kept_local_changes`). Idempotent."""
    rules = yaml.safe_load((rules_file or DATA / "proposal_rules.yaml").read_text(encoding="utf-8"))
    templates = yaml.safe_load((templates_file or DATA / "convention_templates.yaml").read_text(encoding="utf-8"))
    reports = {
        "rules": shipped_rows_sync(model=ProposalRule, rows=rules, fields=RULE_FIELDS),
        "templates": shipped_rows_sync(model=ConventionTemplate, rows=templates, fields=TEMPLATE_FIELDS),
    }
    for kind, report in reports.items():
        if report.kept_local_changes:
            logger.warning("support %s changed by admins, upgrade not applied: %s", kind, report.kept_local_changes)
    return reports
