"""Every public page type renders, in French, with the territory's own data and a way to ask for a service."""

from __future__ import annotations

import html
from datetime import date

import pytest

from cms.models import (
    CharterPage,
    KeyFiguresPage,
    NewsArticlePage,
    NewsIndexPage,
    RequestFormPage,
    ServicePage,
)
from core.models import CatalogueService, Operator
from core.services.demo import demo_content_import, directory_seed
from tenants.models import TerritoryPole


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def demo_pages(tenant):
    """The demo directory and content (operators, service pages, news, contact details) in the test territory."""
    directory_seed()
    demo_content_import(territory=tenant)
    return tenant


def test_home_lists_the_active_poles_the_sections_and_the_latest_news(demo_pages, client_35):
    response = client_35.get("/")
    body = text(response)
    assert response.status_code == 200
    assert '<html lang="fr">' in body
    for label in ("Pôle support", "Pôle développement", "Pôle remplacement"):
        assert label in body
    assert "Une petite collectivité accompagnée vers un SIEG" in body
    assert 'aria-current="page">Accueil' in body
    assert "Fil d'Ariane" not in body  # no breadcrumbs on the home page


def test_charter_page_shows_value_blocks_and_the_territory_adaptation(tenant, client_35):
    charter = CharterPage.objects.get()
    charter.adaptation = "<p>En Ille-et-Vilaine, nous ajoutons la coopération avec les réseaux locaux.</p>"
    charter.save_revision().publish()

    body = text(client_35.get("/charte/"))
    assert "Primauté de la personne" in body
    assert "Associer les familles aux projets des structures." in body  # a commitment
    assert "Ce que notre territoire ajoute" in body
    assert "coopération avec les réseaux locaux" in body
    assert '<nav class="breadcrumbs" aria-label="Fil d\'Ariane">' in body
    assert 'aria-current="page">Charte des valeurs' in body


def test_catalogue_lists_services_by_pole_and_filters_by_audience(demo_pages, client_35):
    body = text(client_35.get("/services/"))
    assert (
        body.index("Pôle support</h2>") < body.index("Tenue de la comptabilité") < body.index("Pôle développement</h2>")
    )
    assert body.count('class="card service"') == CatalogueService.objects.filter(is_active=True).count()

    collectivites = text(client_35.get("/services/?public=collectivite"))
    support_only = text(client_35.get("/services/?pole=support"))
    assert "Tenue de la comptabilité" not in collectivites
    for service in CatalogueService.objects.filter(audience="collectivite", pole__in=["support", "developpement"]):
        assert service.title in collectivites
    assert "Tenue de la comptabilité" in support_only
    assert "Pôle développement</h2>" not in support_only


def test_catalogue_leaves_out_a_switched_off_pole(demo_pages, territory, client_35):
    TerritoryPole.objects.create(territory=territory, pole="remplacement", enabled=False)
    body = text(client_35.get("/services/"))
    assert "Pôle support</h2>" in body
    assert "Pôle remplacement" not in body
    service = CatalogueService.objects.filter(pole="remplacement").first()
    assert service.title not in body
    page = ServicePage.objects.get(service=service)
    assert client_35.get(page.url).status_code == 404


def test_catalogue_ignores_an_unknown_filter(demo_pages, client_35):
    response = client_35.get("/services/?pole=inexistant")
    assert response.status_code == 200
    assert "Ce filtre n'existe pas" in text(response)
    assert "Tenue de la comptabilité" in text(response)


def test_service_page_links_to_the_request_form_with_its_service(demo_pages, client_35):
    service = CatalogueService.objects.get(code="support-paie")
    page = ServicePage.objects.get(service=service)
    body = text(client_35.get(page.url))
    assert "Gestion de la paie" in body
    assert 'href="/demande/?service=support-paie"' in body
    assert "GEDES Paie & RH" in body  # the operator carrying it out (demo directory)
    assert "Rennes, Vitré, Fougères, Janzé" in body  # the operator's area

    RequestFormPage.objects.get().unpublish()
    body = text(client_35.get(page.url))
    assert "/demande/" not in body
    assert "Le formulaire de demande n'est pas encore ouvert" in body


def test_operator_directory_shows_services_and_area_and_filters_by_service(tenant, client_35):
    paie = CatalogueService.objects.get(code="support-paie")
    compta = CatalogueService.objects.get(code="support-comptabilite")
    payroll = Operator.objects.create(name="Paie Coop 35", communes_covered="Rennes\nRedon")
    payroll.services.add(paie)
    accounts = Operator.objects.create(name="Compta Solidaire", description="Expertise comptable coopérative.")
    accounts.services.add(compta)
    Operator.objects.create(name="Opérateur en sommeil", is_active=False)

    body = text(client_35.get("/operateurs/"))
    assert "Paie Coop 35" in body
    assert "Rennes, Redon" in body
    assert "Tout le département" in body  # Compta Solidaire covers the whole département
    assert "Opérateur en sommeil" not in body

    filtered = text(client_35.get("/operateurs/?service=support-paie"))
    assert "Paie Coop 35" in filtered
    assert "Compta Solidaire" not in filtered
    assert '<label for="service-filter">' in filtered


def test_key_figures_show_the_seed_figures_with_text_alternatives(tenant, client_35):
    body = text(client_35.get("/chiffres-cles/"))
    for figure in ("3\u202f660", "32\u202f860", "560 M€", "87\u202f%"):
        assert figure in body
    assert 'role="img"' in body
    assert "<desc" in body
    assert "ESS : 40 % (156 établissements)." in body  # the SVG's description
    assert "Public : <strong>56\u202f%</strong>" in body  # the legend
    assert "4,7 ETP" in body
    assert "11,9 salariés" in body
    assert '<th scope="row">Secteur public</th>' in body


def test_key_figures_are_editable(tenant, client_35):
    figures = KeyFiguresPage.objects.get()
    group = figures.body[0]
    group.value["figures"][1]["value"] = 33000
    figures.save_revision().publish()
    body = text(client_35.get("/chiffres-cles/"))
    assert "33\u202f000" in body
    assert "32\u202f860" not in body


def test_news_index_lists_articles_newest_first_and_paginates(demo_pages, client_35):
    index = NewsIndexPage.objects.get()
    for day in range(1, 12):
        article = NewsArticlePage(
            title=f"Brève du {day} août", slug=f"breve-{day}", date=date(2026, 8, day), intro="Une brève."
        )
        index.add_child(instance=article)
        article.save_revision().publish()
    first = text(client_35.get("/actualites/"))
    assert first.index("Une petite collectivité") < first.index("Le pôle support démarre")
    assert "Page 1 sur 2" in first
    second = text(client_35.get("/actualites/?page=2"))
    assert "Brève du 1 août" in second
    assert client_35.get("/actualites/?page=9").status_code == 404

    article = text(client_35.get("/actualites/le-pole-support-demarre/"))
    assert "6 octobre 2026" in article
    assert "Toutes les actualités" in article


def test_contact_and_legal_pages_are_linked_from_every_footer(demo_pages, client_35):
    contact = text(client_35.get("/contact/"))
    assert "contact@plateforme-petite-enfance-35.example.org" in contact
    for path in ("/", "/charte/", "/contact/"):
        footer = text(client_35.get(path)).split('aria-label="Pied de page"')[1]
        assert 'href="/mentions-legales/"' in footer
        assert 'href="/donnees-personnelles/"' in footer
        assert "Tous les territoires" in footer
    privacy = text(client_35.get("/donnees-personnelles/"))
    assert "CNIL" in privacy
    assert "Mentions légales" in text(client_35.get("/mentions-legales/"))


def test_the_main_menu_marks_the_current_section(demo_pages, client_35):
    page = ServicePage.objects.first()
    body = text(client_35.get(page.url))
    assert 'href="/services/" aria-current="true">Services' in body
    assert f'<span aria-current="page">{page.title}</span>' in body


def test_a_switched_off_pole_request_form_says_so_and_leaves_the_menus(demo_pages, territory, client_35):
    """The request page opens the support pole's request: with the pole switched off, it says in French that it
    is not available (never a 500, even when posted to) and neither the menu nor the footer links it."""
    from cms.models import RequestFormPage

    request_page = RequestFormPage.objects.live().get()
    link = f'href="{request_page.url}"'
    assert link in text(client_35.get("/"))
    TerritoryPole.objects.create(territory=territory, pole="support", enabled=False)
    for answer in (client_35.get(request_page.url), client_35.post(request_page.url, {"email": "a@example.org"})):
        assert answer.status_code == 200
        body = text(answer)
        assert "Le formulaire de demande n'est pas disponible pour le moment." in body
        assert "<form" not in body.split("<main")[1]
    assert link not in text(client_35.get("/"))
    assert link not in text(client_35.get("/services/"))
