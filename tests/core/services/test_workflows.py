"""Shipped workflows (`pole_workflows` hook), migration of cases to a newer version, and their commands."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import Case, CaseEvent
from core.plugins import hookimpl, plugin_manager
from core.services.cases import case_migrate_version, case_open, transition_apply
from core.services.workflows import workflows_sync
from tests.workflows.helpers import FIXTURES, fixture_text
from workflows.exceptions import WorkflowError
from workflows.models import WorkflowDefinition, WorkflowVersion
from workflows.services import workflow_import, workflow_publish, workflow_version_draft_create


class _Pole:
    def __init__(self, paths):
        self.paths = paths

    @hookimpl
    def pole_workflows(self):
        return [str(p) for p in self.paths]


@pytest.fixture
def shipping(tmp_path):
    shipped = tmp_path / "simple.yaml"
    shipped.write_text(fixture_text("simple.yaml"), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: ppe-workflow/1\ncode: casse\nname: Cassé\nstates: [{code: a, kind: bizarre}]\n")
    pole = _Pole([shipped, broken])
    plugin_manager().register(pole, name="essai-pole")
    yield shipped
    plugin_manager().unregister(name="essai-pole")


def _essai(codes: list[str]) -> list[str]:
    """The test pole's workflows only (the real poles ship theirs too)."""
    return [code for code in codes if code.startswith("essai-")]


def test_pole_workflows_are_imported_published_and_never_overwritten(tenant, shipping):
    report = workflows_sync()
    assert _essai(report.created) == ["essai-simple"]
    assert "État « a » : type « bizarre » inconnu." in " ".join(report.errors[str(shipping.parent / "broken.yaml")])
    definition = WorkflowDefinition.objects.get(code="essai-simple")
    assert definition.pole == "essai-pole"
    assert definition.published_version.number == 1
    assert _essai(workflows_sync().unchanged) == ["essai-simple"]

    # The pole ships a new version and nobody changed it here: upgraded.
    shipping.write_text(fixture_text("simple.yaml").replace("label: En cours", "label: En instruction"))
    assert _essai(workflows_sync().updated) == ["essai-simple"]
    assert definition.published_version.number == 2

    # An admin changes it, then the pole ships again: a conflict is reported, nothing is overwritten.
    draft = workflow_version_draft_create(definition=definition, actor=None)
    state = draft.states.get(code="ouvert")
    state.label = "Ouvert (local)"
    state.save()
    workflow_publish(version=draft, actor=None)
    shipping.write_text(fixture_text("simple.yaml").replace("label: En cours", "label: Encore autre"))
    report = workflows_sync()
    assert _essai(report.conflicts) == ["essai-simple"]
    assert definition.published_version.number == 3
    assert definition.published_version.snapshot["states"][0]["label"] == "Ouvert (local)"


def test_territory_provisioned_from_migrations_syncs_the_shipped_workflows(tenant, territory, shipping):
    from tenants.models import Territory
    from tenants.signals import territory_provisioned

    territory_provisioned.send(sender=Territory, territory=territory, source=None, sample_data=False)
    assert WorkflowDefinition.objects.filter(code="essai-simple", versions__status="published").exists()


def test_workflows_sync_command(tenant, shipping, capsys):
    with pytest.raises(SystemExit):  # the broken file fails the command
        call_command("workflows_sync", territory=["35"])
    assert "essai-simple" in capsys.readouterr().out


def _v2_with_renamed_state():
    source = (
        fixture_text("simple.yaml")
        .replace("code: en_cours", "code: instruction")
        .replace("to: en_cours", "to: instruction")
        .replace("from: [en_cours]", "from: [instruction]")
    )
    return workflow_import(source=source, publish=True)


def test_case_migrate_version_maps_states_and_records_it(simple, worker):
    first = case_open(workflow="essai-simple", data={"title": "A"}, actor=worker)
    second = case_open(workflow="essai-simple", data={"title": "B"}, actor=worker)
    transition_apply(case=second, transition="prendre", actor=worker)
    v2 = _v2_with_renamed_state()
    with pytest.raises(WorkflowError, match=r"« En cours » n.existe pas"):
        case_migrate_version(cases=[first, second], to_version=v2, state_mapping={}, actor=worker)
    assert not CaseEvent.objects.filter(kind="migrated").exists()
    events = case_migrate_version(cases=[first, second], to_version=v2, state_mapping={"en_cours": "instruction"},
                                  actor=worker)  # fmt: skip
    assert len(events) == 2
    second = Case.objects.get(pk=second.pk)
    assert second.workflow_version == v2
    assert second.state == "instruction"
    event = second.events.get(kind="migrated")
    assert event.detail == {"from_version": 1, "to_version": 2, "from_label": "En cours", "to_label": "En cours"}
    assert (event.from_state, event.to_state) == ("en_cours", "instruction")
    transition_apply(case=second, transition="fermer", actor=worker)  # runs on the new graph
    assert Case.objects.get(pk=second.pk).state == "ferme"


def test_case_migrate_version_command(simple, worker, capsys):
    case = case_open(workflow="essai-simple", data={"title": "A"}, actor=worker)
    transition_apply(case=case, transition="prendre", actor=worker)
    _v2_with_renamed_state()
    with pytest.raises(CommandError, match=r"« En cours » n.existe pas"):
        call_command("case_migrate_version", territory="35", workflow="essai-simple")
    with pytest.raises(CommandError, match="illisible"):
        call_command("case_migrate_version", territory="35", workflow="essai-simple", map=["x"])
    call_command("case_migrate_version", territory="35", workflow="essai-simple", map=["en_cours=instruction"])
    assert "1 dossier(s) passé(s) en version 2." in capsys.readouterr().out
    assert Case.objects.get(pk=case.pk).state == "instruction"
    assert WorkflowVersion.objects.get(pk=simple.pk).status == "retired"


assert FIXTURES.exists()
