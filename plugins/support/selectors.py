"""Reads of the support pole: operators able to take a service, the rules' proposals, the dashboard."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from django.db.models import Count, Q, QuerySet

from core.models import CatalogueService, Operator
from plugins.support.models import DiagnosticProfile, ProposalRule
from plugins.support.rules import condition_matches
from plugins.support.scoring import AXES

logger = logging.getLogger("ppe.support")

WORKFLOW = "support-accompagnement"


def case_place(case: Any) -> dict[str, str]:
    """Where a case's structure is: the directory's structure, else what the request form said."""
    structure = case.structure if case.structure_id else None
    if structure is not None:
        return {"commune": structure.commune, "postcode": structure.postcode, "insee": structure.commune_insee}
    data = case.data or {}
    return {"commune": data.get("commune") or "", "postcode": data.get("postcode") or "", "insee": ""}


def _covers(operator: Operator, place: dict[str, str]) -> bool:
    lines = [line.strip().casefold() for line in operator.communes_covered.splitlines() if line.strip()]
    if not lines:
        return True  # the whole département
    wanted = {value.strip().casefold() for value in place.values() if value and value.strip()}
    return bool(wanted & set(lines))


def operator_list_for_service(*, service: CatalogueService) -> QuerySet[Operator]:
    """Active operators offering a service, with their current load (accepted proposals of open cases)."""
    return (
        Operator.objects.filter(is_active=True, services=service)
        .annotate(
            load=Count(
                "proposal",
                filter=Q(proposal__status="accepted", proposal__case__closed_at__isnull=True),
                distinct=True,
            )
        )
        .order_by("name")
    )


def operator_for(*, service: CatalogueService, place: dict[str, str]) -> Operator | None:
    """The ESS operator that should carry out a service for a structure at `place`: one that offers it,
    covers the place and has capacity left (capacity minus current load), the most available first.
    None when there is none: the platform carries it out itself."""
    candidates = [
        operator
        for operator in operator_list_for_service(service=service)
        if operator.capacity - operator.load > 0 and _covers(operator, place)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda op: (op.load - op.capacity, op.name))


def proposals_from_rules(*, case: Any, profile: dict[str, Any]) -> list[dict[str, Any]]:
    """What the territory's active rules propose for a profile (the `diagnostic_proposals` answer of the
    support pole). A rule that fails at run time is skipped and logged, never fatal."""
    place = case_place(case)
    services = {s.code: s for s in CatalogueService.objects.filter(is_active=True)}
    proposals: list[dict[str, Any]] = []
    seen: set[str] = set()
    for rule in ProposalRule.objects.filter(is_active=True).order_by("-priority", "code"):
        if rule.service_code in seen or rule.service_code not in services:
            continue
        try:
            matched = condition_matches(rule.condition, profile)
        except ValueError as exc:
            logger.warning("proposal rule %s failed on %s: %s", rule.code, case, exc)
            continue
        if not matched:
            continue
        seen.add(rule.service_code)
        operator = operator_for(service=services[rule.service_code], place=place)
        proposals.append(
            {
                "service": rule.service_code,
                "reason": rule.reason,
                "operator": operator.pk if operator else None,
                "priority": rule.priority,
                "rule": rule.code,
            }
        )
    return proposals


def evaluation_summary() -> dict[str, Any]:
    """The territory's evaluation dashboard: support cases by state, satisfaction, indicators, and the mean
    diagnostic profile."""
    from django.db.models import Count
    from django.db.models.fields.json import KeyTransform

    from core.models import Case

    # Counted by the database, and of the data only the evaluation's four values of the evaluated cases: the
    # data of every support case went through Python (0.5 s for 33,000 cases, bench/volume.py).
    cases = Case.objects.filter(workflow__code=WORKFLOW)
    by_state = dict(cases.order_by().values_list("state").annotate(n=Count("*")).values_list("state", "n"))
    keys = ("eval_satisfaction", "eval_objectifs", "eval_recommande", "eval_heures_benevoles")
    rows = (
        cases.filter(data__has_key="eval_satisfaction")
        .order_by()
        .values_list(*(KeyTransform(key, "data") for key in keys))
    )
    evaluated = [dict(zip(keys, row, strict=True)) for row in rows]
    evaluated = [data for data in evaluated if data["eval_satisfaction"]]
    satisfaction = Counter(int(data["eval_satisfaction"]) for data in evaluated)
    objectives = Counter(data.get("eval_objectifs") or "" for data in evaluated)
    count = len(evaluated)
    profiles = list(DiagnosticProfile.objects.filter(case__in=cases).values_list("axes", flat=True))
    mean_axes = {
        axis.code: round(sum(p.get(axis.code, 0) for p in profiles) / len(profiles)) if profiles else 0 for axis in AXES
    }
    return {
        "cases": sum(by_state.values()),
        "by_state": by_state,
        "evaluated": count,
        "satisfaction_mean": round(sum(k * v for k, v in satisfaction.items()) / count, 1) if count else None,
        "satisfaction": {score: satisfaction.get(score, 0) for score in range(1, 6)},
        "objectives": {key: objectives.get(key, 0) for key in ("atteints", "partiellement", "non_atteints")},
        "recommend_share": round(100 * sum(1 for d in evaluated if d.get("eval_recommande")) / count)
        if count
        else None,
        "volunteer_hours": sum(int(d.get("eval_heures_benevoles") or 0) for d in evaluated),
        "diagnosed": len(profiles),
        "mean_axes": mean_axes,
    }


# --- What each person sees of the pole's work on a case (the back office's panel and the API) ----------------


def support_cases_visible(*, user) -> QuerySet:
    """The support cases `user` may see (`core.selectors.cases.case_list`)."""
    from core.selectors.cases import case_list

    return case_list(user=user).filter(workflow__code=WORKFLOW)


def _is_staff(user) -> bool:
    from core.roles import user_roles
    from core.selectors.cases import STAFF_ROLES

    return bool(user_roles(user) & STAFF_ROLES)


def proposals_visible(*, user) -> QuerySet:
    """Proposals of the visible cases: every one for the team and the structure's members, an operator's own
    for an operator's members."""
    from plugins.support.models import Proposal

    proposals = Proposal.objects.filter(case__in=support_cases_visible(user=user)).select_related(
        "case", "service", "operator"
    )
    if _is_staff(user):
        return proposals
    return proposals.filter(Q(case__structure__memberships__user=user) | Q(operator__memberships__user=user)).distinct()


def conventions_visible(*, user) -> QuerySet:
    """Conventions of the visible cases (those set aside after a revision included): every one for the team,
    the structure's for its members, an operator's for its members."""
    from plugins.support.models import Convention

    conventions = Convention.objects.filter(case__in=support_cases_visible(user=user)).select_related(
        "case", "operator"
    )
    if _is_staff(user):
        return conventions
    return conventions.filter(
        Q(party=Convention.Party.STRUCTURE, case__structure__memberships__user=user)
        | Q(party=Convention.Party.OPERATOR, operator__memberships__user=user)
    ).distinct()


# --- The home screen: what waits for each person in the pole ---------------------------------------------------


def home_items(*, user) -> dict[str, Any]:
    """Staff: their coordination tasks not done, overdue or due within a week. A structure member: the proposals
    of their structures awaiting their decision and the structure conventions left to sign. An operator: the
    referrals to answer, the services it carries out, its conventions left to sign. Both: all their conventions
    in force (`conventions`: to sign and signed, closed cases included, newest first). Empty lists when
    nothing."""
    import datetime as dt

    from django.utils import timezone

    from plugins.support.models import CoordinationTask, Proposal, Referral

    today = timezone.localdate()
    if _is_staff(user):
        tasks = (
            CoordinationTask.objects.filter(assignee=user, done_at__isnull=True, due_date__lte=today + dt.timedelta(7))
            .select_related("case")
            .order_by("due_date")[:10]
        )
        return {"tasks": [{"task": t, "overdue": t.due_date < today} for t in tasks], "today": today}
    proposals = proposals_visible(user=user).filter(case__closed_at__isnull=True)
    unsigned = conventions_visible(user=user).filter(
        superseded_at__isnull=True, counterparty_signed_on__isnull=True, case__closed_at__isnull=True
    )
    mine_structures = Q(case__structure__memberships__user=user)
    mine_operator = Q(operator__memberships__user=user)
    return {
        "to_decide": list(proposals.filter(mine_structures, status=Proposal.Status.PROPOSED).distinct()[:10]),
        "to_answer": list(proposals.filter(mine_operator, referral_status=Referral.PENDING).distinct()[:10]),
        "carried_out": list(
            proposals.filter(
                mine_operator, status=Proposal.Status.ACCEPTED, referral_status=Referral.ACCEPTED
            ).distinct()[:10]
        ),
        "to_sign": list(unsigned[:10]),
        "conventions": list(
            conventions_visible(user=user).filter(superseded_at__isnull=True).order_by("-generated_at", "-pk")[:20]
        ),
    }
