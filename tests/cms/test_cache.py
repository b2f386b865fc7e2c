"""Public pages are cached per territory, served from the cache, and purged when what they show changes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from cms.cache import HEADER
from cms.models import CharterPage, ContentPage, HomePage
from core.models import Operator
from tenants.models import TerritoryPole


def get(client: Client, path: str):
    response = client.get(path)
    assert response.status_code == 200, path
    return response


def test_a_page_is_served_from_the_cache_the_second_time(tenant, client_35, django_assert_max_num_queries):
    first = get(client_35, "/charte/")
    assert first[HEADER] == "miss"
    # the territory's host lookup only (SET search_path, then the domain): no routing, no rendering
    with django_assert_max_num_queries(2):
        second = get(client_35, "/charte/")
    assert second[HEADER] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == "text/html; charset=utf-8"


def test_the_cache_differs_between_territories(tenant, client_35, client_22):
    get(client_35, "/")
    get(client_22, "/")
    home_35, home_22 = get(client_35, "/"), get(client_22, "/")
    assert home_35[HEADER] == home_22[HEADER] == "hit"
    assert "Ille-et-Vilaine" in home_35.content.decode()
    assert "Ille-et-Vilaine" not in home_22.content.decode()
    assert "Armor" in home_22.content.decode()


def test_publishing_a_page_purges_the_territory_cache_only(tenant, client_35, client_22):
    get(client_35, "/charte/")
    get(client_22, "/charte/")
    connection.set_tenant(tenant)  # a request leaves the connection in its territory's schema
    charter = CharterPage.objects.get()
    charter.title = "Notre charte commune"
    charter.save_revision().publish()

    after = get(client_35, "/charte/")
    assert after[HEADER] == "miss"
    assert "Notre charte commune" in after.content.decode()
    assert get(client_22, "/charte/")[HEADER] == "hit"  # the other territory kept its cache


@pytest.mark.parametrize("change", ["unpublish", "delete", "move"])
def test_unpublishing_deleting_or_moving_a_page_purges_the_cache(tenant, client_35, change):
    home = HomePage.objects.get()
    page = ContentPage(title="Page éphémère", slug="ephemere", show_in_menus=True)
    home.add_child(instance=page)
    page.save_revision().publish()
    assert "Page éphémère" in get(client_35, "/").content.decode()
    assert get(client_35, "/")[HEADER] == "hit"

    if change == "unpublish":
        page.unpublish()
    elif change == "delete":
        page.delete()
    else:
        page.move(ContentPage.objects.get(slug="notre-demarche"), pos="last-child")

    after = get(client_35, "/")
    assert after[HEADER] == "miss"
    assert "Page éphémère" not in after.content.decode()


def test_operator_and_pole_changes_purge_the_cache(tenant, territory, client_35):
    assert "Coop des Marais" not in get(client_35, "/operateurs/").content.decode()
    Operator.objects.create(name="Coop des Marais")
    assert "Coop des Marais" in get(client_35, "/operateurs/").content.decode()

    assert "Pôle remplacement" in get(client_35, "/services/").content.decode()
    TerritoryPole.objects.create(territory=territory, pole="remplacement", enabled=False)
    assert "Pôle remplacement" not in get(client_35, "/services/").content.decode()


def test_known_filters_are_cached_unknown_parameters_are_not(tenant, client_35):
    get(client_35, "/services/?pole=support")
    assert get(client_35, "/services/?pole=support")[HEADER] == "hit"
    get(client_35, "/services/?pole=nimporte-quoi")
    assert HEADER not in get(client_35, "/services/?pole=nimporte-quoi")
    get(client_35, "/charte/?utm_source=lettre")
    assert HEADER not in get(client_35, "/charte/?utm_source=lettre")


def test_signed_in_editors_always_get_a_fresh_page(territory_admin, client_35):
    get(client_35, "/charte/")
    client_35.force_login(territory_admin)
    response = get(client_35, "/charte/")
    assert HEADER not in response
    assert "wagtail-userbar" in response.content.decode() or "userbar" in response.content.decode()


def test_restricting_a_page_purges_it_from_the_cache(tenant, client_35):
    from wagtail.models import PageViewRestriction

    get(client_35, "/charte/")
    assert get(client_35, "/charte/")[HEADER] == "hit"
    PageViewRestriction.objects.create(
        page=CharterPage.objects.get(), restriction_type=PageViewRestriction.PASSWORD, password="secret-du-bureau"
    )
    response = client_35.get("/charte/")
    assert HEADER not in response
    assert "Primauté de la personne" not in response.content.decode()
