"""What a territory admin and a crèche director see on signing in, in a real browser, on a committed copy of the
demo: the admin's menu holds the territory's configuration (catalogue, structures, operators, the poles'
rules and templates, people, poles) and opens it; the director's holds her cases only, her home screen shows
her structure's cases and what waits for her, and the configuration answers « refused ». People invited the
product's way (`tests.people`), never a superuser. Screenshots in tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from tests.people import PASSWORD, otp_device, otp_token, person_invite


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=re.compile("S'identifier|Se connecter")).click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_a_territory_admin_and_a_director_each_see_their_own_back_office(
    http_server, page, scratch_demo_territory, django_db_blocker
):
    from core.models import Case

    territory = scratch_demo_territory
    page.set_default_timeout(30000)
    with django_db_blocker.unblock():
        connection.set_tenant(territory)
        case = Case.objects.exclude(structure=None).filter(closed_at=None).select_related("structure").first()
        admin = person_invite(territory, role="platform_admin")
        device = otp_device(admin)  # she enrolled her authentication app
        director = person_invite(territory, role="structure_member", structure=case.structure)
        connection.set_schema_to_public()

    _sign_in(page, http_server.url_for(territory, "/admin/login/"), admin.email)
    assert "double-authentification" in page.url  # a platform admin gives her second factor
    page.fill("#id_token", otp_token(device))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()
    sidebar = page.locator("#wagtail-sidebar")
    for entry in ("Catalogue de services", "Structures", "Opérateurs ESS", "Personnes", "Pôle support"):
        assert sidebar.get_by_text(entry, exact=True).count() >= 1, entry
    assert page.get_by_role("heading", name="Mon travail").is_visible()
    page.shot("admin-home")
    page.goto(http_server.url_for(territory, "/admin/support_rules/"))
    assert page.get_by_role("heading", name=re.compile("Règles de proposition")).first.is_visible()
    page.shot("admin-rules")

    page.context.clear_cookies()
    _sign_in(page, http_server.url_for(territory, "/admin/login/"), director.email)
    sidebar = page.locator("#wagtail-sidebar")
    assert sidebar.get_by_text("Dossiers", exact=True).count() >= 1
    for entry in ("Catalogue de services", "Structures", "Opérateurs ESS", "Personnes", "Pôle support"):
        assert sidebar.get_by_text(entry, exact=True).count() == 0, entry
    assert page.get_by_role("heading", name="Les dossiers de votre structure").is_visible()
    assert page.get_by_role("link", name=case.reference).first.is_visible()
    page.shot("director-home")
    page.goto(http_server.url_for(territory, "/admin/structures/"))
    assert "/admin/structures/" not in page.url  # refused: back to the home screen with a message
    page.shot("director-refused")
