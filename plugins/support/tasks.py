"""Background tasks of the support pole: each takes ids, runs in its territory's schema, calls a service."""

from __future__ import annotations

import logging

from huey import crontab

from tenants.tasks import each_territory_periodic_task, tenant_task

logger = logging.getLogger("ppe.support")


@tenant_task(retries=2, retry_delay=30)
def support_diagnostic_score_task(case_id: int) -> str:
    """Score a case's diagnostic and compute its proposals. Returns the global score or why it could not."""
    from core.models import Case
    from plugins.support.scoring import ScoringError
    from plugins.support.services import diagnostic_score

    case = Case.objects.get(pk=case_id)
    try:
        profile = diagnostic_score(case=case)
    except ScoringError as exc:
        logger.warning("diagnostic of %s not scored: %s", case.reference, exc)
        return str(exc)
    return f"{profile.global_score}"


@tenant_task(retries=2, retry_delay=30)
def support_conventions_generate_task(case_id: int) -> int:
    """Generate a case's conventions (PDF). Returns how many the case has."""
    from django.core.exceptions import ValidationError

    from core.models import Case
    from plugins.support.services import conventions_generate

    case = Case.objects.get(pk=case_id)
    try:
        return len(conventions_generate(case=case))
    except ValidationError as exc:
        logger.warning("conventions of %s not generated: %s", case.reference, exc.messages)
        return 0


@each_territory_periodic_task(crontab(hour="7", minute="0"))
def support_task_reminders() -> int:
    """Every morning, in every territory: reminders of the coordination tasks falling due."""
    from core.plugins import pole_enabled
    from plugins.support.services import task_reminders_send

    if not pole_enabled("support"):
        return 0
    return task_reminders_send()
