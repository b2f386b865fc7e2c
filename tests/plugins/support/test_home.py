"""The support pole's panel on the home screen (« Mon travail »), rendered with real proposals and conventions:
a structure member decides the proposals waiting for her right from her home; an operator finds the services
it carries out and all its conventions, to sign and signed, with the PDF and the signed copy downloadable
(by a permission-checked view: another operator gets nothing). People invited the product's way, demo data."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Operator
from core.services.cases import case_open, transition_apply
from plugins.support.models import Proposal
from plugins.support.services import convention_sign, convention_signed_copy_attach, referral_answer
from tests.people import person_client, person_invite

from .helpers import DEMANDE, to_proposals

WEAK_BOARD = {"diag_renouvellement_1": "0", "diag_renouvellement_2": "0"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = re.compile(r'<form method="post" action="([^"]+)" class="ppe-inline-form">(.*?)</form>', re.S)


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


def _case_at_proposals(structure, coordinator, capture, **diagnostic):
    case = case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
    case.structure = structure
    case.save(update_fields=["structure"])
    return to_proposals(case, coordinator, capture, **(diagnostic or WEAK_BOARD))


def _home(client) -> str:
    answer = client.get("/admin/")
    assert answer.status_code == 200
    return html.unescape(answer.content.decode())


def test_a_structure_member_decides_the_waiting_proposals_from_her_home(
    territory, structure, people, django_capture_on_commit_callbacks
):
    # Every answer of the diagnostic weak: several services proposed.
    case = _case_at_proposals(structure, people["coordinator"], django_capture_on_commit_callbacks, default="0")
    waiting = list(case.support_proposals.filter(status=Proposal.Status.PROPOSED).select_related("service"))
    assert len(waiting) >= 2
    director = person_client(territory, people["director"])
    home = _home(director)
    assert "Pôle support : ce qui vous attend" in home
    assert "Propositions de service à accepter ou refuser" in home
    for proposal in waiting:
        assert f"Accepter « {proposal.service.title} »" in home
    assert case.reference in home
    # She accepts one with the form her home shows (its action, its hidden fields, its CSRF token).
    governance = next(p for p in waiting if p.service.code == "support-gouvernance")
    action, fields = next((a, f) for a, f in FORM.findall(home) if f'value="{governance.pk}"' in f)
    data = dict(re.findall(r'name="(\w+)" value="([^"]*)"', fields))
    assert set(data) >= {"csrfmiddlewaretoken", "action", "proposal", "decision"}
    data["decision"] = "accept"
    with django_capture_on_commit_callbacks(execute=True):
        answer = director.post(action, data)
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"/admin/dossiers/{case.reference}/#support")
    governance.refresh_from_db()
    assert governance.status == Proposal.Status.ACCEPTED
    page = html.unescape(director.get(answer["Location"]).content.decode())
    assert "« Gouvernance associative » : acceptée." in page
    # The decided proposal leaves her home; the others still wait there.
    home = _home(director)
    assert "Accepter « Gouvernance associative »" not in home
    assert any(f"Accepter « {p.service.title} »" in home for p in waiting if p.pk != governance.pk)


def test_an_operator_s_home_shows_its_services_and_all_its_conventions_with_their_documents(
    territory, structure, people, django_capture_on_commit_callbacks
):
    case = _case_at_proposals(structure, people["coordinator"], django_capture_on_commit_callbacks)
    proposal = case.support_proposals.get(service__code="support-gouvernance")
    director = people["director"]
    with django_capture_on_commit_callbacks(execute=True):
        for each in case.support_proposals.all():
            from plugins.support.services import proposal_decide

            proposal_decide(proposal=each, accepted=each.pk == proposal.pk, actor=director)
        transition_apply(case=case, transition="accepter_propositions", actor=director)
    convention = case.support_conventions.get(party="operator")
    operator = person_client(territory, people["operator"])

    home = _home(operator)
    assert "Orientations auxquelles répondre" in home
    assert "Vos conventions" in home
    assert "À signer" in home
    assert convention.title in home

    referral_answer(proposal=proposal, accepted=True, note="", actor=people["operator"])
    convention_sign(convention=convention, party="counterparty", actor=people["operator"], signatory="Paul Durand")
    copy = SimpleUploadedFile("signee.pdf", PDF, content_type="application/pdf")
    convention_signed_copy_attach(convention=convention, file=copy, actor=people["operator"])

    home = _home(operator)
    assert "Services que vous réalisez" in home
    assert "Gouvernance associative pour Les P'tits Loups" in home
    assert "Conventions à signer" not in home  # signed: no longer waiting...
    assert convention.title in home  # ...but still among its conventions
    assert "par Paul Durand" in home
    links = set(re.findall(r'href="(/admin/support/conventions/\d+/[^"]*)"', home))
    document_url = f"/admin/support/conventions/{convention.pk}/"
    assert {document_url, f"{document_url}?exemplaire=signe"} <= links
    for link in links:
        document = operator.get(link)
        assert document.status_code == 200, link
        assert document["Content-Type"] == "application/pdf"
    signed = b"".join(operator.get(f"/admin/support/conventions/{convention.pk}/?exemplaire=signe").streaming_content)
    assert signed == PDF
    # Another operator's person gets neither the document nor the convention on its home.
    stranger_row = Operator.objects.exclude(pk=people["operator_row"].pk).order_by("pk").first()
    stranger = person_client(territory, person_invite(territory, role="operator", operator=stranger_row))
    assert stranger.get(f"/admin/support/conventions/{convention.pk}/?exemplaire=signe").status_code == 404
    assert convention.title not in _home(stranger)
