"""A support case from the request to its evaluation, through the real services: diagnostic scored into a
profile, proposals from the CEL rules (federation and professionalisation taken into account) given to an
operator of the territory or to the platform, two conventions signed, follow-up, evaluation."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.services.cases import transition_apply
from plugins.support.models import Convention, DiagnosticProfile, Proposal, ProposalRule
from plugins.support.panels import profile_panel
from plugins.support.services import (
    convention_sign,
    conventions_generate,
    followup_add,
    proposal_decide,
    task_complete,
    task_create,
    task_reminders_send,
)
from workflows.exceptions import GuardFailed

from .helpers import to_proposals

WEAK_PAYROLL_AND_BOARD = {"diag_paie_1": "0", "diag_paie_2": "1", "diag_renouvellement_1": "0",
                          "diag_renouvellement_2": "0"}  # fmt: skip


def test_the_diagnostic_yields_a_profile_and_proposals(
    support_case, coordinator, operator_paie, django_capture_on_commit_callbacks
):
    case = to_proposals(support_case, coordinator, django_capture_on_commit_callbacks, **WEAK_PAYROLL_AND_BOARD)
    assert case.state == "propositions"
    profile = DiagnosticProfile.objects.get(case=case)
    assert profile.axes["paie"] == 17
    assert profile.axes["renouvellement"] == 0
    assert profile.axes["comptabilite"] == 100
    assert profile.professionalisation == 2
    proposals = {p.service.code: p for p in case.support_proposals.all()}
    assert set(proposals) == {"support-paie", "support-gouvernance"}
    assert proposals["support-paie"].operator == operator_paie  # offers it, covers the commune, has capacity
    # The demo's directory has an operator for board support, covering every commune.
    assert proposals["support-gouvernance"].operator.name == "Gouvernance & Engagement 35"


def test_federation_membership_changes_the_proposals(
    support_case, coordinator, structure, django_capture_on_commit_callbacks
):
    support_case.structure = structure  # an ADMR structure: the federation already does its payroll
    support_case.save(update_fields=["structure"])
    case = to_proposals(support_case, coordinator, django_capture_on_commit_callbacks,
                        diag_paie_1="0", diag_paie_2="0", diag_professionalisation="2")  # fmt: skip
    codes = set(case.support_proposals.values_list("service__code", flat=True))
    assert "support-paie" not in codes
    assert DiagnosticProfile.objects.get(case=case).federation == "ADMR"


def test_a_volunteer_run_structure_gets_hr_support_sooner(
    support_case, coordinator, django_capture_on_commit_callbacks
):
    case = to_proposals(support_case, coordinator, django_capture_on_commit_callbacks,
                        diag_rh_1="1", diag_rh_2="2", diag_rh_3="3", diag_professionalisation="1")  # fmt: skip
    assert DiagnosticProfile.objects.get(case=case).axes["rh"] == 67
    assert case.support_proposals.filter(service__code="support-rh").exists()


def test_an_operator_at_capacity_or_out_of_area_is_passed_over(
    support_case, coordinator, operator_paie, django_capture_on_commit_callbacks
):
    operator_paie.communes_covered = "Vitré"
    operator_paie.save()
    case = to_proposals(support_case, coordinator, django_capture_on_commit_callbacks, **WEAK_PAYROLL_AND_BOARD)
    assert case.support_proposals.get(service__code="support-paie").operator is None


def test_a_broken_rule_is_skipped_not_fatal(support_case, coordinator, django_capture_on_commit_callbacks):
    ProposalRule.objects.filter(code="gouvernance-fragile").update(condition="profile.axes.inconnu < 3")
    case = to_proposals(support_case, coordinator, django_capture_on_commit_callbacks, **WEAK_PAYROLL_AND_BOARD)
    assert set(case.support_proposals.values_list("service__code", flat=True)) == {"support-paie"}


def test_the_profile_panel_shows_an_accessible_chart(support_case, coordinator, django_capture_on_commit_callbacks):
    assert "pas encore terminé" in profile_panel(support_case)
    case = to_proposals(support_case, coordinator, django_capture_on_commit_callbacks, **WEAK_PAYROLL_AND_BOARD)
    html = profile_panel(case)
    assert 'role="img"' in html
    assert "<table" in html
    assert "Stabilité du bureau" in html
    assert "0 — besoin fort" in html


def _to_conventions(case, coordinator, capture):
    with pytest.raises(GuardFailed):  # undecided proposals
        transition_apply(case=case, transition="accepter_propositions", actor=coordinator)
    for proposal in case.support_proposals.all():
        proposal_decide(proposal=proposal, accepted=True, actor=coordinator)
    with capture(execute=True):
        transition_apply(case=case, transition="accepter_propositions", actor=coordinator)
    case.refresh_from_db()
    return case


def test_conventions_then_signatures_gate_the_services_set_up(
    support_case, coordinator, operator_paie, django_capture_on_commit_callbacks
):
    case = to_proposals(support_case, coordinator, django_capture_on_commit_callbacks, **WEAK_PAYROLL_AND_BOARD)
    case = _to_conventions(case, coordinator, django_capture_on_commit_callbacks)
    assert case.state == "conventions"
    assert operator_paie in case.operators.all()
    by_operator = {c.operator.name: c for c in Convention.objects.filter(case=case, party="operator")}
    assert set(by_operator) == {"Coopérative Paie ESS", "Gouvernance & Engagement 35"}  # one per operator
    conventions = {"structure": Convention.objects.get(case=case, party="structure"), **by_operator}
    assert "Les P&#x27;tits Loups" in conventions["structure"].body_html or "Les P'tits Loups" in (
        conventions["structure"].body_html
    )
    assert conventions["structure"].pdf.read().startswith(b"%PDF")

    today = timezone.localdate()
    for convention in conventions.values():
        with pytest.raises(GuardFailed):
            transition_apply(case=case, transition="mettre_en_place", actor=coordinator)
        convention_sign(convention=convention, party="platform", signed_on=today, signatory="C. Dupont",
                        actor=coordinator)  # fmt: skip
        convention_sign(convention=convention, party="counterparty", signed_on=today, signatory="A. Martin",
                        actor=coordinator)  # fmt: skip
    transition_apply(case=case, transition="mettre_en_place", actor=coordinator)
    assert case.state == "mise_en_place"

    transition_apply(case=case, transition="demarrer_suivi", actor=coordinator)
    followup_add(case=case, kind="meeting", happened_on=today, text="Point d'étape avec le bureau.", actor=coordinator)
    task = task_create(case=case, title="Transmettre les variables de paie", due_date=today + dt.timedelta(days=2),
                       operator=operator_paie, actor=coordinator)  # fmt: skip
    assert task_reminders_send() == 1
    assert mail.outbox[-1].to == ["pole_coordinator@example.org", "contact@paie-ess.example.org"]  # author, operator
    assert task_reminders_send() == 0  # once a day
    task_complete(task=task, actor=coordinator)
    transition_apply(case=case, transition="evaluer", actor=coordinator)
    transition_apply(
        case=case, transition="cloturer", actor=coordinator,
        data={"eval_satisfaction": 4, "eval_objectifs": "atteints", "eval_heures_benevoles": 12,
              "eval_recommande": True},
    )  # fmt: skip
    assert case.state == "close"
    assert case.data["eval_satisfaction"] == 4


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"party": "notary"}, "party"),
        ({"signatory": "  "}, "signatory"),
        ({"signed_on": timezone.localdate() + dt.timedelta(days=1)}, "signed_on"),
        ({"signed_on": dt.date(2000, 1, 1)}, "signed_on"),
    ],
)
def test_bad_signatures_are_refused(support_case, coordinator, django_capture_on_commit_callbacks, kwargs, field):
    case = to_proposals(support_case, coordinator, django_capture_on_commit_callbacks, **WEAK_PAYROLL_AND_BOARD)
    case = _to_conventions(case, coordinator, django_capture_on_commit_callbacks)
    convention = Convention.objects.filter(case=case).first()
    values = {"party": "platform", "signed_on": timezone.localdate(), "signatory": "C. Dupont", **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        convention_sign(convention=convention, actor=coordinator, **values)
    assert field in excinfo.value.message_dict
    convention.refresh_from_db()
    assert convention.platform_signed_on is None


def test_a_party_signs_once_and_a_signed_convention_is_never_regenerated(
    support_case, coordinator, django_capture_on_commit_callbacks
):
    case = to_proposals(support_case, coordinator, django_capture_on_commit_callbacks, **WEAK_PAYROLL_AND_BOARD)
    case = _to_conventions(case, coordinator, django_capture_on_commit_callbacks)
    convention = Convention.objects.get(case=case, party="structure")
    convention_sign(convention=convention, party="platform", signed_on=timezone.localdate(), signatory="C. D.",
                    actor=coordinator)  # fmt: skip
    with pytest.raises(ValidationError, match="déjà signé"):
        convention_sign(convention=convention, party="platform", signed_on=timezone.localdate(), signatory="X",
                        actor=coordinator)  # fmt: skip
    again = conventions_generate(case=case, actor=coordinator)
    assert convention.pk in [c.pk for c in again]
    with pytest.raises(ValidationError, match="déjà signée"):
        proposal_decide(proposal=case.support_proposals.first(), accepted=False, actor=coordinator)


def test_no_convention_without_an_accepted_proposal(support_case, coordinator, django_capture_on_commit_callbacks):
    case = to_proposals(support_case, coordinator, django_capture_on_commit_callbacks, **WEAK_PAYROLL_AND_BOARD)
    for proposal in case.support_proposals.all():
        proposal_decide(proposal=proposal, accepted=False, actor=coordinator)
    with pytest.raises(ValidationError, match="Aucune proposition acceptée"):
        conventions_generate(case=case, actor=coordinator)
    assert Proposal.objects.filter(case=case, status="declined").count() == 2


def test_follow_up_and_tasks_refuse_bad_input(support_case, coordinator):
    future = timezone.localdate() + dt.timedelta(days=3)
    with pytest.raises(ValidationError):
        followup_add(case=support_case, kind="meeting", happened_on=future, text="Plus tard", actor=coordinator)
    with pytest.raises(ValidationError):
        followup_add(case=support_case, kind="fax", happened_on=timezone.localdate(), text="x", actor=coordinator)
    with pytest.raises(ValidationError):
        task_create(case=support_case, title="", due_date=future, actor=coordinator)
    with pytest.raises(ValidationError, match="passée"):
        task_create(case=support_case, title="Relancer", due_date=dt.date(2020, 1, 1), actor=coordinator)
