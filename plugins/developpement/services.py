"""Services of the développement pole. Every write goes through here: keyword-only, typed, atomic."""

from __future__ import annotations

import logging
from pathlib import Path

import yaml
from django.db import transaction

from core.services.shipped import ShippedSyncReport, shipped_rows_sync
from plugins.developpement.models import DeliberationTemplate

logger = logging.getLogger("ppe.developpement")

DATA = Path(__file__).resolve().parent / "data"
TEMPLATE_FIELDS = ("kind", "title", "body")


@transaction.atomic
def developpement_seed(*, templates_file: Path | None = None) -> ShippedSyncReport:
    """Seed or upgrade the territory's model deliberations; never overwrites an admin's edit. Idempotent."""
    rows = yaml.safe_load((templates_file or DATA / "deliberation_templates.yaml").read_text(encoding="utf-8"))
    report = shipped_rows_sync(model=DeliberationTemplate, rows=rows, fields=TEMPLATE_FIELDS)
    if report.kept_local_changes:
        logger.warning("deliberation templates changed by admins, upgrade not applied: %s", report.kept_local_changes)
    return report
