"""The hooks the case engine calls, each with the right arguments, in the case's territory schema; a pole
switched off is left out of them."""

import pytest
from django.db import connection

from core.services.cases import case_open, transition_apply
from core.services.workflows import workflows_sync
from tenants.models import Territory, TerritoryPole
from tests.workflows.helpers import person
from workflows.engine import compiled_cache_clear
from workflows.exceptions import GuardFailed
from workflows.selectors import workflow_published_version

FAKE_WORKFLOW = """
format: ppe-workflow/1
code: fake-essai
name: Essai du faux pôle
pole: fake-pole
open_form: ouverture
open_roles: [case_worker]
forms:
- code: ouverture
  name: Ouverture
  fields:
  - {code: title, type: text, label: Objet, required: true}
states:
- {code: ouvert, label: Ouvert, kind: initial}
- {code: ferme, label: Fermé, kind: final}
transitions:
- {code: fermer, label: Fermer, from: [ouvert], to: ferme, roles: [case_worker], guard: 'fake_double(2) == 4',
   actions: [fake_action]}
"""


def _fake_workflow(fake_pole, tmp_path):
    path = tmp_path / "fake-essai.yaml"
    path.write_text(FAKE_WORKFLOW, encoding="utf-8")
    fake_pole.workflows = [str(path)]
    fake_pole.guards = {"fake_double": lambda value: value * 2}
    fake_pole.actions = {"fake_action": lambda case, event: None}  # publishing refuses an action nobody provides
    return path


def test_pole_workflows(tenant, fake_pole, tmp_path):
    _fake_workflow(fake_pole, tmp_path)
    report = workflows_sync()
    assert fake_pole.called("pole_workflows") == [({}, tenant.schema_name)]
    assert report.created == ["fake-essai"]
    assert workflow_published_version(code="fake-essai").definition.pole == "fake-pole"
    assert "support-accompagnement" in report.unchanged  # the poles' shipped files were already imported


def test_guard_functions(tenant, fake_pole, tmp_path):
    _fake_workflow(fake_pole, tmp_path)
    workflows_sync()
    assert fake_pole.called("guard_functions")
    assert {schema for _, schema in fake_pole.called("guard_functions")} == {tenant.schema_name}
    worker = person("case_worker")
    first = case_open(workflow="fake-essai", data={"title": "Essai"}, actor=worker)
    transition_apply(case=first, transition="fermer", actor=worker)
    assert first.state == "ferme"

    compiled_cache_clear()
    fake_pole.guards["fake_double"] = lambda value: value * 3  # the guard now calls this one: false
    second = case_open(workflow="fake-essai", data={"title": "Essai"}, actor=worker)
    with pytest.raises(GuardFailed):
        transition_apply(case=second, transition="fermer", actor=worker)


def test_transition_actions(tenant, fake_pole, tmp_path, django_capture_on_commit_callbacks):
    _fake_workflow(fake_pole, tmp_path)
    workflows_sync()
    seen = []
    fake_pole.actions = {"fake_action": lambda case, event: seen.append((case.reference, event.to_state,
                                                                          connection.schema_name))}  # fmt: skip
    worker = person("case_worker")
    case = case_open(workflow="fake-essai", data={"title": "Essai"}, actor=worker)
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="fermer", actor=worker)
        assert seen == []  # only once the transaction commits
    assert seen == [(case.reference, "ferme", tenant.schema_name)]
    assert fake_pole.called("transition_actions")


def test_case_transitioned(tenant, fake_pole, tmp_path, django_capture_on_commit_callbacks):
    _fake_workflow(fake_pole, tmp_path)
    workflows_sync()
    worker = person("case_worker")
    case = case_open(workflow="fake-essai", data={"title": "Essai"}, actor=worker)
    with django_capture_on_commit_callbacks(execute=True):
        event = transition_apply(case=case, transition="fermer", actor=worker)
    ((kwargs, schema),) = fake_pole.called("case_transitioned")
    assert kwargs["case"].pk == case.pk
    assert kwargs["event"].pk == event.pk
    assert (kwargs["event"].from_state, kwargs["event"].to_state) == ("ouvert", "ferme")
    assert schema == tenant.schema_name


def test_diagnostic_proposals(tenant, fake_pole, django_capture_on_commit_callbacks):
    from plugins.support.models import Proposal
    from tests.plugins.support.helpers import DEMANDE, answers

    fake_pole.proposals = [{"service": "support-rh", "reason": "Proposé par le faux pôle.", "operator": None,
                            "priority": 99}]  # fmt: skip
    coordinator = person("pole_coordinator")
    case = case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
    transition_apply(case=case, transition="demarrer_diagnostic", actor=coordinator)
    weak_funding = answers(diag_financements_1="0", diag_financements_2="0", diag_financements_3="0")
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="terminer_diagnostic", actor=coordinator, data=weak_funding)
    ((kwargs, schema),) = fake_pole.called("diagnostic_proposals")
    assert kwargs["case"].pk == case.pk
    assert kwargs["profile"]["axes"]["financements"] == 0
    assert kwargs["profile"]["professionalisation"] == 2
    assert schema == tenant.schema_name
    rh = Proposal.objects.get(case=case, service__code="support-rh")
    assert (rh.source, rh.priority) == ("fake-pole", 99)
    sources = dict(Proposal.objects.filter(case=case).values_list("service__code", "source"))
    assert sources["dev-strategie"] == "developpement"  # the développement pole's answer
    assert sources["support-gestion-budgetaire"] == "budget-et-financements"  # a support rule


def test_diagnostic_proposals_leave_out_a_switched_off_pole(tenant, territory, django_capture_on_commit_callbacks):
    from plugins.support.models import Proposal
    from tests.plugins.support.helpers import DEMANDE, answers

    TerritoryPole.objects.create(territory=territory, pole="developpement", enabled=False)
    connection.tenant = Territory.objects.get(pk=territory.pk)
    coordinator = person("pole_coordinator")
    case = case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
    transition_apply(case=case, transition="demarrer_diagnostic", actor=coordinator)
    weak_funding = answers(diag_financements_1="0", diag_financements_2="0", diag_financements_3="0")
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="terminer_diagnostic", actor=coordinator, data=weak_funding)
    codes = set(Proposal.objects.filter(case=case).values_list("service__code", flat=True))
    assert "support-gestion-budgetaire" in codes
    assert "dev-strategie" not in codes
