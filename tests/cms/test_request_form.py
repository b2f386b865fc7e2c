"""The public request form: the workflow's opening form, validation in French, consent, honeypot, anti-abuse
limit, acknowledgement e-mail and thank-you page with the case reference."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from cms.cache import HEADER
from cms.forms import RequestFormPageAdminForm
from cms.models import RequestFormPage
from core.models import Case

FIXTURE = Path(__file__).parent / "fixtures" / "demande-publique.yaml"

VALID = {
    "structure_name": "Les Petits Mousses",
    "postcode": "35520",
    "contact_name": "Claire Martin",
    "email": "presidence@petits-mousses.example.org",
    "phone": "02 99 00 00 00",
    "needs": ["paie", "rh"],
    "situation": "Notre trésorière part en juin ; nous cherchons un appui pour la paie.",
    "envoi-consent": "on",
    "envoi-site_web": "",
}


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    """Tests roll back, so version ids come back: forget the engine's compiled versions around each test."""
    from workflows.engine import compiled_cache_clear

    compiled_cache_clear()
    yield
    compiled_cache_clear()


@pytest.fixture
def request_page(tenant):
    """The territory's request form page, opening the test workflow."""
    from workflows.services import workflow_import

    workflow_import(source=FIXTURE.read_text(encoding="utf-8"), publish=True)
    page = RequestFormPage.objects.get()
    page.workflow_code = "essai-demande-publique"
    page.save_revision().publish()
    return page


def opened():
    """The cases the test workflow opened (the demo territory has cases of its own)."""
    return Case.objects.filter(workflow__code="essai-demande-publique")


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_page_renders_the_workflow_opening_form(request_page, client_35):
    response = client_35.get("/demande/")
    body = text(response)
    assert response.status_code == 200
    assert "<legend>Votre structure</legend>" in body
    assert "<legend>La personne à contacter</legend>" in body
    assert 'for="id_structure_name">Nom de la structure <span class="required">(obligatoire)</span>' in body
    assert "Cochez tout ce qui vous concerne." in body
    assert 'autocomplete="email"' in body
    assert 'aria-describedby="id_situation_helptext"' in body
    assert "Vos données personnelles</legend>" in body
    assert 'href="/donnees-personnelles/"' in body
    assert 'name="envoi-consent"' in body
    assert '<div class="honeypot" aria-hidden="true">' in body
    assert HEADER not in response  # never cached
    assert HEADER not in client_35.get("/demande/")


def test_a_service_link_preselects_the_matching_need(request_page, client_35):
    body = text(client_35.get("/demande/?service=support-paie"))
    assert "Service demandé : <strong>Gestion de la paie</strong>" in body
    assert re.search(r'<input type="checkbox" name="needs" value="paie"[^>]*checked', body)
    assert not re.search(r'<input type="checkbox" name="needs" value="rh"[^>]*checked', body)


def test_a_valid_request_opens_a_case_and_acknowledges_it(
    request_page, client_35, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_35.post("/demande/", VALID)
    assert response.status_code == 302
    case = opened().get()
    assert case.channel == "public"
    assert case.workflow.code == "essai-demande-publique"
    assert case.state == "recue"
    assert case.data["structure_name"] == "Les Petits Mousses"
    assert case.data["needs"] == ["paie", "rh"]
    assert "envoi-consent" not in case.data

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["presidence@petits-mousses.example.org"]
    assert case.reference in mail.subject
    assert case.reference in mail.body
    assert "Ille-et-Vilaine" in mail.body

    thanks = client_35.get(response["Location"])
    assert thanks.status_code == 200
    assert f"Référence de votre demande : <strong>{case.reference}</strong>" in text(thanks)
    assert "Un courriel de confirmation vous a été envoyé." in text(thanks)


def test_invalid_answers_are_explained_in_french_on_their_fields(request_page, client_35):
    response = client_35.post("/demande/", {**VALID, "postcode": "355", "email": "pas-une-adresse", "situation": ""})
    body = text(response)
    assert response.status_code == 200
    assert not opened().exists()
    assert "<title>Erreur : " in body
    assert "Le formulaire contient 3 erreurs" in body
    assert "Code postal invalide (5 chiffres)." in body
    assert "Le champ « Décrivez votre situation » est obligatoire." in body
    assert 'href="#id_email"' in body  # the summary links to the field
    email_input = re.search(r"<input[^>]*name=\"email\"[^>]*>", body).group(0)
    assert 'aria-invalid="true"' in email_input
    assert 'aria-describedby="id_email_error"' in email_input
    assert '<p class="field-error" id="id_email_error">' in body
    assert 'value="Les Petits Mousses"' in body  # answers are kept


def test_consent_is_required(request_page, client_35):
    response = client_35.post("/demande/", {**VALID, "envoi-consent": ""})
    body = text(response)
    assert not opened().exists()
    assert "Cochez la case de consentement pour que nous puissions traiter votre demande." in body
    assert 'href="#id_envoi-consent"' in body
    assert "Le formulaire contient 1 erreur" in body


def test_a_filled_honeypot_opens_nothing(request_page, client_35, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_35.post("/demande/", {**VALID, "envoi-site_web": "http://spam.example"})
    assert response.status_code == 302
    assert not opened().exists()
    assert mailoutbox == []
    assert "Référence de votre demande" not in text(client_35.get(response["Location"]))


def test_too_many_submissions_from_one_address_are_refused(request_page, client_35, settings):
    settings.PPE_REQUEST_FORM_LIMIT_PER_HOUR = 2
    assert client_35.post("/demande/", VALID).status_code == 302
    assert client_35.post("/demande/", VALID).status_code == 302
    refused = client_35.post("/demande/", VALID)
    assert refused.status_code == 429
    assert "Trop de demandes envoyées" in text(refused)
    assert opened().count() == 2
    other_address = client_35.post("/demande/", VALID, REMOTE_ADDR="192.0.2.44")
    assert other_address.status_code == 302


def test_a_forged_thank_you_link_is_refused(request_page, client_35):
    assert client_35.get("/demande/?envoi=SU-35-2026-00001").status_code == 404


def test_the_page_says_so_when_its_workflow_is_not_published(tenant, client_35):
    page = RequestFormPage.objects.get()
    page.workflow_code = "inexistant"
    page.save_revision().publish()
    body = text(client_35.get("/demande/"))
    assert "Le formulaire de demande n'est pas disponible pour le moment." in body
    assert "<form" not in body.split("<main")[1]


def test_admins_choose_the_workflow_among_the_published_ones(request_page):
    form_class = RequestFormPage.get_edit_handler().get_form_class()
    assert issubclass(form_class, RequestFormPageAdminForm)
    form = form_class(instance=request_page, for_user=None)
    choices = dict(form.fields["workflow_code"].widget.choices)
    assert choices["essai-demande-publique"] == "Demande d'essai"
