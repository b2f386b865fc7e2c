"""Menus follow the access declarations: for every role (a person invited the product's way, on the demo
territory), every link of the admin's sidebar (sub-menus and the search area included) and of the dashboard
opens — none answers 403, 404 or 500, none sends the person back to the login page or to the admin's home (how
Wagtail refuses a screen). The menus are read from what the page sends the browser (`wagtail-sidebar-props`,
the dashboard's HTML), not from the menu objects."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied

from tests.core.test_permission_matrix import _client_of

ROLES = ["platform_admin", "pole_coordinator", "case_worker", "structure_member", "operator"]
SIDEBAR = re.compile(r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>', re.S)
HREF = re.compile(r'href="([^"]+)"')
NOT_SCREENS = ("/admin/logout/", "/static/", "/media/")


def _urls(packed) -> set[str]:
    """Every `url` of the sidebar's packed menu (telepath's JSON: nested lists and objects)."""
    found: set[str] = set()
    if isinstance(packed, dict):
        for key, value in packed.items():
            if key in ("url", "_url") and isinstance(value, str):
                found.add(value)
            else:
                found |= _urls(value)
    elif isinstance(packed, list):
        for value in packed:
            found |= _urls(value)
    return found


def menu_links(page: str) -> set[str]:
    sidebar = SIDEBAR.search(page)
    assert sidebar, "the admin page has no sidebar"
    return {url for url in _urls(json.loads(sidebar.group(1))) if url.startswith("/")}


def dashboard_links(page: str) -> set[str]:
    main = page.split('id="main"', 1)[-1]
    return {unescape(href) for href in HREF.findall(main) if href.startswith("/") and not href.startswith("//")}


def _opens(client, url: str) -> str | None:
    """None when the screen opens, else what went wrong."""
    try:
        answer = client.get(url)
    except PermissionDenied as exc:  # raised through the test client: a refusal
        return f"refused ({exc})"
    if answer.status_code in (403, 404) or answer.status_code >= 500:
        return str(answer.status_code)
    if answer.status_code in (301, 302):
        target = urlsplit(answer["Location"]).path
        if target.startswith(("/admin/login/", "/remplacement/connexion/")) or target == "/admin/":
            return f"{answer.status_code} → {answer['Location']}"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_every_link_of_the_admin_menu_and_dashboard_opens_for_the_role(territory, tenant, role):
    client = _client_of(territory, role)
    home = client.get("/admin/")
    assert home.status_code == 200
    page = home.content.decode()
    links = {url for url in menu_links(page) | dashboard_links(page) if not url.startswith(NOT_SCREENS)}
    assert len(links) >= 3, links  # the person has a menu: the cases, the account...
    broken = {url: why for url in sorted(links) if (why := _opens(client, url)) is not None}
    assert not broken, f"{role}: links of the menu or the dashboard that do not open: {broken}"


def test_the_menu_reader_sees_the_sub_menus(territory, tenant):
    """The reader is not blind: a platform admin's menu holds the cases' sub-menu entries and the support pole's
    screens (sub-menus of the sidebar)."""
    page = _client_of(territory, "platform_admin").get("/admin/").content.decode()
    links = menu_links(page)
    assert "/admin/dossiers/?inbox=a_traiter" in links or any(u.startswith("/admin/dossiers/?inbox=") for u in links)
    assert "/admin/support/dossiers/" in links
    assert "/admin/personnes/" in links


@pytest.mark.parametrize("role", ROLES)
def test_the_dashboard_s_page_search_editor_guide_and_help_menu_are_for_site_editors_only(territory, tenant, role):
    page = unescape(_client_of(territory, role).get("/admin/").content.decode())
    sidebar = json.loads(SIDEBAR.search(page).group(1))
    labels = set(re.findall(r'"label": "([^"]+)"', json.dumps(sidebar, ensure_ascii=False)))
    shown = {
        "search": "Rechercher toutes les pages" in page,
        "guide": "Guide de l'éditeur pour Wagtail" in page,
        "help": "Aide" in labels,
    }
    editor = role == "platform_admin"  # the one role that edits the public site (core.roles)
    assert shown == dict.fromkeys(shown, editor), (role, shown)
    assert "Mon travail" in page  # every role still lands on its own work
