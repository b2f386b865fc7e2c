"""Background tasks of the développement pole: each takes ids, runs in its territory's schema, calls a service."""

from __future__ import annotations

import logging

from huey import crontab

from tenants.tasks import each_territory_periodic_task, tenant_task

logger = logging.getLogger("ppe.developpement")


@tenant_task(retries=2, retry_delay=30)
def developpement_sections_plan_task(case_id: int, actor_id: int | None = None) -> int:
    """Create the response's sections from its drafting plan, in the name of who planned them. Returns how
    many it has."""
    from django.core.exceptions import ValidationError

    from core.models import Case
    from plugins.developpement.services import sections_plan

    case = Case.objects.get(pk=case_id)
    try:
        return len(sections_plan(case=case, sections=case.data.get("sections") or [], actor=_actor(actor_id)))
    except ValidationError as exc:
        logger.warning("sections of %s not planned: %s", case.reference, exc.messages)
        return 0


def _actor(actor_id: int | None):
    """Who made the transition whose action this task runs (its history lines are theirs), if still there."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=actor_id).first() if actor_id else None


def _deliberations_run(case_id: int, service: str, actor_id: int | None) -> int:
    from django.core.exceptions import ValidationError

    from core.models import Case
    from plugins.developpement import services

    case = Case.objects.get(pk=case_id)
    try:
        return len(getattr(services, service)(case=case, actor=_actor(actor_id)))
    except ValidationError as exc:
        logger.warning("%s of %s did not run: %s", service, case.reference, exc.messages)
        return 0


@tenant_task(retries=2, retry_delay=30)
def developpement_deliberations_draft_task(case_id: int, actor_id: int | None = None) -> int:
    """Draft a SIEG case's deliberations (PDF). Returns how many were drafted."""
    return _deliberations_run(case_id, "deliberations_draft", actor_id)


@tenant_task(retries=2, retry_delay=30)
def developpement_deliberations_adopt_task(case_id: int, actor_id: int | None = None) -> int:
    """Record a SIEG case's deliberations as adopted (session, vote) and draft them again. Returns how many."""
    return _deliberations_run(case_id, "deliberations_adopt", actor_id)


@each_territory_periodic_task(crontab(hour="7", minute="15"))
def developpement_deadline_reminders() -> int:
    """Every morning, in every territory: reminders of the sections and responses falling due."""
    from core.plugins import pole_enabled
    from plugins.developpement.services import deadline_reminders_send

    if not pole_enabled("developpement"):
        return 0
    return deadline_reminders_send()
