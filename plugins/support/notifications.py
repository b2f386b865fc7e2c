"""E-mails of the support pole: each party is told when something waits for it, with a link to the case.

- the structure, when proposals wait for its decision and when its convention waits for its signature
  (its members' addresses; the request's contact address while no one of the structure has an account);
- the operator, when a service is referred to it and when its convention waits for its signature (its members
  and its own address);
- the platform's team (the case's assignees, else the pole's coordinators), when an operator declines.

Each runs after the transaction that caused it commits; a missing address is skipped, never an error.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

from core.links import territory_url
from core.models import Case
from core.roles import Role

logger = logging.getLogger("ppe.support")
SIGNATURE = "\n\nL'équipe de la plateforme"


def case_link(case: Case) -> str:
    return territory_url(reverse("cases_admin:detail", args=[case.reference]))


def structure_recipients(case: Case) -> list[str]:
    members = []
    if case.structure_id:
        members = list(
            get_user_model()
            .objects.filter(structure_memberships__structure=case.structure_id, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    return sorted(set(members)) or [e for e in [str((case.data or {}).get("email") or "")] if e]


def operator_recipients(operator) -> list[str]:
    members = set(
        get_user_model()
        .objects.filter(operator_memberships__operator=operator, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if operator.email:
        members.add(operator.email)
    return sorted(members)


def staff_recipients(case: Case) -> list[str]:
    assignees = [u.email for u in case.assignees.filter(is_active=True) if u.email]
    if assignees:
        return sorted(set(assignees))
    users = get_user_model().objects.filter(groups__name=Role.POLE_COORDINATOR, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def _send(subject: str, body: str, recipients: list[str]) -> int:
    if not recipients:
        return 0
    return send_mail(subject=subject, message=body + SIGNATURE, from_email=settings.DEFAULT_FROM_EMAIL,
                     recipient_list=recipients)  # fmt: skip


def notify_structure_proposals(*, case_id: int) -> int:
    case = Case.objects.get(pk=case_id)
    services = [f"- {p.service.title} ({p.carried_out_by})" for p in case.support_proposals.select_related(
        "service", "operator").filter(status="proposed")]  # fmt: skip
    if not services:
        return 0
    return _send(
        f"[{case.reference}] Des propositions de services attendent votre réponse",
        "Bonjour,\n\nÀ la suite du diagnostic, la plateforme vous propose :\n"
        + "\n".join(services)
        + f"\n\nAcceptez ou déclinez chacune sur la page de votre dossier :\n{case_link(case)}",
        structure_recipients(case),
    )


def notify_operator_referral(*, proposal_id: int) -> int:
    from plugins.support.models import Proposal

    proposal = Proposal.objects.select_related("case", "service", "operator").get(pk=proposal_id)
    if proposal.operator is None or proposal.referral_status != Proposal.Referral.PENDING:
        return 0
    case = proposal.case
    structure = (case.structure.name if case.structure_id else case.data.get("structure_name")) or case.reference
    return _send(
        f"[{case.reference}] Un service vous est confié : {proposal.service.title}",
        f"Bonjour,\n\nLa structure « {structure} » a accepté que {proposal.operator.name} réalise le service "
        f"« {proposal.service.title} ».\n\nAcceptez-le ou déclinez-le sur la page du dossier :\n{case_link(case)}",
        operator_recipients(proposal.operator),
    )


def notify_staff_referral_declined(*, proposal_id: int) -> int:
    from plugins.support.models import Proposal

    proposal = Proposal.objects.select_related("case", "service", "operator").get(pk=proposal_id)
    case = proposal.case
    return _send(
        f"[{case.reference}] {proposal.operator.name} décline « {proposal.service.title} »",
        f"Bonjour,\n\n{proposal.operator.name} décline le service « {proposal.service.title} » : "
        f"{proposal.referral_note}\n\nConfiez-le à un autre opérateur ou à la plateforme :\n{case_link(case)}",
        staff_recipients(case),
    )


def notify_signatures_waiting(*, case_id: int) -> int:
    case = Case.objects.get(pk=case_id)
    sent = 0
    for convention in case.support_conventions.filter(superseded_at__isnull=True, counterparty_signed_on__isnull=True
                                                       ).select_related("operator"):  # fmt: skip
        recipients = operator_recipients(convention.operator) if convention.operator_id else structure_recipients(case)
        sent += _send(
            f"[{case.reference}] Votre convention attend votre signature",
            f"Bonjour,\n\nLa convention « {convention.title} » est prête. Lisez-la et signez-la sur la page du "
            f"dossier :\n{case_link(case)}",
            recipients,
        )
    return sent
