"""Comments, assignment, data edits, attachments and bulk transitions: each writes its event, or nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import Structure, StructureMembership
from core.services.case_work import (
    case_assign,
    case_editable_form,
    transition_bulk_apply,
)
from core.services.cases import case_open, transition_apply
from tests.workflows.helpers import VALID_DEMANDE, person

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"


@pytest.fixture
def structure(tenant):
    return Structure.objects.create(name="Les Lutins", kind="creche", commune="Rennes")


@pytest.fixture
def case(demande, coordinator, structure):
    return case_open(workflow="essai-demande", data=VALID_DEMANDE, structure=structure, actor=coordinator)


@pytest.fixture
def member(structure):
    user = person("structure_member", email="membre@lutins.example.org")
    StructureMembership.objects.create(user=user, structure=structure)
    return user


def test_case_assign_records_who_was_added_and_removed(case, coordinator, worker):
    event = case_assign(case=case, users=[worker], actor=coordinator)
    assert list(case.assignees.all()) == [worker]
    assert event.kind == "assigned"
    assert event.detail["added"] == [{"id": worker.pk, "name": worker.username}]
    assert case_assign(case=case, users=[worker], actor=coordinator) is None  # nothing changed, no event
    event = case_assign(case=case, users=[coordinator], actor=coordinator)
    assert event.detail["removed"] == [{"id": worker.pk, "name": worker.username}]
    assert case.events.filter(kind="assigned").count() == 2


def test_case_assign_refuses_non_staff_actors_and_assignees(case, coordinator, member):
    with pytest.raises(PermissionDenied):
        case_assign(case=case, users=[coordinator], actor=member)
    with pytest.raises(ValidationError, match="rôle de l'équipe"):
        case_assign(case=case, users=[member], actor=coordinator)
    assert not case.assignees.exists()
    assert not case.events.filter(kind="assigned").exists()


def test_the_editable_form_holds_the_opening_fields_but_files(case, worker):
    codes = {f.code for f in case_editable_form(case).input_fields()}
    assert "structure_name" in codes
    assert "score" not in codes  # a transition's form
    assert "statuts" not in codes  # files change through a transition


def test_transition_bulk_apply_reports_each_case(demande, coordinator, structure, member):
    cases = [
        case_open(workflow="essai-demande", data=VALID_DEMANDE, structure=structure, actor=coordinator)
        for _ in range(3)
    ]
    transition_apply(case=cases[1], transition="abandonner", actor=coordinator)
    results = transition_bulk_apply(cases=cases, transition="abandonner", actor=coordinator, comment="Lot")
    assert [r.ok for r in results] == [True, False, True]
    assert results[0].message == "Passé à l'état « Clôturée »."
    assert "n'est pas possible depuis l'état « Clôturée »" in results[1].message
    refused = transition_bulk_apply(cases=cases[:1], transition="demarrer_diagnostic", actor=coordinator)
    assert not refused[0].ok
    assert "demande un formulaire" in refused[0].message
    by_member = transition_bulk_apply(cases=[cases[2]], transition="abandonner", actor=member)
    assert not by_member[0].ok
