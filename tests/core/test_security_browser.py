"""In headless Chromium: the public site, the Wagtail admin and the API docs work under the CSP, without a
single violation."""

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from tests.live import otp_enrol

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _visit(page, url: str, ready: str) -> list[str]:
    page.add_init_script(CSP_LISTENER)
    console = []
    page.on("console", lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None)
    response = page.goto(url)
    assert response.status < 400, (url, response.status)
    page.wait_for_selector(ready, timeout=20_000)
    page.wait_for_timeout(300)
    return page.evaluate("window.__csp") + console


def test_public_home_page_has_no_csp_violation(page, http_server, territory):
    assert _visit(page, http_server.url_for(territory, "/"), "body") == []


def test_swagger_ui_renders_offline_without_csp_violation(page, http_server, territory):
    violations = _visit(page, http_server.url_for(territory, "/api/docs/"), ".swagger-ui .info .title")
    assert violations == []
    assert "API de la Plateforme Petite Enfance" in page.inner_text(".swagger-ui .info .title")


def test_redoc_renders_offline_without_csp_violation(page, http_server, territory):
    violations = _visit(page, http_server.url_for(territory, "/api/redoc/"), "h1")
    # Redoc's sidebar always tries its attribution logo from its CDN: the policy blocks it (nothing leaves the
    # machine) and Redoc hides the image on that error. Anything else is a real violation.
    logo = "cdn.redoc.ly/redoc/logo-mini.svg"
    assert [v for v in violations if logo not in v] == []
    assert "API de la Plateforme Petite Enfance" in page.inner_text("h1")


def test_wagtail_admin_works_without_csp_violation(scratch_territory, django_db_blocker, http_server, page):
    """(The test database is set up only when some collected test uses `db`: the ones above do.)"""
    with django_db_blocker.unblock(), schema_context(scratch_territory.schema_name):
        get_user_model().objects.create_superuser("csp-admin", "csp@example.org", "motdepasse-csp-1")
    violations = _visit(page, http_server.url_for(scratch_territory, "/admin/login/"), "input[name=username]")
    page.fill("input[name=username]", "csp-admin")
    page.fill("input[name=password]", "motdepasse-csp-1")
    page.click("button[type=submit]")
    page.wait_for_selector("main", timeout=20_000)
    violations += page.evaluate("window.__csp")  # the enrolment page (its QR code) must not break the CSP either
    otp_enrol(page)
    page.goto(http_server.url_for(scratch_territory, "/admin/api_tokens/"))
    page.wait_for_selector("main", timeout=20_000)
    page.wait_for_timeout(300)
    violations += page.evaluate("window.__csp")
    assert violations == []
