"""Security settings: headers (CSP, HSTS in production), argon2, brute-force lockouts per territory."""

import json
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from tests.live import ROOT, server_env


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/docs/", "/api/v1/territory/"])
def test_every_page_carries_a_content_security_policy(client_35, path):
    response = client_35.get(path)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def _production_settings() -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "from django.contrib.auth.hashers import make_password; "
        "print(json.dumps({'hsts': s.SECURE_HSTS_SECONDS, 'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "'ssl': s.SECURE_SSL_REDIRECT, 'cookie': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE, "
        "'hash': make_password('x').split('$')[0], 'backends': s.AUTHENTICATION_BACKENDS}))"
    )
    env = server_env(
        DJANGO_SETTINGS_MODULE="core.settings.production",
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS=".plateforme-petite-enfance.fr",
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_sends_hsts_and_hashes_passwords_with_argon2():
    values = _production_settings()
    assert values["hsts"] >= 31536000
    assert values["subdomains"]
    assert values["ssl"]
    assert values["cookie"]
    assert values["csrf"]
    assert values["hash"] == "argon2"
    assert values["backends"][0] == "axes.backends.AxesStandaloneBackend"


def _login(client, username, password):
    return client.post("/admin/login/", {"username": username, "password": password})


def test_repeated_failed_logins_lock_the_account_in_that_territory_only(
    territory, other_territory, client_35, client_22
):
    for t in (territory, other_territory):
        with schema_context(t.schema_name):
            get_user_model().objects.create_superuser("directrice", "d@example.org", "bon-motdepasse-1")
    for _ in range(2):
        assert _login(client_35, "directrice", "mauvais").status_code == 200  # the form again, with an error
    assert _login(client_35, "directrice", "mauvais").status_code == 429  # the third failure locks
    locked = _login(client_35, "directrice", "bon-motdepasse-1")
    assert locked.status_code == 429
    assert "bloquée" in locked.content.decode()
    # Côtes-d'Armor has its own attempts table: the same name there logs in.
    assert _login(client_22, "directrice", "bon-motdepasse-1").status_code == 302
    with schema_context(other_territory.schema_name):
        from axes.models import AccessAttempt

        assert not AccessAttempt.objects.exists()
    with schema_context(territory.schema_name):
        assert AccessAttempt.objects.get().failures_since_start >= 3


def test_a_nul_character_in_the_address_is_a_french_400_never_a_500(client_35):
    # schemathesis found it: `?search=…%00…` reached PostgreSQL (« text fields cannot contain NUL bytes »)
    api = client_35.get("/api/v1/cases/?q=cr%C3%A8che%00&search=a")
    assert api.status_code == 400
    assert "caractère nul" in api.json()["detail"]
    page = client_35.get("/admin/dossiers/?q=abc%00def")
    assert page.status_code == 400
    assert "caractère nul" in page.content.decode()
    assert client_35.get("/services/?q=cr%C3%A8che").status_code != 400
