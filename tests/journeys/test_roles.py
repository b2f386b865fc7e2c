"""Each role's work, in a real browser, on a committed copy of the demo territory (built as `make run` builds
it): people are invited (`tests.people.person_invite`: the invitation, its e-mailed link, a password set on the
page), then sign in through the login page and do their part. Never a superuser. Screenshots in
tests/artifacts/ (test_roles-*.png).

- a pole coordinator finds a public request in the cases, confirms the structure it created (the person who
  sent it is invited as its member) and moves the case on;
- a case worker finds the case assigned to them, comments on it and starts its diagnostic;
- an ESS operator sees the service referred to it in its case and accepts it;
- a substitute signs in to the remplacement portal, sees her offers and sets her week.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from tests.live import ARTIFACTS
from tests.people import PASSWORD, person_invite

REQUEST = {
    "structure_name": "Les Pitchouns du Semnon",
    "kind": "multi_accueil",
    "commune": "Martigné-Ferchaud",
    "postcode": "35640",
    "places": 16,
    "member": False,
    "contact_name": "Claire Le Goff",
    "contact_role": "presidence",
    "email": "presidence@pitchouns.example.org",
    "needs": ["paie", "gouvernance"],
    "situation": "Notre trésorière part en juin ; nous cherchons un appui pour la paie et le bureau.",
    "urgency": "normale",
}
RAW = re.compile(r"\b(structure_to_confirm|support-accompagnement|pole_coordinator|case_worker|None|True|False)\b")
ENGLISH = re.compile(r"\b(Save|Submit|Cancel|Delete|Error|Sign in|Log in|Dashboard)\b")


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("S'identifier|Se connecter|Connexion")).click()
    page.wait_for_load_state()
    assert "connexion" not in page.url, page.locator("body").inner_text()[:400]
    assert "login" not in page.url, page.locator("body").inner_text()[:400]


def _clean(page) -> str:
    """The visible text, checked for raw codes, English and JSON."""
    text = page.locator("main").first.inner_text() if page.locator("main").count() else page.inner_text("body")
    assert not RAW.search(text), RAW.search(text).group(0)
    assert not ENGLISH.search(text), ENGLISH.search(text).group(0)
    assert '{"' not in text
    return text


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"test_roles-{name}.png"), full_page=True)


@contextlib.contextmanager
def _committed(territory, django_db_blocker):
    with django_db_blocker.unblock(), tenant_context(territory):
        yield
    connection.set_schema_to_public()


def _capture(execute=True):  # on-commit callbacks already run at once outside a test transaction
    return contextlib.nullcontext()


def _open(page, server, territory, reference: str) -> None:
    page.goto(server.url_for(territory, "/admin/dossiers/?inbox=tous"))
    page.get_by_role("link", name=reference).first.click()
    page.wait_for_load_state()
    assert reference in page.locator("h1").first.inner_text()


@pytest.mark.browser
def test_a_coordinator_confirms_the_structure_of_a_public_request_and_moves_the_case_on(
    http_server, page, scratch_demo_territory, django_db_blocker, settings
):
    from cms.services import request_submit
    from core.models import Case, Invitation, Structure

    territory = scratch_demo_territory
    settings.PPE_URL_PORT = str(http_server.port)
    page.set_default_timeout(30000)
    with _committed(territory, django_db_blocker):
        case = request_submit(workflow="support-accompagnement", data=dict(REQUEST))
        reference = case.reference
        coordinator = person_invite(territory, role="pole_coordinator", first_name="Yann", last_name="Le Bihan")

    _sign_in(page, http_server.url_for(territory, "/admin/login/"), coordinator.username)
    page.goto(http_server.url_for(territory, "/admin/dossiers/?inbox=tous"))
    assert reference in _clean(page)
    _shot(page, "1-coordinateur-dossiers")
    _open(page, http_server, territory, reference)
    text = _clean(page)
    assert "Nouvelle structure à confirmer." in text
    assert "presidence@pitchouns.example.org" in text
    _shot(page, "2-coordinateur-structure-a-confirmer")

    page.fill("#id_st-places", "18")
    page.get_by_role("button", name="Confirmer cette structure").click()
    page.wait_for_load_state()
    text = _clean(page)
    assert "Une invitation à rejoindre la plateforme a été envoyée à presidence@pitchouns.example.org." in text
    assert "Rattachement à « Les Pitchouns du Semnon (Martigné-Ferchaud) » confirmé" in text

    page.locator("#transition-demarrer_diagnostic summary").click()
    page.get_by_role("button", name="Confirmer : Démarrer le diagnostic").click()
    page.wait_for_load_state()
    text = _clean(page)
    assert "le dossier est passé à l'état « Diagnostic »" in text
    _shot(page, "3-coordinateur-diagnostic")

    with _committed(territory, django_db_blocker):
        case = Case.objects.get(reference=reference)
        structure = Structure.objects.get(pk=case.structure_id)
        assert (structure.status, structure.places) == (Structure.Status.CONFIRMED, 18)
        assert case.state == "diagnostic"
        invitation = Invitation.objects.get(email="presidence@pitchouns.example.org")
        assert invitation.structure_id == structure.pk


@pytest.mark.browser
def test_a_case_worker_works_on_the_case_assigned_to_them(
    http_server, page, scratch_demo_territory, django_db_blocker, settings
):
    from core.models import Case, Comment, Structure
    from core.services.case_work import case_assign
    from core.services.cases import case_open

    territory = scratch_demo_territory
    settings.PPE_URL_PORT = str(http_server.port)
    page.set_default_timeout(30000)
    with _committed(territory, django_db_blocker):
        coordinator = person_invite(territory, role="pole_coordinator")
        worker = person_invite(territory, role="case_worker", first_name="Maëlle", last_name="Guillou")
        loups = Structure.objects.get(name="Les P'tits Loups")
        data = {**REQUEST, "structure_name": "Les P'tits Loups", "commune": "Bain-de-Bretagne"}
        case = case_open(workflow="support-accompagnement", data=data, structure=loups, actor=coordinator)
        case_assign(case=case, users=[worker], actor=coordinator)
        reference = case.reference

    _sign_in(page, http_server.url_for(territory, "/admin/login/"), worker.username)
    page.goto(http_server.url_for(territory, "/admin/dossiers/?inbox=moi"))
    text = _clean(page)
    assert reference in text
    assert "Les P'tits Loups" in text
    _shot(page, "4-charge-mes-dossiers")
    page.get_by_role("link", name=reference).first.click()
    page.wait_for_load_state()
    page.fill("textarea[name=body]", "Appel à la présidente : rendez-vous de diagnostic fixé au 12.")
    page.get_by_role("button", name="Commenter").click()
    page.wait_for_load_state()
    assert "Commentaire ajouté." in _clean(page)
    page.locator("#transition-demarrer_diagnostic summary").click()
    page.get_by_role("button", name="Confirmer : Démarrer le diagnostic").click()
    page.wait_for_load_state()
    text = _clean(page)
    assert "le dossier est passé à l'état « Diagnostic »" in text
    assert "Rendez-vous de diagnostic" in text or "rendez-vous de diagnostic" in text
    _shot(page, "5-charge-dossier")

    with _committed(territory, django_db_blocker):
        case = Case.objects.get(reference=reference)
        assert case.state == "diagnostic"
        assert Comment.objects.filter(case=case, author=worker).exists()


@pytest.mark.browser
def test_an_operator_sees_the_service_referred_to_it_and_accepts_it(
    http_server, page, scratch_demo_territory, django_db_blocker, settings
):
    from core.models import Operator, Structure
    from core.services.cases import case_open, transition_apply
    from plugins.support.services import proposal_decide
    from tests.plugins.support.helpers import DEMANDE, to_proposals

    territory = scratch_demo_territory
    settings.PPE_URL_PORT = str(http_server.port)
    page.set_default_timeout(30000)
    with _committed(territory, django_db_blocker):
        structure = Structure.objects.get(name="Les P'tits Loups")
        operator_row = Operator.objects.get(name="Gouvernance & Engagement 35")
        coordinator = person_invite(territory, role="pole_coordinator")
        director = person_invite(territory, role="structure_member", structure=structure)
        operator = person_invite(territory, role="operator", operator=operator_row, first_name="Paul",
                                 last_name="Durand")  # fmt: skip
        case = case_open(workflow="support-accompagnement", data=dict(DEMANDE), structure=structure,
                         actor=coordinator)  # fmt: skip
        case = to_proposals(case, coordinator, _capture, diag_renouvellement_1="0", diag_renouvellement_2="0")
        for proposal in case.support_proposals.all():
            proposal_decide(proposal=proposal, accepted=proposal.operator_id == operator_row.pk, actor=director)
        transition_apply(case=case, transition="accepter_propositions", actor=director)
        reference = case.reference

    _sign_in(page, http_server.url_for(territory, "/admin/login/"), operator.username)
    page.goto(http_server.url_for(territory, "/admin/dossiers/"))
    text = _clean(page)
    assert reference in text
    _shot(page, "6-operateur-dossiers")
    page.get_by_role("link", name=reference).first.click()
    page.wait_for_load_state()
    text = _clean(page)
    assert "Accepter le service « Gouvernance associative »" in text
    assert "Profil issu du diagnostic" not in text  # the structure's diagnostic is not the operator's business
    _shot(page, "7-operateur-service-oriente")
    page.get_by_role("button", name="Accepter le service « Gouvernance associative »").click()
    page.wait_for_load_state()
    _clean(page)
    _shot(page, "8-operateur-service-accepte")
    with _committed(territory, django_db_blocker):
        proposal = case.support_proposals.get(operator=operator_row)
        assert proposal.referral_status == "accepted"


@pytest.mark.browser
def test_a_substitute_signs_in_to_the_remplacement_portal_and_sets_her_week(
    http_server, page, scratch_demo_territory, django_db_blocker, settings
):
    from plugins.remplacement.models import Substitute

    territory = scratch_demo_territory
    settings.PPE_URL_PORT = str(http_server.port)
    page.set_default_timeout(30000)
    with _committed(territory, django_db_blocker):
        substitute = person_invite(territory, role="substitute", first_name="Nolwenn", last_name="Riou")

    _sign_in(page, http_server.url_for(territory, "/remplacement/connexion/"), substitute.username)
    assert "/remplacement/offres/" in page.url
    _clean(page)
    _shot(page, "9-remplacante-offres")
    page.goto(http_server.url_for(territory, "/remplacement/disponibilites/"))
    assert page.locator("h1").inner_text() == "Mes disponibilités"
    page.fill("#id_d0_0_start", "07:00")
    page.fill("#id_d0_0_end", "11:30")
    page.fill("#id_d0_1_start", "15:30")
    page.fill("#id_d0_1_end", "19:30")
    page.get_by_role("button", name="Enregistrer ma semaine type").click()
    page.wait_for_load_state()
    _clean(page)
    _shot(page, "10-remplacante-semaine")
    with _committed(territory, django_db_blocker):
        record = Substitute.objects.get(user=substitute)
        assert record.availability_rules.filter(weekday=0).count() == 2
