"""A substitute answers an offer on a phone-sized screen, in headless Chromium, against the real server."""

import pytest
from django.db import connection

from core.models import Structure
from core.services.users import user_create
from plugins.remplacement import selectors, services
from plugins.remplacement.models import ReplacementRequest, RequestState
from tenants.models import TerritoryPole
from tests.live import ARTIFACTS
from tests.plugins.remplacement.conftest import RENNES, WEEKDAYS_8_19, next_monday, required_documents_add


@pytest.mark.browser
def test_a_substitute_logs_in_and_accepts_an_offer_on_a_phone(
    scratch_territory, http_server, browser, django_db_blocker
):
    with django_db_blocker.unblock():
        connection.set_tenant(scratch_territory)
        try:
            TerritoryPole.objects.create(
                territory=scratch_territory, pole="remplacement", settings={"dispatch_policy": "first_accept"}
            )
            coordinator = user_create(email="coord@example.org", groups=["pole_coordinator"], send_welcome=False)
            structure = Structure.objects.create(
                name="Crèche des Lucioles", kind="creche", commune="Rennes", commune_insee=RENNES
            )
            user = user_create(
                email="camille@example.org",
                first_name="Camille",
                password="motdepasse-remplacante-1",
                send_welcome=False,
            )
            substitute = services.substitute_create(
                user=user, home_commune_insee=RENNES, qualifications=["auxiliaire_puericulture"], actor=coordinator
            )
            services.availability_weekly_set(substitute=substitute, rules=WEEKDAYS_8_19, actor=user)
            required_documents_add(substitute, actor=coordinator)
            request = services.request_create(
                structure=structure,
                qualification="auxiliaire_puericulture",
                slots=[{"date": next_monday(), "start": "08:00", "end": "17:00"}],
                children_walking=14,
                staff_present=[{"qualification": "auxiliaire_puericulture", "count": 2}],
                dispatch=False,
                actor=coordinator,
            )
            services.offer_wave_send(request_id=request.pk, wave=1)
        finally:
            connection.set_schema_to_public()

    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    try:
        page.goto(http_server.url_for(scratch_territory, "/remplacement/"))
        page.get_by_label("Courriel").fill("camille@example.org")
        page.get_by_label("Mot de passe").fill("motdepasse-remplacante-1")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="Bonjour Camille").is_visible()
        assert page.get_by_text("Crèche des Lucioles — Rennes").is_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "remplacement-offers-phone.png"), full_page=True)
        page.get_by_role("link", name="Voir et répondre").click()
        page.get_by_role("button", name="Accepter cette mission").click()
        page.wait_for_load_state()
        assert "la mission est à vous" in page.get_by_role("status").inner_text()
        from axe_playwright_python.sync_playwright import Axe

        violations = Axe().run(page).response["violations"]
        serious = [
            (v["id"], [n["html"] for n in v["nodes"]]) for v in violations if v["impact"] in ("serious", "critical")
        ]
        assert serious == []
        page.screenshot(path=str(ARTIFACTS / "remplacement-accepted-phone.png"), full_page=True)
    finally:
        context.close()
    with django_db_blocker.unblock():
        connection.set_tenant(scratch_territory)
        try:
            request = ReplacementRequest.objects.select_related("case").get(pk=request.pk)
            assert request.state == RequestState.FILLED
            assert [s.user.email for s in selectors.booked_substitutes(request)] == ["camille@example.org"]
        finally:
            connection.set_schema_to_public()
