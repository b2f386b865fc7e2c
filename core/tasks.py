"""Background tasks of the core. Each takes ids, runs in its territory's schema and calls a service."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection
from huey import crontab

from tenants.tasks import each_territory_periodic_task, platform_task, tenant_task

logger = logging.getLogger("ppe.tasks")


@tenant_task(retries=3, retry_delay=30)
def user_welcome_email_send(user_id: int) -> str:
    """Send the welcome e-mail of a new account of the current territory. Returns the schema it ran in."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        logger.warning("welcome e-mail: user %s vanished in %s", user_id, connection.schema_name)
        return connection.schema_name
    territory = connection.tenant
    site = getattr(territory, "primary_domain", None) or "localhost"
    send_mail(
        subject=f"Bienvenue sur la Plateforme Petite Enfance — {territory.name}",
        message=(
            f"Bonjour {user.first_name or user.email},\n\n"
            f"Un compte a été ouvert pour vous sur la plateforme petite enfance du territoire "
            f"« {territory.name} ».\n"
            f"Connectez-vous sur http://{site}/admin/ avec l'identifiant {user.username}.\n\n"
            "L'équipe de la plateforme"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    return connection.schema_name


@tenant_task(inline=True, retries=3, retry_delay=30)
def case_transition_effects(event_id: int) -> None:
    """What follows a committed transition: the `case_transitioned` hook and the transition's actions. Run by
    the process that committed it, at once (a person waits for what it shows); by a worker after the sweep
    when that process died first."""
    from core.services.cases import case_transition_effects_run

    case_transition_effects_run(event_id=event_id)


@each_territory_periodic_task(crontab(hour="3", minute="40"))
def form_files_orphans_sweep_task() -> int:
    """Each night, in each territory: delete the case files nothing names (a rolled-back write)."""
    from core.services.form_files import form_files_orphans_sweep

    return len(form_files_orphans_sweep())


@tenant_task(retries=3, retry_delay=30)
def invitation_email_send(invitation_id: int) -> str:
    """Send (or send again) an invitation's e-mail with its current link. Returns the schema it ran in."""
    from django.utils import timezone

    from core.models import Invitation
    from core.services.accounts import invitation_email_message

    invitation = Invitation.objects.filter(pk=invitation_id).select_related("structure", "operator").first()
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        logger.info("invitation e-mail: invitation %s no longer pending in %s", invitation_id, connection.schema_name)
        return connection.schema_name
    subject, body = invitation_email_message(invitation)
    send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[invitation.email])
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    return connection.schema_name


@platform_task(retries=0)
def territory_clone_job_run_task(job_id: int) -> None:
    """Run a clone requested from the platform admin's back office (a `ProvisioningJob`), in the public schema."""
    from core.services.clone import territory_clone_job_run

    territory_clone_job_run(job_id=job_id)


@tenant_task(retries=3, retry_delay=300)
def case_anonymise_task(case_id: int) -> bool:
    """Anonymise one closed case past its retention period (an outbox effect of the daily sweep)."""
    from core.services.personal_data import case_anonymise

    return case_anonymise(case_id=case_id) is not None


@each_territory_periodic_task(crontab(hour="2", minute="40"))
def retention_sweep_daily() -> int:
    """Every night, in every territory: one anonymisation effect per closed case past its retention period."""
    from core.services.personal_data import retention_sweep

    return retention_sweep()
