"""Comments, assignment, data edits, attachments and bulk transitions: each writes its event, or nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Attachment, CaseEvent, Comment, Structure, StructureMembership
from core.services.case_work import (
    case_assign,
    case_attachment_add,
    case_comment_add,
    case_data_update,
    case_editable_form,
    transition_bulk_apply,
)
from core.services.cases import case_open, transition_apply
from tests.workflows.helpers import VALID_DEMANDE, person
from workflows.exceptions import FormInvalid

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


def test_case_comment_add_writes_the_comment_and_its_event(case, worker):
    comment = case_comment_add(case=case, body="  Appeler la directrice.  ", visibility="internal", actor=worker)
    assert comment.body == "Appeler la directrice."
    event = case.events.get(kind=CaseEvent.Kind.COMMENT)
    assert event.comment == "Appeler la directrice."
    assert event.detail == {"comment": comment.pk, "visibility": "internal"}
    assert event.actor == worker


@pytest.mark.parametrize(
    ("body", "visibility", "message"),
    [("   ", "internal", "Le commentaire est vide."), ("Bonjour", "public", "Visibilité inconnue")],
)
def test_case_comment_add_refuses_bad_input_and_writes_nothing(case, worker, body, visibility, message):
    with pytest.raises(ValidationError) as error:
        case_comment_add(case=case, body=body, visibility=visibility, actor=worker)
    assert message in str(error.value)
    assert not Comment.objects.exists()
    assert not case.events.filter(kind="comment").exists()


def test_a_structure_member_comments_only_for_the_structure_and_only_its_cases(case, member, demande):
    case_comment_add(case=case, body="Merci", visibility="structure", actor=member)
    with pytest.raises(PermissionDenied, match="commentaires internes"):
        case_comment_add(case=case, body="Secret", visibility="internal", actor=member)
    other = Structure.objects.create(name="Les Pitchouns", kind="creche", commune="Vitré")
    foreign = case_open(workflow="essai-demande", data=VALID_DEMANDE, structure=other, actor=person("case_worker"))
    with pytest.raises(PermissionDenied, match="pas accès"):
        case_comment_add(case=foreign, body="Coucou", visibility="structure", actor=member)
    assert Comment.objects.count() == 1


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


def test_case_data_update_validates_and_writes_the_diff(case, worker):
    data = {**VALID_DEMANDE, "places": "24", "email": "direction@lutins.example.org"}
    event = case_data_update(case=case, data=data, actor=worker)
    case.refresh_from_db()
    assert case.data["places"] == 24
    assert event.kind == "data_updated"
    assert event.data_diff["places"] == [None, 24]
    assert event.data_diff["email"] == ["contact@lutins.example.org", "direction@lutins.example.org"]
    assert case_data_update(case=case, data=data, actor=worker) is None


def test_case_data_update_refuses_bad_values_in_french_and_writes_nothing(case, worker):
    before = dict(case.data)
    with pytest.raises(FormInvalid) as error:
        case_data_update(case=case, data={**VALID_DEMANDE, "places": "beaucoup", "email": ""}, actor=worker)
    assert error.value.errors["places"] == ["« Nombre de places » : Saisissez un nombre entier."]
    assert error.value.errors["email"] == ["Le champ « Courriel de contact » est obligatoire."]
    case.refresh_from_db()
    assert case.data == before
    assert not case.events.filter(kind="data_updated").exists()


def test_case_data_update_is_for_staff_on_open_cases(case, member, coordinator):
    with pytest.raises(PermissionDenied):
        case_data_update(case=case, data=VALID_DEMANDE, actor=member)
    transition_apply(case=case, transition="abandonner", actor=coordinator)
    with pytest.raises(PermissionDenied, match="clôturé"):
        case_data_update(case=case, data=VALID_DEMANDE, actor=coordinator)


def test_the_editable_form_holds_the_opening_fields_and_the_filled_ones(case, worker):
    codes = {f.code for f in case_editable_form(case).input_fields()}
    assert "structure_name" in codes
    assert "score" not in codes
    assert "statuts" not in codes  # files change through a transition
    transition_apply(case=case, transition="demarrer_diagnostic", actor=worker, data={"score": 40})
    assert "score" in {f.code for f in case_editable_form(case).input_fields()}


def test_case_attachment_add_stores_the_file_and_its_event(case, worker):
    upload = SimpleUploadedFile("statuts.pdf", PDF, content_type="application/pdf")
    attachment = case_attachment_add(case=case, upload=upload, visibility="structure", actor=worker)
    assert attachment.size == len(PDF)
    assert attachment.file.read() == PDF
    event = case.events.get(kind="attached")
    assert event.detail == {"attachment": attachment.pk, "name": "statuts.pdf", "visibility": "structure"}


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "application/x-msdownload", "Type de fichier refusé"),
        ("faux.pdf", b"<html>", "application/pdf", "ne correspond pas"),
        ("vide.txt", b"", "text/plain", "vide"),
        ("binaire.txt", b"abc\x00def", "text/plain", "pas un texte"),
    ],
)
def test_case_attachment_add_refuses_bad_files(case, worker, name, content, content_type, message):  # noqa: PLR0917  # noqa: PLR0917
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    with pytest.raises(ValidationError, match=message):
        case_attachment_add(case=case, upload=upload, visibility="internal", actor=worker)
    assert not Attachment.objects.exists()
    assert not case.events.filter(kind="attached").exists()


def test_case_attachment_add_refuses_a_file_too_big(case, worker, settings, monkeypatch):
    monkeypatch.setattr("core.services.case_work.ATTACHMENT_MAX_MB", 0.00001)
    upload = SimpleUploadedFile("statuts.pdf", PDF, content_type="application/pdf")
    with pytest.raises(ValidationError, match="trop volumineux"):
        case_attachment_add(case=case, upload=upload, visibility="internal", actor=worker)


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
