"""The structure and the operator take part in their own support case from their own account (invited, on
the demo territory): the case page's support panel shows what waits for them, they decide the proposals,
answer the referral, sign their convention (the signature lands in the PDF), upload the signed copy — and
see nothing of other cases."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Operator
from core.services.cases import case_open, transition_apply
from plugins.support.models import Convention, Proposal
from tests.core.test_documents import pdf_text
from tests.people import person_client, person_invite

from .helpers import DEMANDE, to_proposals

WEAK_BOARD = {"diag_renouvellement_1": "0", "diag_renouvellement_2": "0"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people(territory, structure):
    operator = Operator.objects.get(name="Gouvernance & Engagement 35")
    return {
        "director": person_invite(
            territory, role="structure_member", structure=structure, first_name="Anne", last_name="Martin"
        ),
        "operator": person_invite(territory, role="operator", operator=operator, first_name="Paul", last_name="Durand"),
        "coordinator": person_invite(territory, role="pole_coordinator"),
        "operator_row": operator,
    }


def _case_at_proposals(structure, coordinator, capture):
    case = case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
    case.structure = structure
    case.save(update_fields=["structure"])
    return to_proposals(case, coordinator, capture, **WEAK_BOARD)


def _page(client, case) -> str:
    response = client.get(f"/admin/dossiers/{case.reference}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_structure_and_the_operator_take_part_in_their_case(
    territory, structure, people, django_capture_on_commit_callbacks
):
    case = _case_at_proposals(structure, people["coordinator"], django_capture_on_commit_callbacks)
    proposal = case.support_proposals.get(service__code="support-gouvernance")
    assert proposal.operator == people["operator_row"]
    director = person_client(territory, people["director"])
    page = _page(director, case)
    assert "Ce qui attend votre action" in page
    assert "Accepter « Gouvernance associative »" in page
    assert "Profil issu du diagnostic" in page
    assert "Ouvrir l'espace de travail" not in page  # the team's screen

    url = f"/admin/support/dossiers/{case.reference}/participation/"
    with django_capture_on_commit_callbacks(execute=True):
        answer = director.post(url, {"action": "decide", "proposal": proposal.pk, "decision": "accept"})
    assert answer.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED
    assert proposal.referral_status == "pending"
    for other in case.support_proposals.exclude(pk=proposal.pk):
        director.post(url, {"action": "decide", "proposal": other.pk, "decision": "decline"})
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="accepter_propositions", actor=people["director"])
    conventions = {c.party: c for c in case.support_conventions.all()}
    assert set(conventions) == {"structure", "operator"}

    # The operator sees the referred service, accepts it and signs its convention; not the structure's.
    operator = person_client(territory, people["operator"])
    page = _page(operator, case)
    assert "Accepter le service « Gouvernance associative »" in page
    assert "Profil issu du diagnostic" not in page
    declined = operator.post(url, {"action": "referral", "proposal": proposal.pk, "decision": "decline"})
    assert declined.status_code == 302
    proposal.refresh_from_db()
    assert proposal.referral_status == "pending"  # a reason is required to decline
    operator.post(url, {"action": "referral", "proposal": proposal.pk, "decision": "accept"})
    proposal.refresh_from_db()
    assert proposal.referral_status == "accepted"
    forbidden = operator.post(url, {"action": "sign", "convention": conventions["structure"].pk, "signatory": "X"})
    assert forbidden.status_code == 404
    operator.post(url, {"action": "sign", "convention": conventions["operator"].pk, "signatory": "Paul Durand"})
    signed = Convention.objects.get(pk=conventions["operator"].pk)
    assert signed.counterparty_signatory == "Paul Durand"
    assert operator.get(f"/admin/support/conventions/{conventions['structure'].pk}/").status_code == 404

    # The structure signs its own, under its own name, then uploads the copy signed by hand.
    page = _page(director, case)
    assert "Signer « " in page
    director.post(url, {"action": "sign", "convention": conventions["structure"].pk, "signatory": "Anne Martin"})
    ours = Convention.objects.get(pk=conventions["structure"].pk)
    assert ours.counterparty_signed_on is not None
    document = director.get(f"/admin/support/conventions/{ours.pk}/")
    assert document.status_code == 200
    text = pdf_text(b"".join(document.streaming_content))
    assert "Anne Martin" in text
    copy = SimpleUploadedFile("signee.pdf", PDF, content_type="application/pdf")
    director.post(url, {"action": "signed_copy", "convention": ours.pk, "file": copy})
    ours.refresh_from_db()
    assert ours.signed_pdf
    assert director.get(f"/admin/support/conventions/{ours.pk}/?exemplaire=signe").status_code == 200
    events = [e.title for e in case_events(case, people["director"])]
    assert any("Convention signée" in title for title in events)


def case_events(case, user):
    from core.selectors.case_work import case_timeline

    return case_timeline(case=case, user=user)


def test_a_structure_member_sees_nothing_of_another_case(
    territory, structure, people, django_capture_on_commit_callbacks
):
    other = case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
    other = to_proposals(other, people["coordinator"], django_capture_on_commit_callbacks, **WEAK_BOARD)
    director = person_client(territory, people["director"])
    assert director.get(f"/admin/dossiers/{other.reference}/").status_code == 404
    proposal = other.support_proposals.first()
    url = f"/admin/support/dossiers/{other.reference}/participation/"
    assert director.post(url, {"action": "decide", "proposal": proposal.pk, "decision": "accept"}).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PROPOSED
    operator = person_client(territory, people["operator"])
    assert operator.get(f"/admin/dossiers/{other.reference}/").status_code == 404


def test_someone_without_a_role_is_refused(territory, structure, people, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    case = _case_at_proposals(structure, people["coordinator"], django_capture_on_commit_callbacks)
    nobody = get_user_model().objects.create_user("personne", "personne@example.org", "x")
    client = person_client(territory, nobody)
    url = f"/admin/support/dossiers/{case.reference}/participation/"
    assert client.post(url, {"action": "decide"}).status_code in (302, 403)
