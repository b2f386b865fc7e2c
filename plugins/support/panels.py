"""What the back office shows of a support case: the diagnostic profile as an accessible chart.

`profile_panel(case)` returns the HTML; templates use `{% load support %}{% support_profile_panel case %}`
(the case page includes it; plugins/support/templates/support/profile_panel.html)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from plugins.support.charts import Bar, bar_chart_svg
from plugins.support.models import DiagnosticProfile
from plugins.support.scoring import AXIS_LABELS, PROFESSIONALISATION_LABELS, level_of


def profile_chart(profile: DiagnosticProfile) -> SafeString:
    bars = [Bar(AXIS_LABELS.get(code, code), score, level_of(score)) for code, score in profile.axes.items()]
    return bar_chart_svg(
        title=f"Profil de la structure — dossier {profile.case.reference}",
        description=(
            f"Score de maîtrise par axe, de 0 (besoin fort) à 100 (maîtrisé). Score global {profile.global_score} "
            "sur 100. Les valeurs sont détaillées dans le tableau qui suit."
        ),
        bars=bars,
        unit="",
    )


def profile_panel(case: Any) -> SafeString:
    profile = DiagnosticProfile.objects.filter(case=case).select_related("case").first()
    context: dict[str, Any] = {"case": case, "profile": profile}
    if profile is not None:
        context.update(
            chart=profile_chart(profile),
            rows=[(AXIS_LABELS.get(code, code), score, level_of(score)) for code, score in profile.axes.items()],
            professionalisation=PROFESSIONALISATION_LABELS.get(profile.professionalisation, ""),
        )
    return render_to_string("support/profile_panel.html", context)


def case_panel(request: Any, case: Any) -> SafeString | None:
    """The support pole's panel on the back office's case page (the `case_panels` hook): for the team, the
    profile and a link to the pole's workspace; for the structure's members, their profile, the proposals to
    decide and their convention to sign; for an operator's members, the services referred to their operator
    and its convention. Each sees only what is theirs (`plugins.support.selectors`)."""
    from core.models import OperatorMembership, StructureMembership
    from core.roles import user_roles
    from core.selectors.cases import STAFF_ROLES
    from plugins.support.models import Proposal, Referral
    from plugins.support.selectors import WORKFLOW, conventions_visible, proposals_visible

    if case.workflow.code != WORKFLOW:
        return None
    user = request.user
    staff = bool(user_roles(user) & STAFF_ROLES)
    for_structure = (
        bool(case.structure_id) and StructureMembership.objects.filter(user=user, structure=case.structure_id).exists()
    )
    operator_ids = set(OperatorMembership.objects.filter(user=user).values_list("operator", flat=True))
    proposals = list(proposals_visible(user=user).filter(case=case))
    conventions = list(conventions_visible(user=user).filter(case=case, superseded_at__isnull=True))
    open_case = case.closed_at is None
    signed_any = any(c.platform_signed_on or c.counterparty_signed_on for c in conventions)
    may_decide = (staff or for_structure) and open_case and case.state == "propositions" and not signed_any
    rows = []
    for proposal in proposals:
        mine = proposal.operator_id in operator_ids
        rows.append(
            {
                "proposal": proposal,
                "decide": may_decide and for_structure,
                "answer": mine and open_case and proposal.referral_status == Referral.PENDING,
                "mine": mine,
            }
        )
    waiting = []
    if for_structure and may_decide and any(p.status == Proposal.Status.PROPOSED for p in proposals):
        waiting.append("Accepter ou décliner les services proposés, puis valider les propositions.")
    if any(r["answer"] for r in rows):
        waiting.append("Accepter ou décliner le service confié à votre structure.")
    signable = []
    for convention in conventions:
        ours = (convention.party == "structure" and for_structure) or (
            convention.party == "operator" and convention.operator_id in operator_ids
        )
        sign = ours and open_case and convention.counterparty_signed_on is None
        if sign and not any(r["answer"] and r["proposal"].operator_id == convention.operator_id for r in rows):
            waiting.append(f"Signer « {convention.title} ».")
        signable.append({"convention": convention, "sign": sign, "ours": ours, "upload": ours and open_case})
    if for_structure and case.state == "evaluation" and open_case:
        waiting.append("Remplir l'évaluation de l'accompagnement (action « Clôturer avec l'évaluation »).")
    if not (staff or for_structure or operator_ids & set(case.operators.values_list("pk", flat=True))):
        return None
    context = {
        "case": case,
        "staff": staff,
        "for_structure": for_structure,
        "waiting": waiting,
        "rows": rows,
        "conventions": signable,
        "profile": profile_panel(case) if staff or for_structure else "",
        "signatory": user.get_full_name() or user.get_username(),
    }
    return render_to_string("support/case_panel.html", context, request=request)
