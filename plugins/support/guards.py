"""Named guard functions of the support pole (CEL: `support_conventions_signed(case.reference)`).

They take the case's reference and read, never write, the current territory's database."""

from __future__ import annotations

from core.models import Case, CaseEvent
from plugins.support.models import Convention, Proposal


def support_proposals_accepted(reference: str) -> bool:
    """At least one proposal accepted and none left undecided."""
    proposals = Proposal.objects.filter(case__reference=reference)
    return (
        proposals.filter(status=Proposal.Status.ACCEPTED).exists()
        and not proposals.filter(status=Proposal.Status.PROPOSED).exists()
    )


def support_conventions_signed(reference: str) -> bool:
    """The platform↔structure convention and every platform↔operator one exist and both parties signed each."""
    conventions = list(Convention.objects.filter(case__reference=reference))
    operators = set(
        Proposal.objects.filter(case__reference=reference, status=Proposal.Status.ACCEPTED, operator__isnull=False)
        .values_list("operator_id", flat=True)
    )  # fmt: skip
    has_structure = any(c.party == Convention.Party.STRUCTURE for c in conventions)
    covered = {c.operator_id for c in conventions if c.party == Convention.Party.OPERATOR}
    return has_structure and operators <= covered and all(c.is_signed for c in conventions)


def support_paused_from(reference: str) -> str:
    """The state a case on hold was in before (empty when it never was on hold)."""
    event = (
        CaseEvent.objects.filter(case__in=Case.objects.filter(reference=reference), to_state="en_attente")
        .exclude(from_state="")
        .order_by("-created_at", "-pk")
        .first()
    )
    return event.from_state if event else ""


GUARDS = {
    "support_proposals_accepted": support_proposals_accepted,
    "support_conventions_signed": support_conventions_signed,
    "support_paused_from": support_paused_from,
}
