"""Comments and attachments by visibility: internal (the platform's staff) or visible to the structure."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import CaseAttachment, CaseEvent, Comment, Structure, StructureMembership
from core.services.case_updates import case_attachment_add, case_comment_add
from core.services.cases import case_open
from tests.workflows.helpers import VALID_DEMANDE, person
from workflows.exceptions import FormInvalid, TransitionNotAllowed

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


def test_an_internal_comment_writes_the_comment_and_its_event(case, worker):
    event = case_comment_add(case=case, text="  Appeler la directrice.  ", visibility="internal", actor=worker)
    comment = Comment.objects.get()
    assert (comment.body, comment.visibility, comment.author) == ("Appeler la directrice.", "internal", worker)
    assert event.kind == CaseEvent.Kind.COMMENT
    assert event.comment == "Appeler la directrice."
    assert event.detail == {"comment": comment.pk, "visibility": "internal"}


def test_a_comment_is_visible_to_the_structure_by_default(case, member):
    event = case_comment_add(case=case, text="Merci", actor=member)
    assert event.detail["visibility"] == "structure"
    assert Comment.objects.get().visibility == "structure"


@pytest.mark.parametrize(
    ("text", "visibility", "field", "message"),
    [
        ("   ", "internal", "text", "Le commentaire est vide."),
        ("Bonjour", "public", "visibility", "Visibilité inconnue"),
    ],
)
def test_a_bad_comment_is_refused_and_nothing_written(case, worker, text, visibility, field, message):  # noqa: PLR0917
    with pytest.raises(FormInvalid) as error:
        case_comment_add(case=case, text=text, visibility=visibility, actor=worker)
    assert message in error.value.errors[field][0]
    assert not Comment.objects.exists()
    assert not case.events.filter(kind="comment").exists()


def test_only_staff_write_internal_comments_and_attachments(case, member):
    with pytest.raises(TransitionNotAllowed, match="commentaires internes"):
        case_comment_add(case=case, text="Secret", visibility="internal", actor=member)
    upload = SimpleUploadedFile("statuts.pdf", PDF, content_type="application/pdf")
    with pytest.raises(TransitionNotAllowed, match="pièces internes"):
        case_attachment_add(case=case, file=upload, visibility="internal", actor=member)
    assert not Comment.objects.exists()
    assert not CaseAttachment.objects.exists()


def test_an_internal_attachment_keeps_its_visibility(case, worker):
    upload = SimpleUploadedFile("statuts.pdf", PDF, content_type="application/pdf")
    attachment = case_attachment_add(case=case, file=upload, visibility="internal", actor=worker)
    assert attachment.visibility == "internal"
    event = case.events.get(kind="comment")
    assert event.detail == {"attachment": attachment.pk, "visibility": "internal"}
