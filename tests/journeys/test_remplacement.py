"""Journey 8, its first part, in a real browser on a committed copy of the demo: two professionals apply to the
pool from the public site's « Rejoindre le vivier » (one on a phone, one on a computer) with their diploma,
criminal-record extract and vaccinations; the remplacement coordinator opens the application in the back
office, downloads its documents, marks them checked and accepts; the accepted substitute follows the
invitation the server e-mailed, sets a password and sees her own profile and documents in the portal.
Never a superuser. Screenshots in tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from plugins.remplacement.demo import SAMPLE_PDF
from tests.live import ARTIFACTS, sent_mails
from tests.people import PASSWORD as PEOPLE_PASSWORD

PASSWORD = "Vivier-Remplacement-2026!"
LINK = re.compile(r"https?://\S+/compte/invitation/[^\s/]+/")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _download(page, href: str) -> tuple[int, bytes]:
    """What the browser receives for a link (fetched by the page itself, with its session)."""
    status, body = page.evaluate(
        "async (u) => { const r = await fetch(u);"
        " return [r.status, Array.from(new Uint8Array(await r.arrayBuffer()))]; }",
        href,
    )
    return status, bytes(body)


def _pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": SAMPLE_PDF}


def _apply(page, home: str, person: dict, shot) -> str:
    """From the home page to the acknowledgement: returns the application's reference."""
    page.goto(home)
    page.get_by_role("link", name="Voir les services").click()
    page.wait_for_load_state()
    shot("0-services")
    page.get_by_role("link", name="Rejoindre le vivier").first.click()
    page.wait_for_load_state()
    if page.get_by_role("link", name="Rejoindre le vivier").count():  # the service's page, then its form
        page.get_by_role("link", name="Rejoindre le vivier").first.click()
        page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Candidature au vivier de remplaçants"
    page.get_by_label("Prénom").fill(person["first_name"])
    page.get_by_label("Nom (obligatoire)", exact=True).fill(person["last_name"])
    page.get_by_label("Courriel").fill(person["email"])
    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_label("Commune de résidence").fill(person["commune"])
    page.get_by_label("Votre diplôme de la petite enfance").select_option(label=person["diploma"])
    page.get_by_label("Copie de ce diplôme").set_input_files(_pdf("diplome.pdf"))
    page.get_by_label("Extrait de casier judiciaire (bulletin n° 3)").set_input_files(_pdf("casier-judiciaire.pdf"))
    page.get_by_label("Date de l'extrait").fill(person["extract_date"])
    page.get_by_label("Justificatif de vaccinations à jour").set_input_files(_pdf("vaccinations.pdf"))
    page.get_by_label("Distance maximale acceptée (km)").fill("30")
    page.get_by_label("Bébés").check()
    shot("1-formulaire")
    page.get_by_label(re.compile("J'accepte que les informations")).check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    shot("2-accuse-de-reception")
    found = re.search(r"VIV\w*-\d{4}-\d+", text)
    assert found, text
    return found.group(0)


@pytest.mark.browser
def test_a_professional_applies_from_the_public_site_is_accepted_and_finds_her_record_in_the_portal(
    http_server, browser, scratch_demo_territory, django_db_blocker, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from plugins.remplacement.models import Substitute, SubstituteDocument
    from tests.people import person_invite

    territory = scratch_demo_territory
    settings.PPE_URL_PORT = str(http_server.port)
    url = lambda path: http_server.url_for(territory, path)  # noqa: E731
    extract_date = (timezone.localdate() - timedelta(days=10)).isoformat()
    people = [
        ("telephone", PHONE, {"first_name": "Gwenaëlle", "last_name": "Le Roux", "email": "gwen@vivier.example.org",
                              "commune": "Bruz", "diploma": "Auxiliaire de puériculture"}),
        ("ordinateur", DESKTOP, {"first_name": "Malo", "last_name": "Briand", "email": "malo@vivier.example.org",
                                 "commune": "Rennes", "diploma": "Éducateur·rice de jeunes enfants"}),
    ]  # fmt: skip
    references = {}
    for device, viewport, person in people:
        context = browser.new_context(locale="fr-FR", viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(30000)
        try:

            def shot(name: str, page=page, device=device) -> None:
                page.screenshot(path=str(ARTIFACTS / f"vivier-{device}-{name}.png"), full_page=True)

            references[person["email"]] = _apply(page, url("/"), {**person, "extract_date": extract_date}, shot)
        finally:
            context.close()

    # The coordinator finds Gwenaëlle's application, downloads its documents, marks them checked, accepts.
    with django_db_blocker.unblock(), tenant_context(territory):
        coordinator = person_invite(territory, role="pole_coordinator", first_name="Soizic")
    connection.set_schema_to_public()
    reference = references["gwen@vivier.example.org"]
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(30000)
    try:
        page.goto(url("/admin/login/"))
        page.fill("#id_username", coordinator.email)
        page.fill("#id_password", PEOPLE_PASSWORD)
        page.get_by_role("button", name=re.compile("S'identifier|Se connecter")).click()
        page.wait_for_load_state()
        page.goto(url("/admin/dossiers/"))
        listing = page.locator("main").inner_text()
        assert reference in listing
        assert references["malo@vivier.example.org"] in listing
        page.get_by_role("link", name=re.compile(reference)).first.click()
        page.wait_for_load_state()
        body = page.locator("main").inner_text()
        assert "Candidature reçue" in body
        assert "Gwenaëlle" in body
        assert "Bruz" in body
        files = page.locator(".ppe-form-files a")
        assert files.count() == 3
        for n in range(files.count()):
            assert _download(page, files.nth(n).get_attribute("href")) == (200, SAMPLE_PDF)  # the bytes she sent
        page.screenshot(path=str(ARTIFACTS / "vivier-coordination-1-candidature.png"), full_page=True)
        page.locator("#transition-verifier_pieces summary").click()
        page.get_by_role("button", name="Confirmer : Diplômes vérifiés").click()
        page.wait_for_load_state()
        assert "Diplômes vérifiés" in page.locator(".ppe-state").inner_text()
        page.locator("#transition-accepter summary").click()
        page.get_by_role("button", name="Confirmer : Accepter dans le vivier").click()
        page.wait_for_load_state()
        assert "Acceptée" in page.locator(".ppe-state").inner_text()
        page.screenshot(path=str(ARTIFACTS / "vivier-coordination-2-acceptee.png"), full_page=True)
        # Her record is in the pool's list, with her documents verified.
        page.goto(url("/admin/remplacement/vivier/"))
        pool = page.locator("main").inner_text()
        assert "Le Roux" in pool
        assert "Briand" not in pool  # not accepted (yet)
        page.screenshot(path=str(ARTIFACTS / "vivier-coordination-3-vivier.png"), full_page=True)
    finally:
        context.close()

    with django_db_blocker.unblock(), tenant_context(territory):
        substitute = Substitute.objects.get(user__email="gwen@vivier.example.org")
        kinds = sorted(substitute.documents.filter(verified_at__isnull=False).values_list("kind", flat=True))
    connection.set_schema_to_public()
    assert kinds == sorted(
        [SubstituteDocument.Kind.DIPLOMA, SubstituteDocument.Kind.CRIMINAL_RECORD, SubstituteDocument.Kind.VACCINATIONS]
    )

    # She follows the invitation on her phone, sets a password and sees her record.
    link = next(
        found.group(0)
        for raw in reversed(sent_mails())
        if re.search(r"^To: gwen@vivier\.example\.org$", raw, re.MULTILINE) and (found := LINK.search(raw))
    )
    assert link.startswith(url("/compte/invitation/"))
    context = browser.new_context(locale="fr-FR", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(30000)
    try:
        page.goto(link)
        assert page.locator("h1").inner_text() == "Définir votre mot de passe"
        page.fill("#id_new_password1", PASSWORD)
        page.fill("#id_new_password2", PASSWORD)
        page.get_by_role("button", name="Activer mon compte").click()
        page.wait_for_load_state()
        page.screenshot(path=str(ARTIFACTS / "vivier-remplacante-1-arrivee.png"), full_page=True)
        page.goto(url("/remplacement/profil/"))
        profile = page.locator("main").inner_text()
        assert "Gwenaëlle" in profile
        assert "Bruz (35)" in page.locator("main").evaluate(
            "m => [...m.querySelectorAll('input')].map(i => i.value).join(' ')"
        )
        assert "Auxiliaire de puériculture" in profile
        assert "Extrait de casier judiciaire" in profile
        assert "Vaccinations" in profile
        page.screenshot(path=str(ARTIFACTS / "vivier-remplacante-2-profil.png"), full_page=True)
        download = page.locator("main a[href*='/remplacement/documents/']").first
        assert _download(page, download.get_attribute("href")) == (200, SAMPLE_PDF)
    finally:
        context.close()


# --- Journey 10: the coordinator reads the pilotage of the demo's history -------------------------------------
def test_the_demo_history_was_made_by_the_services_at_the_moments_people_acted(tenant):
    """The demo as `make run` builds it: six months of past requests, each a case of the engine whose history is
    dated when people acted, filled (hours declared, validated, billed) or unfilled, in several structures."""
    from collections import Counter

    from django.utils import timezone

    from plugins.remplacement.models import ReplacementRequest, RequestState, Timesheet

    past = ReplacementRequest.objects.filter(last_slot_end__lt=timezone.now()).select_related("case", "structure")
    states = Counter(r.case.state for r in past)
    assert states[RequestState.BILLED] >= 12
    assert states[RequestState.UNFILLED] >= 6
    assert len({r.structure.name for r in past}) >= 5
    for request in past:
        case = request.case
        assert case.created_at == request.created_at < request.first_slot_start  # posted before the shift
        events = list(case.events.order_by("created_at").values_list("created_at", flat=True))
        assert events
        assert events[0] == case.created_at
        assert events[-1] < timezone.now()
        if case.state == RequestState.BILLED:
            assert request.created_at < request.filled_at < request.first_slot_start
            sheet = Timesheet.objects.get(request=request)
            assert sheet.status == Timesheet.Status.VALIDATED
            assert request.last_slot_end < sheet.submitted_at < sheet.validated_at
    fill_hours = sorted((r.filled_at - r.created_at).total_seconds() / 3600 for r in past if r.filled_at is not None)
    assert fill_hours[0] < 1
    assert fill_hours[-1] > 24


def test_the_coordinator_reads_fill_rate_time_to_fill_and_unfilled_by_structure_and_month(tenant):
    from plugins.remplacement import selectors
    from tests.people import person_client, person_invite

    figures = selectors.pilotage(months=12)
    months = [row for row in figures["months"] if row.requests]
    assert len(months) >= 6
    rates = {row.fill_rate for row in months if row.fill_rate is not None}
    assert len(rates) >= 3  # the months differ, as real ones do
    assert all(row.median_fill_minutes for row in months if row.filled)
    bambins = next(row for row in figures["structures"] if row.label == "Au Bonheur des Bambins")
    assert bambins.unfilled == bambins.requests >= 4  # too far from the whole pool: never filled
    assert figures["structures"][0].label == "Au Bonheur des Bambins"  # the most unfilled first
    coordinator = person_invite(tenant, role="pole_coordinator")
    page = person_client(tenant, coordinator).get("/admin/remplacement/pilotage/").content.decode()
    assert page.count('role="img"') == 4  # fill rate, time to fill, unfilled by month and by structure
    assert "Au Bonheur des Bambins" in page
    assert months[0].label in page
    assert not re.search(r"\d\.\d+ %", page)  # French decimals: « 83,3 % »
    assert "2026-" not in page.split("Par mois")[-1]


@pytest.mark.browser
def test_the_pilotage_charts_on_a_computer_and_a_phone(http_server, browser, scratch_demo_territory, django_db_blocker):
    from tests.people import person_invite

    territory = scratch_demo_territory
    with django_db_blocker.unblock(), tenant_context(territory):
        coordinator = person_invite(territory, role="pole_coordinator", first_name="Erwan")
    connection.set_schema_to_public()
    for device, viewport in (("ordinateur", DESKTOP), ("telephone", PHONE)):
        context = browser.new_context(locale="fr-FR", viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(30000)
        try:
            page.goto(http_server.url_for(territory, "/admin/login/"))
            page.fill("#id_username", coordinator.email)
            page.fill("#id_password", PEOPLE_PASSWORD)
            page.get_by_role("button", name=re.compile("S'identifier|Se connecter")).click()
            page.wait_for_load_state()
            page.goto(http_server.url_for(territory, "/admin/remplacement/pilotage/"))
            assert page.locator("h1").first.inner_text().strip() == "Pilotage du pôle remplacement"
            charts = page.get_by_role("img")
            names = [charts.nth(n).get_attribute("aria-labelledby") for n in range(charts.count())]
            assert len([n for n in names if n and n.startswith("rp-chart")]) == 4
            text = page.locator("main").inner_text()
            assert "Taux de remplacement" in text
            assert "Au Bonheur des Bambins" in text
            page.screenshot(path=str(ARTIFACTS / f"pilotage-{device}.png"), full_page=True)
        finally:
            context.close()


# --- Journeys 9 and 8: a two-day request filled day by day, a timesheet sent back and corrected --------------
def _portal_sign_in(browser, url: str, email: str, viewport: dict):
    context = browser.new_context(locale="fr-FR", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30000)
    page.goto(url)
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(PEOPLE_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    return context, page


def _volunteer_for_one_day(page, structure: str, keep: str, drop: str) -> None:
    """On the offer's page, untick the day the person cannot do, then accept."""
    page.get_by_role("link", name=re.compile(structure)).first.click()
    page.wait_for_load_state()
    page.get_by_label(re.compile(drop)).uncheck()
    assert page.get_by_label(re.compile(keep)).is_checked()
    page.get_by_role("button", name="Accepter cette mission").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_a_director_posts_a_two_day_request_filled_by_two_people_and_a_timesheet_goes_back_and_is_corrected(
    http_server, browser, scratch_demo_territory, django_db_blocker
):
    import datetime as dt

    from django.utils.formats import date_format

    from core.models import Structure
    from plugins.remplacement import services
    from plugins.remplacement.matching import local_zone
    from plugins.remplacement.models import ReplacementRequest, RequestState, Timesheet
    from tests.live import free_port, server_start, server_stop
    from tests.people import person_invite
    from tests.plugins.remplacement.conftest import WEEKDAYS_8_19, next_monday

    territory = scratch_demo_territory
    monday = next_monday()
    tuesday = monday + dt.timedelta(days=1)
    day = {d: date_format(d, "l j F") for d in (monday, tuesday)}
    with django_db_blocker.unblock(), tenant_context(territory):
        pirouette = Structure.objects.get(name="Pirouette")
        director = person_invite(territory, role="structure_member", structure=pirouette, first_name="Anne")
        people = {}
        for first, last in (("Katell", "Le Bras"), ("Ronan", "Quéré")):
            user = person_invite(territory, role="substitute", first_name=first, last_name=last)
            services.availability_weekly_set(  # her usual week, as she sets it in the portal
                substitute=user.substitute, rules=WEEKDAYS_8_19, actor=user
            )
            people[first] = user
    connection.set_schema_to_public()
    url = lambda path: http_server.url_for(territory, path)  # noqa: E731

    # 1. The director posts the need on her computer: two days, one person a day.
    desk, page = _portal_sign_in(browser, url("/remplacement/connexion/"), director.email, DESKTOP)
    try:
        page.goto(url("/remplacement/structure/nouveau/"))
        page.fill("#id_children_not_walking", "4")
        page.fill("#id_children_walking", "12")
        page.fill("#id_staff_eje", "1")
        page.fill("#id_staff_auxiliaire_puericulture", "1")
        page.get_by_label("Qualification demandée").select_option(label="Auxiliaire de puériculture")
        for n, date in enumerate((monday, tuesday)):
            page.fill(f"#id_slot{n}_date", date.isoformat())
            page.fill(f"#id_slot{n}_start", "08:00")
            page.fill(f"#id_slot{n}_end", "17:00")
        page.get_by_role("button", name="Calculer ce que demande le taux d'encadrement").click()
        page.wait_for_load_state()
        page.screenshot(path=str(ARTIFACTS / "mission-1-directrice-besoin.png"), full_page=True)
        page.get_by_role("button", name="Publier le besoin").click()
        page.wait_for_load_state()
        assert "Besoin publié" in page.locator("body").inner_text()
        request_url = page.url
        pk = int(re.search(r"/demandes/(\d+)/", request_url).group(1))

        # 2. On their phones, Katell takes Monday and Ronan Tuesday.
        for first, keep, drop in (("Katell", monday, tuesday), ("Ronan", tuesday, monday)):
            phone, mobile = _portal_sign_in(browser, url("/remplacement/connexion/"), people[first].email, PHONE)
            try:
                _volunteer_for_one_day(mobile, "Pirouette", day[keep], day[drop])
                mobile.screenshot(path=str(ARTIFACTS / f"mission-2-{first.lower()}-volontaire.png"), full_page=True)
            finally:
                phone.close()

        # 3. The director retains each of them: the request is filled, one person a day.
        for first in ("Katell", "Ronan"):
            page.goto(request_url)
            page.get_by_role("button", name=re.compile(f"Retenir {first}")).click()
            page.wait_for_load_state()
        text = page.locator("main").inner_text()
        assert "Katell Le Bras" in text
        assert "Ronan Quéré" in text
        page.screenshot(path=str(ARTIFACTS / "mission-3-directrice-pourvue.png"), full_page=True)
    finally:
        desk.close()
    with django_db_blocker.unblock(), tenant_context(territory):
        request = ReplacementRequest.objects.select_related("case").get(pk=pk)
        assert request.case.state == RequestState.FILLED
        booked = {a.slot.starts_at.astimezone(local_zone()).date(): a.substitute.user.first_name
                  for a in request.assignments.select_related("slot", "substitute__user")}  # fmt: skip
        assert booked == {monday: "Katell", tuesday: "Ronan"}
    connection.set_schema_to_public()

    # 4. Tuesday evening (a server whose clock is there): Katell declares her Monday, to the minute.
    evening = dt.datetime.combine(tuesday, dt.time(19, 30), local_zone()).isoformat()
    port = free_port()
    later = server_start(port, clock=evening)
    late_url = lambda path: f"http://{territory.primary_domain}:{port}{path}"  # noqa: E731
    try:
        phone, mobile = _portal_sign_in(browser, late_url("/remplacement/connexion/"), people["Katell"].email, PHONE)
        try:
            mobile.goto(late_url(f"/remplacement/missions/{pk}/heures/"))
            mobile.get_by_label("Arrivée").fill("08:07")
            mobile.get_by_label("Départ").fill("17:12")
            mobile.get_by_label("Pause (minutes)").fill("45")
            mobile.get_by_role("button", name="Envoyer mes heures").click()
            mobile.wait_for_load_state()
            mobile.screenshot(path=str(ARTIFACTS / "mission-4-katell-heures.png"), full_page=True)
        finally:
            phone.close()

        # 5. The director, on her phone this time, sends them back: the break was an hour.
        phone, mobile = _portal_sign_in(browser, late_url("/remplacement/connexion/"), director.email, PHONE)
        try:
            mobile.goto(late_url(f"/remplacement/structure/demandes/{pk}/"))
            card = mobile.locator("section[aria-labelledby='hours-title'] .rp-card", has_text="Katell")
            assert "8 h 20" in card.inner_text() or "8h20" in card.inner_text().replace(" ", "")
            card.get_by_label("Commentaire (obligatoire pour renvoyer)").fill("La pause a duré une heure.")
            card.get_by_role("button", name="Renvoyer pour correction").click()
            mobile.wait_for_load_state()
            mobile.screenshot(path=str(ARTIFACTS / "mission-5-directrice-renvoi.png"), full_page=True)
        finally:
            phone.close()

        # 6. Katell finds it in her list with the comment, corrects it; the director validates on her computer.
        phone, mobile = _portal_sign_in(browser, late_url("/remplacement/connexion/"), people["Katell"].email, PHONE)
        try:
            mobile.goto(late_url("/remplacement/offres/"))
            fix = mobile.locator("#fix-title").locator("..")
            assert "La pause a duré une heure." in fix.inner_text()
            mobile.screenshot(path=str(ARTIFACTS / "mission-6-katell-a-corriger.png"), full_page=True)
            fix.get_by_role("link", name=re.compile("Corriger mes heures")).click()
            mobile.wait_for_load_state()
            assert "La pause a duré une heure." in mobile.get_by_role("alert").inner_text()
            mobile.get_by_label("Pause (minutes)").fill("60")
            mobile.get_by_role("button", name="Renvoyer mes heures corrigées").click()
            mobile.wait_for_load_state()
            mobile.screenshot(path=str(ARTIFACTS / "mission-7-katell-corrige.png"), full_page=True)
        finally:
            phone.close()
        desk, page = _portal_sign_in(browser, late_url("/remplacement/connexion/"), director.email, DESKTOP)
        try:
            page.goto(late_url(f"/remplacement/structure/demandes/{pk}/"))
            page.get_by_role("button", name=re.compile("Valider les heures de Katell")).click()
            page.wait_for_load_state()
            page.screenshot(path=str(ARTIFACTS / "mission-8-directrice-validee.png"), full_page=True)
        finally:
            desk.close()
    finally:
        server_stop(later)
    with django_db_blocker.unblock(), tenant_context(territory):
        sheet = Timesheet.objects.get(request_id=pk, substitute__user__first_name="Katell")
        assert sheet.status == Timesheet.Status.VALIDATED
        assert sheet.minutes == (17 * 60 + 12) - (8 * 60 + 7) - 60  # to the minute, the hour's break
        line = sheet.lines.get()
        assert f"{line.started_at.astimezone(local_zone()):%H:%M}" == "08:07"
    connection.set_schema_to_public()
