"""Background tasks of the développement pole: each takes ids, runs in its territory's schema, calls a service."""

from __future__ import annotations

import logging

from huey import crontab

from tenants.tasks import each_territory_periodic_task, tenant_task

logger = logging.getLogger("ppe.developpement")


@tenant_task(retries=2, retry_delay=30)
def developpement_sections_plan_task(case_id: int) -> int:
    """Create the response's sections from its drafting plan. Returns how many it has."""
    from django.core.exceptions import ValidationError

    from core.models import Case
    from plugins.developpement.services import sections_plan

    case = Case.objects.get(pk=case_id)
    try:
        return len(sections_plan(case=case, sections=case.data.get("sections") or []))
    except ValidationError as exc:
        logger.warning("sections of %s not planned: %s", case.reference, exc.messages)
        return 0


def _deliberations_run(case_id: int, service: str) -> int:
    from django.core.exceptions import ValidationError

    from core.models import Case
    from plugins.developpement import services

    case = Case.objects.get(pk=case_id)
    try:
        return len(getattr(services, service)(case=case))
    except ValidationError as exc:
        logger.warning("%s of %s did not run: %s", service, case.reference, exc.messages)
        return 0


@tenant_task(retries=2, retry_delay=30)
def developpement_deliberations_draft_task(case_id: int) -> int:
    """Draft a SIEG case's deliberations (PDF). Returns how many were drafted."""
    return _deliberations_run(case_id, "deliberations_draft")


@tenant_task(retries=2, retry_delay=30)
def developpement_deliberations_adopt_task(case_id: int) -> int:
    """Record a SIEG case's deliberations as adopted (session, vote) and draft them again. Returns how many."""
    return _deliberations_run(case_id, "deliberations_adopt")


@each_territory_periodic_task(crontab(hour="7", minute="15"))
def developpement_deadline_reminders() -> int:
    """Every morning, in every territory: reminders of the sections and responses falling due."""
    from core.plugins import pole_enabled
    from plugins.developpement.services import deadline_reminders_send

    if not pole_enabled("developpement"):
        return 0
    return deadline_reminders_send()
