"""What waits for a person on the back office's home screen (« Mon travail »)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from core.models import Case
from core.roles import STAFF_ROLES, user_roles

HOME_LIMIT = 10


@dataclass
class HomeCase:
    case: Case
    state_label: str
    overdue: bool
    actions: list[str] = field(default_factory=list)  # the transitions the person may take now (labels)
    theirs: bool = False  # the case's current step is the responsibility of one of the person's roles


@dataclass
class HomeWork:
    staff: bool
    counts: dict[str, str]  # inbox code → number of cases as displayed (`count_label`; staff)
    cases: list[HomeCase]  # staff: assigned to them, most urgent first; others: their structures' cases
    waiting: list[HomeCase]  # others: the cases where an action is theirs now
    structures: list[str]  # the structures the person acts for
    operators: list[str] = field(default_factory=list)  # the operators the person acts for


def _home_case(case: Case, user, *, with_actions: bool) -> HomeCase:
    from core.selectors.cases import available_transitions
    from workflows.engine import compiled_version

    compiled = compiled_version(case.workflow_version_id)
    today = timezone.localdate()
    actions = [t.label for t in available_transitions(case=case, user=user) if t.available] if with_actions else []
    state = compiled.states.get(case.state)
    return HomeCase(
        theirs=bool(state is not None and state.responsible and state.responsible in user_roles(user)),
        case=case,
        state_label=compiled.state_label(case.state),
        overdue=bool(case.due_at and case.closed_at is None and case.due_at < today),
        actions=actions,
    )


def home_work(*, user) -> HomeWork:
    """Staff: their inboxes' counts and the cases assigned to them (overdue and soonest due first). A structure
    member or an operator: the open cases of their structures (or served by their operator), and among them
    those waiting for them: the current step is their role's responsibility (the workflow's `responsible`) and
    they may act on it now (a proposal to accept, a convention to sign, an evaluation to fill)."""
    from core.selectors.case_work import case_inbox, case_inbox_counts

    staff = bool(user_roles(user) & STAFF_ROLES)
    structures = [m.structure.name for m in user.structure_memberships.select_related("structure")]
    if staff:
        mine = case_inbox(user=user, inbox="moi").filter(closed_at__isnull=True).order_by("due_at", "-created_at")
        cases = [_home_case(c, user, with_actions=False) for c in mine[:HOME_LIMIT]]
        return HomeWork(staff=True, counts=case_inbox_counts(user=user), cases=cases, waiting=[], structures=structures)
    from core.selectors.cases import case_list

    visible = case_list(user=user).filter(closed_at__isnull=True).order_by("-created_at")[: HOME_LIMIT * 3]
    cases = [_home_case(c, user, with_actions=True) for c in visible]
    waiting = [c for c in cases if c.theirs and c.actions]
    operators = [m.operator.name for m in user.operator_memberships.select_related("operator")]
    return HomeWork(staff=False, counts={}, cases=cases[:HOME_LIMIT], waiting=waiting, structures=structures,
                    operators=operators)  # fmt: skip
