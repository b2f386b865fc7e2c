"""Versions: published versions are frozen; a new draft copies the latest; publishing retires the previous."""

import pytest
from django.core.exceptions import ValidationError

from workflows.models import State, WorkflowAudit, WorkflowVersion
from workflows.serialization import version_spec
from workflows.services import workflow_publish, workflow_version_draft_create


def test_a_published_version_is_frozen(simple):
    state = State.objects.get(version=simple, code="ouvert")
    state.label = "Changé"
    with pytest.raises(ValidationError, match="créez un brouillon"):
        state.save()
    with pytest.raises(ValidationError):
        state.full_clean()
    with pytest.raises(ValidationError):
        state.delete()
    assert simple.snapshot["states"][0]["label"] == "Ouvert"


def test_a_new_draft_copies_the_latest_version_and_publishing_retires_the_old_one(simple, territory_admin):
    draft = workflow_version_draft_create(definition=simple.definition, actor=territory_admin)
    assert draft.number == 2
    assert draft.status == "draft"
    assert version_spec(draft) == version_spec(simple)
    assert workflow_version_draft_create(definition=simple.definition, actor=territory_admin) == draft
    state = draft.states.get(code="en_cours")
    state.label = "Instruction"
    state.save()
    workflow_publish(version=draft, actor=territory_admin)
    simple.refresh_from_db()
    draft.refresh_from_db()
    assert simple.status == WorkflowVersion.Status.RETIRED
    assert draft.status == WorkflowVersion.Status.PUBLISHED
    assert draft.published_by == territory_admin
    assert draft.snapshot["states"][1]["label"] == "Instruction"
    assert list(WorkflowAudit.objects.filter(definition=simple.definition).values_list("action", flat=True)) == [
        "published", "draft_created", "published", "imported",
    ]  # fmt: skip
