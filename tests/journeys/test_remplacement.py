"""Journeys 8 and 9 in the browser, on the demo territory as `make run` builds it (its pool of eight and its open
needs included), with people created the product's way (an invitation and its link, never a superuser):

- a crèche director posts a two-day need on a desktop screen; two substitutes, each free one of the days, take
  their day on a phone; the director retains them both;
- after a mission, the substitute declares her hours on a phone, the director sends them back with a comment,
  the substitute finds the sheet back in her list with the comment and corrects it.

Screenshots go to tests/artifacts/ (`remplacement-journey-*.png`).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection

from tests.live import ARTIFACTS
from tests.people import PASSWORD, person_invite

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
RAW = re.compile(r"auxiliaire_puericulture|structure_picks|first_accept|\bpending\b|\bfilled\b|\{'|\[\{")


def _next_monday(weeks_ahead: int = 2) -> dt.date:
    from django.utils import timezone

    today = timezone.localdate()
    return today + dt.timedelta(days=(7 - today.weekday()) + 7 * (weeks_ahead - 1))


@pytest.fixture(scope="module")
def demo(scratch_demo_territory):
    return scratch_demo_territory


@pytest.fixture(scope="module")
def people(demo, django_db_blocker):
    """A director of a Rennes crèche of the demo, and two substitutes of the pool: Anna free on Mondays, Bérénice
    on Tuesdays (both Rennes, auxiliaires de puériculture)."""
    from core.models import Structure
    from plugins.remplacement import services
    from plugins.remplacement.models import Substitute

    with django_db_blocker.unblock():
        connection.set_tenant(demo)
        try:
            structure = Structure.objects.filter(commune_insee="35238").order_by("name").first()
            director = person_invite(demo, role="structure_member", structure=structure, first_name="Delphine")
            anna = person_invite(demo, role="substitute", first_name="Anna", last_name="Kerhervé")
            berenice = person_invite(demo, role="substitute", first_name="Bérénice", last_name="Le Floch")
            for user, weekday in ((anna, 0), (berenice, 1)):
                services.availability_weekly_set(
                    substitute=Substitute.objects.get(user=user),
                    rules=[{"weekday": weekday, "start": "07:00", "end": "19:30"}],
                    actor=user,
                )
            return {"structure": structure, "director": director, "anna": anna, "berenice": berenice}
        finally:
            connection.set_schema_to_public()


def _sign_in(browser, http_server, territory, user, viewport):
    context = browser.new_context(locale="fr-FR", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30000)
    page.goto(http_server.url_for(territory, "/remplacement/connexion/"))
    page.get_by_label("Courriel").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    return context, page


def _shot(page, name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"remplacement-journey-{name}.png"), full_page=True)
    text = page.locator("main").inner_text()
    assert not RAW.search(text), f"raw code on the screen {name}: {RAW.search(text).group(0)}"
    return text


def test_a_two_day_need_is_filled_by_two_people_each_taking_their_day(demo, people, browser, http_server):
    monday = _next_monday()
    director = people["director"]
    context, page = _sign_in(browser, http_server, demo, director, DESKTOP)
    try:
        page.goto(http_server.url_for(demo, "/remplacement/structure/nouveau/"))
        page.select_option("#id_structure", label=people["structure"].name)
        page.select_option("#id_qualification", value="auxiliaire_puericulture")
        page.fill("#id_children_walking", "14")
        page.fill("#id_staff_auxiliaire_puericulture", "1")
        page.fill("#id_slot0_date", monday.isoformat())
        page.fill("#id_slot0_start", "08:00")
        page.fill("#id_slot0_end", "17:00")
        page.fill("#id_slot1_date", (monday + dt.timedelta(days=1)).isoformat())
        page.fill("#id_slot1_start", "08:00")
        page.fill("#id_slot1_end", "17:00")
        _shot(page, "1-besoin-desktop")
        page.get_by_role("button", name="Publier le besoin").click()
        page.wait_for_load_state()
        detail_url = page.url
        assert re.search(r"/remplacement/structure/demandes/\d+/$", detail_url), page.url
        text = _shot(page, "2-besoin-publie-desktop")
        assert "Auxiliaire de puériculture" in text
    finally:
        context.close()

    for who in ("anna", "berenice"):
        context, page = _sign_in(browser, http_server, demo, people[who], PHONE)
        try:
            assert page.get_by_role("heading", name=f"Bonjour {people[who].first_name}").is_visible()
            page.get_by_role("link", name="Voir et répondre").first.click()
            page.wait_for_load_state()
            _shot(page, f"3-proposition-{who}-phone")
            page.get_by_role("button", name="Accepter cette mission").click()
            page.wait_for_load_state()
            _shot(page, f"4-reponse-{who}-phone")
        finally:
            context.close()

    context, page = _sign_in(browser, http_server, demo, director, DESKTOP)
    try:
        page.goto(detail_url)
        for name in ("Anna Kerhervé", "Bérénice Le Floch"):
            page.get_by_role("button", name=f"Retenir {name}").click()
            page.wait_for_load_state()
            assert f"{name} est retenu·e." in page.get_by_role("status").first.inner_text()
        text = _shot(page, "5-deux-personnes-desktop")
        assert "Mission pourvue" in text
    finally:
        context.close()

    from plugins.remplacement.models import Assignment

    connection.set_tenant(demo)
    try:
        booked = {
            (a.substitute.user.first_name, a.slot.starts_at.date())
            for a in Assignment.objects.select_related("substitute__user", "slot").filter(
                slot__request__structure=people["structure"], slot__starts_at__date__gte=monday
            )
        }
    finally:
        connection.set_schema_to_public()
    assert booked == {("Anna", monday), ("Bérénice", monday + dt.timedelta(days=1))}


def test_a_timesheet_sent_back_is_corrected_by_the_substitute(demo, people, browser, http_server, django_db_blocker):
    """The mission took place last week: booked through the services, its shift moved into the past (the
    server's clock cannot be moved)."""
    from django.db.models import F
    from django.utils import timezone

    from plugins.remplacement import services
    from plugins.remplacement.models import Assignment, Offer, ReplacementRequest, RequestSlot, Substitute

    week_after = _next_monday(3)
    with django_db_blocker.unblock():
        connection.set_tenant(demo)
        try:
            anna = Substitute.objects.get(user=people["anna"])
            request = services.request_create(
                structure=people["structure"],
                qualification="auxiliaire_puericulture",
                slots=[{"date": week_after, "start": "08:00", "end": "17:00"}],
                children_walking=14,
                staff_present=[{"qualification": "auxiliaire_puericulture", "count": 1}],
                dispatch=False,
                actor=people["director"],
            )
            services.offer_wave_send(request_id=request.pk, wave=1)
            offer = Offer.objects.get(request=request, substitute=anna)
            services.offer_accept(offer=offer, actor=people["anna"])
            services.offer_confirm(offer=offer, actor=people["director"])
            past = dt.timedelta(days=(week_after - _next_monday(1)).days + 7)
            for model in (RequestSlot, Assignment):
                shifted = {"starts_at": F("starts_at") - past, "ends_at": F("ends_at") - past}
                model.objects.filter(request=request).update(**shifted)
            ReplacementRequest.objects.filter(pk=request.pk).update(
                first_slot_start=F("first_slot_start") - past, last_slot_end=F("last_slot_end") - past
            )
            day = timezone.localtime(RequestSlot.objects.get(request=request).starts_at)
        finally:
            connection.set_schema_to_public()
    label = f"{day.day} "

    context, page = _sign_in(browser, http_server, demo, people["anna"], PHONE)
    try:
        page.get_by_role("link", name=re.compile(f"Déclarer mes heures du {label}")).click()
        page.wait_for_load_state()
        page.get_by_label("Arrivée").fill("08:07")
        page.get_by_label("Départ").fill("17:23")
        page.get_by_label("Pause (minutes)").fill("30")
        _shot(page, "6-heures-phone")
        page.get_by_role("button", name="Envoyer mes heures").click()
        page.wait_for_load_state()
    finally:
        context.close()

    context, page = _sign_in(browser, http_server, demo, people["director"], DESKTOP)
    try:
        page.goto(http_server.url_for(demo, f"/remplacement/structure/demandes/{request.pk}/"))
        assert "08:07 \N{EN DASH} 17:23" in page.locator("main").inner_text()
        page.get_by_label("Commentaire (obligatoire pour renvoyer)").fill("La pause a duré 45 minutes.")
        page.get_by_role("button", name="Renvoyer pour correction").click()
        page.wait_for_load_state()
        assert "Relevé renvoyé avec votre commentaire." in page.get_by_role("status").first.inner_text()
        _shot(page, "7-renvoye-desktop")
    finally:
        context.close()

    context, page = _sign_in(browser, http_server, demo, people["anna"], PHONE)
    try:
        assert page.get_by_role("heading", name="Heures à corriger").is_visible()
        text = _shot(page, "8-a-corriger-phone")
        assert "La pause a duré 45 minutes." in text
        page.get_by_role("link", name=re.compile(f"Corriger mes heures du {label}")).click()
        page.wait_for_load_state()
        page.get_by_label("Pause (minutes)").fill("45")
        page.get_by_role("button", name="Renvoyer mes heures corrigées").click()
        page.wait_for_load_state()
        text = _shot(page, "9-corrige-phone")
        assert not page.get_by_role("heading", name="Heures à corriger").is_visible()
    finally:
        context.close()

    from plugins.remplacement.models import Timesheet

    connection.set_tenant(demo)
    try:
        sheet = Timesheet.objects.get(request=request)
        assert (sheet.status, str(sheet.hours)) == (Timesheet.Status.SUBMITTED, "8.52")
    finally:
        connection.set_schema_to_public()
