"""Each territory is served on its own host; the public host lists them; an unknown host gets a 404 page."""

import pytest
from wagtail.models import Page


def test_home_page_of_each_territory_on_its_own_host(client_35, client_22):
    response_35 = client_35.get("/")
    response_22 = client_22.get("/")
    assert response_35.status_code == 200
    assert "Ille-et-Vilaine" in response_35.content.decode()
    assert response_22.status_code == 200
    assert "Côtes-d&#x27;Armor" in response_22.content.decode()


def test_a_page_of_one_territory_is_not_served_on_another_host(tenant, client_35, client_22):
    charter = Page.objects.get(slug="charte").specific
    charter.slug = "charte-bretilienne"
    charter.save_revision().publish()

    assert client_35.get("/charte-bretilienne/").status_code == 200
    assert client_22.get("/charte-bretilienne/").status_code == 404
    assert client_22.get("/charte/").status_code == 200


def test_wagtail_pages_are_per_territory(tenant, territory, other_territory, in_schema):
    home = Page.objects.get(depth=2).specific
    home.title = "Accueil propre au 35"
    home.save_revision().publish()
    with in_schema(other_territory):
        assert Page.objects.get(depth=2).title != "Accueil propre au 35"


def test_public_host_lists_the_territories_with_links(public_client, territory, other_territory):
    response = public_client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"http://{territory.primary_domain}/" in html
    assert f"http://{other_territory.primary_domain}/" in html
    assert "Modèle de territoire" not in html  # templates are not listed


@pytest.mark.parametrize("host", ["inconnu.localhost", "ille-et-vilaine.localhost.evil.example"])
def test_unknown_host_gets_a_french_404_page(test_territories, db, client, host, settings):
    settings.ALLOWED_HOSTS = ["*"]
    response = client.get("/", HTTP_HOST=host)
    assert response.status_code == 404
    assert "Territoire introuvable" in response.content.decode()


def test_wagtail_admin_is_in_french_and_per_territory(client_35, territory_admin, client_22):
    client_35.force_login(territory_admin)
    response = client_35.get("/admin/")
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()
    # the same account does not exist in the other territory
    response_22 = client_22.post("/admin/login/", {"username": "admin-test", "password": "motdepasse-test-1"})
    assert response_22.status_code == 200  # the login form again, with an error
    assert "_auth_user_id" not in client_22.session
