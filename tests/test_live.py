"""The live server and browser fixtures themselves: a real HTTP request and a real page in Chromium."""

import html
import urllib.request

import pytest


@pytest.mark.slow
def test_live_server_serves_each_territory_on_its_host(http_server, territory, other_territory):
    for t in (territory, other_territory):
        request = urllib.request.Request(http_server.url_for(t).replace(t.primary_domain, "127.0.0.1"))
        request.add_header("Host", f"{t.primary_domain}:{http_server.port}")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert html.escape(t.name) in response.read().decode()


@pytest.mark.browser
def test_chromium_opens_the_public_directory(http_server, page, territory):
    page.goto(http_server.url_for(None, "/"))
    assert page.locator("h1").inner_text() == "Les territoires de la Plateforme Petite Enfance"
    page.get_by_role("link", name=territory.name).click()
    page.wait_for_load_state()
    assert territory.name in page.locator("h1").inner_text()
    assert page.shot("territory-home").exists()
