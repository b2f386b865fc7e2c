"""Journeys 3 and 5 in a real browser, on a committed copy of the demo: a crèche director and an ESS operator
take part in their own support case from their own accounts (created by invitation, never a superuser).

The director is e-mailed when proposals wait for her, signs in, reads her profile, accepts the board support
and declines the rest, validates the proposals; the operator accepts the service referred to it and signs its
convention; the director signs hers (her name and the date land in the PDF); once the team has set up the
services, she fills the evaluation, which closes the case. Screenshots in tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django_tenants.utils import tenant_context

from tests.live import ARTIFACTS
from tests.people import PASSWORD

NAME = "test_a_director_and_an_operator_take_part_in_their_support_case"
WEAK_BOARD = {"diag_renouvellement_1": "0", "diag_renouvellement_2": "0"}


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=re.compile("S'identifier|Se connecter")).click()
    page.wait_for_load_state()


def _no_raw_codes(page) -> None:
    text = page.locator("main").inner_text()
    for raw in ("support-gouvernance", "proposed", "accepted", "pending", "counterparty", "{", "None", "True"):
        assert raw not in text, f"« {raw} » shown on {page.url}"


def _shot(page, name: str, selector: str = "#support") -> None:
    """The page scrolled to what matters (the admin's layout scrolls inside, a full-page shot shows the top)."""
    page.locator(selector).first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{NAME}-{name}.png"))


def _transition(page, label: str, fill=None) -> None:
    page.locator("summary", has_text=label).first.click()
    if fill:
        fill()
    page.get_by_role("button", name=f"Confirmer : {label}").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_a_director_and_an_operator_take_part_in_their_support_case(  # noqa: PLR0917
    http_server, page, browser, scratch_demo_territory, django_db_blocker, settings
):
    from core.models import Operator, Structure
    from core.services.cases import case_open, transition_apply
    from plugins.support.models import Convention
    from plugins.support.services import convention_sign
    from tests.people import person_invite
    from tests.plugins.support.helpers import DEMANDE, answers

    territory = scratch_demo_territory
    settings.PPE_URL_PORT = str(http_server.port)
    page.set_default_timeout(30000)
    url = lambda path: http_server.url_for(territory, path)  # noqa: E731

    with django_db_blocker.unblock(), tenant_context(territory):
        structure = Structure.objects.get(name="Les P'tits Loups", commune="Bain-de-Bretagne")
        operator = Operator.objects.get(name="Gouvernance & Engagement 35")
        director = person_invite(territory, role="structure_member", structure=structure, first_name="Anne",
                                 last_name="Martin", email="direction@ptits-loups.example.org")  # fmt: skip
        person_invite(territory, role="operator", operator=operator, first_name="Paul", last_name="Durand",
                      email="paul@gouvernance35.example.org")  # fmt: skip
        coordinator = person_invite(territory, role="pole_coordinator")
        other = case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
        case = case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
        case.structure = structure
        case.save(update_fields=["structure"])
        mail.outbox.clear()
        transition_apply(case=case, transition="demarrer_diagnostic", actor=coordinator)
        transition_apply(case=case, transition="terminer_diagnostic", actor=coordinator,
                         data=answers(**WEAK_BOARD))  # fmt: skip
        reference, other_reference = case.reference, other.reference
        told = [m for m in mail.outbox if director.email in m.to]
        connection.set_schema_to_public()
    assert told, "the director is told that proposals wait for her"
    assert f"/admin/dossiers/{reference}/" in told[-1].body

    # 1. The director signs in and finds what waits for her on her case's page.
    _sign_in(page, url("/admin/login/"), "direction@ptits-loups.example.org")
    page.goto(url(f"/admin/dossiers/{reference}/"))
    panel = page.locator("#support")
    assert "Ce qui attend votre action" in panel.inner_text()
    assert "au moins un accepté" in page.locator("body").inner_text()  # why « Valider » waits
    assert panel.locator("svg[role=img]").count() == 1  # her profile
    _shot(page, "1-directrice-propositions")
    _no_raw_codes(page)
    page.get_by_role("button", name="Accepter « Gouvernance associative »").click()
    page.wait_for_load_state()
    assert "« Gouvernance associative » : acceptée." in page.locator("body").inner_text()
    while page.get_by_role("button", name=re.compile("^Décliner « (?!Gouvernance)")).count():
        page.get_by_role("button", name=re.compile("^Décliner « (?!Gouvernance)")).first.click()
        page.wait_for_load_state()
    _transition(page, "Valider les propositions")
    assert page.locator(".ppe-state").inner_text() == "Conventions"
    assert page.get_by_role("button", name=re.compile("^Signer « ")).count() == 1
    _shot(page, "2-directrice-convention-a-signer")
    _no_raw_codes(page)
    # Nothing of another case.
    assert page.goto(url(f"/admin/dossiers/{other_reference}/")).status == 404

    # 2. The operator, in a browser of its own: accepts the referred service, signs its convention.
    operator_context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    operator_page = operator_context.new_page()
    try:
        _sign_in(operator_page, url("/admin/login/"), "paul@gouvernance35.example.org")
        operator_page.goto(url("/admin/dossiers/"))
        operator_page.get_by_role("link", name=reference).first.click()
        operator_page.wait_for_load_state()
        assert "Accepter ou décliner le service confié" in operator_page.locator("#support").inner_text()
        _shot(operator_page, "operateur-1-service-confie")
        operator_page.get_by_role("button", name="Accepter le service « Gouvernance associative »").click()
        operator_page.wait_for_load_state()
        assert "vous réalisez ce service" in operator_page.locator("body").inner_text()
        operator_page.get_by_role("button", name=re.compile("^Signer « ")).click()
        operator_page.wait_for_load_state()
        body = operator_page.locator("#support").inner_text()
        assert "par Paul Durand" in body
        assert "Profil issu du diagnostic" not in body
        _shot(operator_page, "operateur-2-convention-signee", ".support-convention")
    finally:
        operator_context.close()

    # 3. The director signs hers; her name is in the PDF.
    page.goto(url(f"/admin/dossiers/{reference}/"))
    page.get_by_role("button", name=re.compile("^Signer « ")).click()
    page.wait_for_load_state()
    assert "par Anne Martin" in page.locator("#support").inner_text()
    href = page.get_by_role("link", name="Télécharger la convention (PDF)").first.get_attribute("href")
    status, kind = page.evaluate(
        "async (u) => { const r = await fetch(u); return [r.status, r.headers.get('content-type')]; }", href
    )
    assert (status, kind) == (200, "application/pdf")
    _shot(page, "3-directrice-convention-signee", ".support-convention")

    # 4. The team signs for the platform and sets up the services; the director fills the evaluation.
    with django_db_blocker.unblock(), tenant_context(territory):
        from core.models import Case

        case = Case.objects.get(reference=reference)
        for convention in Convention.objects.filter(case=case, superseded_at__isnull=True):
            convention_sign(convention=convention, party="platform", signatory="Claire Dupont", actor=coordinator)
        for code in ("mettre_en_place", "demarrer_suivi", "evaluer"):
            transition_apply(case=case, transition=code, actor=coordinator)
        connection.set_schema_to_public()
    page.goto(url(f"/admin/dossiers/{reference}/"))
    assert "Remplir l'évaluation" in page.locator("#support").inner_text()

    def evaluation():
        page.fill("input[name='t-cloturer-eval_satisfaction']", "5")
        page.select_option("select[name='t-cloturer-eval_objectifs']", "atteints")

    _transition(page, "Clôturer avec l'évaluation", fill=evaluation)
    assert page.locator(".ppe-state").inner_text() == "Clôturée"
    _shot(page, "4-directrice-evaluation", "#historique")
    _no_raw_codes(page)
    timeline = page.locator("#historique").inner_text()
    assert "Convention signée" in timeline
