"""The public site in headless Chromium against the real test server: every page type is visited,
screenshotted and checked with axe-core (WCAG 2.1 AA rules): no serious or critical violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection
from django_tenants.utils import schema_context

from cms.models import NewsArticlePage, ServicePage
from core.services.demo import demo_content_import, directory_seed

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
BLOCKING = {"serious", "critical"}


def blocking_violations(page) -> list[str]:
    results = Axe().run(page, options=WCAG_AA)
    return [
        f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']][:3]}"
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.fixture
def demo_territory(scratch_territory, django_db_blocker):
    """A committed territory with the demo directory and pages, and the URLs of one page of each type."""
    with django_db_blocker.unblock(), schema_context(scratch_territory.schema_name):
        directory_seed()
        demo_content_import(territory=scratch_territory)
        service = ServicePage.objects.live().get(service__code="support-paie")
        article = NewsArticlePage.objects.live().order_by("-date").first()
        pages = {
            "accueil": "/",
            "charte": "/charte/",
            "demarche": "/notre-demarche/",
            "catalogue": "/services/",
            "catalogue-filtre": "/services/?public=collectivite",
            "service": service.url,
            "operateurs": "/operateurs/",
            "chiffres-cles": "/chiffres-cles/",
            "actualites": "/actualites/",
            "actualite": article.url,
            "contact": "/contact/",
            "mentions-legales": "/mentions-legales/",
            "donnees-personnelles": "/donnees-personnelles/",
        }
    connection.set_schema_to_public()
    return scratch_territory, pages


@pytest.mark.browser
def test_every_page_type_is_accessible_and_screenshotted(http_server, page, demo_territory):
    territory, pages = demo_territory
    failures = {}
    for name, path in pages.items():
        response = page.goto(http_server.url_for(territory, path))
        assert response.status == 200, path
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("h1").count() == 1, path
        assert page.locator("main#contenu").count() == 1
        assert page.get_by_role("navigation", name="Navigation principale").count() == 1
        if violations := blocking_violations(page):
            failures[path] = violations
        assert page.shot(name).exists()
    assert failures == {}


@pytest.mark.browser
def test_pages_reflow_on_a_phone_without_horizontal_scrolling(http_server, browser, demo_territory, request):
    territory, pages = demo_territory
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    phone = context.new_page()
    try:
        for name in ("accueil", "catalogue", "chiffres-cles", "operateurs"):
            phone.goto(http_server.url_for(territory, pages[name]))
            overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, name
            phone.screenshot(path=f"tests/artifacts/{request.node.name}-{name}-mobile.png", full_page=True)
    finally:
        context.close()


@pytest.mark.browser
def test_keyboard_users_skip_to_the_content_and_see_the_focus(http_server, page, demo_territory):
    territory, pages = demo_territory
    page.goto(http_server.url_for(territory, pages["charte"]))
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.bounding_box()["x"] >= 0  # visible once focused
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#contenu"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused  # the next Tab lands in the content, past the menu
    page.shot("skip-link")


@pytest.mark.browser
def test_the_directory_of_territories_is_accessible(http_server, page, demo_territory):
    territory, _pages = demo_territory
    page.goto(http_server.url_for(None, "/"))
    assert page.locator("h1").inner_text() == "Les territoires de la Plateforme Petite Enfance"
    assert page.get_by_role("link", name=territory.name).count() == 1
    assert blocking_violations(page) == []
    page.shot("annuaire")


@pytest.fixture
def form_territory(demo_territory, django_db_blocker):
    """The demo territory whose request form opens the test workflow (tests/cms/fixtures)."""
    from pathlib import Path

    from cms.models import RequestFormPage
    from workflows.services import workflow_import

    territory, _pages = demo_territory
    source = (Path(__file__).parent / "fixtures" / "demande-publique.yaml").read_text(encoding="utf-8")
    with django_db_blocker.unblock(), schema_context(territory.schema_name):
        workflow_import(source=source, publish=True)
        page = RequestFormPage.objects.get()
        page.workflow_code = "essai-demande-publique"
        page.save_revision().publish()
    connection.set_schema_to_public()
    return territory


@pytest.mark.browser
def test_a_visitor_sends_the_request_form_and_the_case_is_opened(http_server, page, form_territory, django_db_blocker):
    from core.models import Case

    territory = form_territory
    page.goto(http_server.url_for(territory, "/services/support-paie/"))
    page.get_by_role("link", name="Demander « Gestion de la paie »").click()
    page.wait_for_load_state()
    assert page.get_by_label("Paie").is_checked()
    assert blocking_violations(page) == []
    page.shot("formulaire")

    # live conditions: shown as the person types, hidden (and skipped by screen readers) otherwise
    federation = page.get_by_label("Laquelle")
    assert not federation.is_visible()
    page.get_by_label("Adhérente d'une fédération").select_option("true")
    assert federation.is_visible()
    assert "Champ affiché : « Laquelle »" in page.locator(".ppe-live-region").inner_text()
    page.get_by_label("Adhérente d'une fédération").select_option("false")
    assert not federation.is_visible()
    second_site = page.get_by_label("Nom du second site")
    page.get_by_label("Nombre de places").fill("40")
    assert not second_site.is_visible()
    page.get_by_label("Nombre de places").fill("41")
    assert second_site.is_visible()
    page.get_by_label("Nombre de places").fill("")
    # a repeatable group: one row, « Ajouter » up to its maximum (2), « Retirer »
    board = page.get_by_role("group", name="Membres du bureau")
    assert board.locator(".ppe-group-row").count() == 1
    board.get_by_role("button", name="Ajouter un élément").click()
    assert board.locator(".ppe-group-row").count() == 2
    assert page.evaluate("document.activeElement.name") == "board-1-name"  # the focus moves to the new row
    assert not board.get_by_role("button", name="Ajouter un élément").is_visible()  # at its maximum
    board.get_by_label("Nom").nth(0).fill("Anne Martin")
    board.get_by_label("Rôle").nth(0).fill("Présidente")
    board.get_by_label("Nom").nth(1).fill("Paul")
    page.shot("formulaire-conditions-groupe")
    board.get_by_role("button", name="Retirer l'élément 2").click()
    assert board.locator(".ppe-group-row").count() == 1

    # sent half-filled: the errors are listed, linked and tied to their fields
    page.get_by_label("Nom de la structure").fill("Ribambelle")
    page.get_by_label("Courriel").fill("pas-une-adresse")
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.wait_for_load_state()
    assert page.title().startswith("Erreur : ")
    summary = page.get_by_role("alert")
    assert "erreurs" in summary.inner_text()
    assert page.get_by_label("Courriel").get_attribute("aria-invalid") == "true"
    assert blocking_violations(page) == []
    page.shot("formulaire-erreurs")

    page.get_by_label("Code postal").fill("35520")
    page.get_by_label("Nom et prénom").fill("Jeanne Leroy")
    page.get_by_label("Courriel").fill("direction@ribambelle.example.org")
    page.get_by_label("Décrivez votre situation").fill("Notre directrice part en congé : nous avons besoin d'aide.")
    page.get_by_label("J'accepte que les informations").check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Merci, votre demande est enregistrée"
    reference = page.locator(".reference strong").inner_text()
    assert blocking_violations(page) == []
    page.shot("merci")

    with django_db_blocker.unblock(), schema_context(territory.schema_name):
        case = Case.objects.get(reference=reference)
        assert case.channel == "public"
        assert case.data["structure_name"] == "Ribambelle"
        assert case.data["needs"] == ["paie"]
        assert case.data["board"] == [{"name": "Anne Martin", "role": "Présidente"}]  # kept through the error page
    connection.set_schema_to_public()
