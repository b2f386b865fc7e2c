"""YAML import and export in the ppe-workflow/1 format."""

import pytest
import yaml

from tests.workflows.helpers import fixture_text
from workflows.exceptions import DefinitionInvalid
from workflows.models import FieldDefinition, WorkflowDefinition, WorkflowVersion
from workflows.serialization import version_spec
from workflows.services import workflow_export, workflow_import


def test_export_then_import_gives_the_same_definition(demande):
    exported = workflow_export(version=demande)
    assert yaml.safe_load(exported) == yaml.safe_load(fixture_text("demande.yaml"))
    again = workflow_import(source=exported)
    assert again.number == demande.number + 1
    assert version_spec(again) == version_spec(demande)
    assert workflow_export(version=again) == exported


def test_export_keys_follow_the_documented_order(demande):
    exported = workflow_export(version=demande)
    top = [line.split(":")[0] for line in exported.splitlines() if line and not line.startswith((" ", "-"))]
    assert top == [
        "format", "code", "name", "description", "pole", "reference_prefix", "open_form", "open_roles",
        "forms", "states", "transitions",
    ]  # fmt: skip
    assert "- {value: creche, label: Crèche}" in exported
    assert "from: [recue, diagnostic]" in exported


def test_group_sub_fields_are_stored_under_their_group(demande):
    board = FieldDefinition.objects.get(form__version=demande, code="board")
    assert [f.code for f in board.subfields.order_by("position")] == ["name", "role"]


def test_a_malformed_file_is_refused_with_its_position_and_nothing_is_written(tenant):
    before = WorkflowDefinition.objects.count()  # the poles' shipped workflows may be there
    with pytest.raises(DefinitionInvalid) as exc:
        workflow_import(source="format: ppe-workflow/1\ncode: [oops\n")
    assert "ligne" in exc.value.message
    assert WorkflowDefinition.objects.count() == before


def test_unknown_keys_and_types_are_named(tenant):
    source = (
        fixture_text("simple.yaml")
        .replace("type: integer", "type: entier")
        .replace("roles: [case_worker]}", "rolez: [x]}", 1)
    )
    with pytest.raises(DefinitionInvalid) as exc:
        workflow_import(source=source)
    text = " ".join(exc.value.errors)
    assert "type de champ inconnu « entier »" in text
    assert "rolez" in text
    assert not WorkflowVersion.objects.filter(definition__code="essai-simple").exists()


def test_a_wrong_format_is_refused(tenant):
    with pytest.raises(DefinitionInvalid, match="Format"):
        workflow_import(source=fixture_text("simple.yaml").replace("ppe-workflow/1", "autre/2"))
