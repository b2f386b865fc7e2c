"""Two-factor authentication (TOTP): a territory's administrator must enrol an authenticator application after
their password (French page, QR code) and is refused everything else until then; once enrolled, every sign-in
asks for the code, a wrong one is refused and journaled. Staff may enrol; the platform's staff on the public
host must. People are real: invited, signed in through the login pages (never `force_login` here)."""

from __future__ import annotations

import html
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AuditEvent
from tests.people import PASSWORD, otp_device, otp_token, person_client, person_invite

ENROL = "/compte/double-authentification/activer/"
VERIFY = "/compte/double-authentification/"


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _sign_in(territory, user) -> Client:
    """Sign in through the back office's login page, as the person types it."""
    client = Client(HTTP_HOST=territory.primary_domain)
    answer = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302, _text(answer)[:500]
    connection.set_tenant(territory)
    return client


def test_an_administrator_must_enrol_before_reaching_the_back_office(tenant):
    admin = person_invite(tenant, role="platform_admin")
    TOTPDevice.objects.filter(user=admin).delete()  # the test helper enrolled one (tests/people.py)
    client = _sign_in(tenant, admin)
    refused = client.get("/admin/dossiers/")
    assert refused.status_code == 302
    assert refused["Location"].startswith(ENROL)
    api = client.get("/api/v1/cases/")  # nor through the API with the session
    assert api.status_code == 403
    assert api["Content-Type"] == "application/problem+json"
    assert api.json()["detail"].startswith("Double authentification requise")

    page = client.get(refused["Location"])
    body = _text(page)
    assert page.status_code == 200
    assert "Activer la double authentification" in body
    assert "la double authentification est obligatoire" in body
    assert "<svg" in body  # the QR code
    secret = re.search(r'id="cle-secrete">([A-Z2-7 ]+)<', body).group(1)
    connection.set_tenant(tenant)
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    assert secret.replace(" ", "") in device.config_url

    wrong = client.post(ENROL, {"token": "000000", "next": "/admin/dossiers/"})
    assert wrong.status_code == 422
    assert "Code incorrect" in _text(wrong)
    assert client.get("/admin/dossiers/").status_code == 302  # still refused

    connection.set_tenant(tenant)
    device.refresh_from_db()
    device.throttling_failure_count = 0  # a wrong code makes the next try wait (django-otp): the person waits
    device.save()
    done = client.post(ENROL, {"token": otp_token(device), "next": "/admin/dossiers/"})
    assert done.status_code == 302
    assert done["Location"] == "/admin/dossiers/"
    assert client.get("/admin/dossiers/").status_code == 200
    connection.set_tenant(tenant)
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.OTP_ENROLLED, target_id=str(admin.pk)).exists()


def test_an_enrolled_administrator_is_refused_without_the_code_and_a_wrong_code_is_journaled(tenant):
    admin = person_invite(tenant, role="platform_admin")
    device = otp_device(admin)
    client = _sign_in(tenant, admin)
    refused = client.get("/admin/")
    assert refused["Location"].startswith(VERIFY)
    page = client.get(refused["Location"])
    assert "Saisissez le code à 6 chiffres" in _text(page) or "code à 6 chiffres" in _text(page)

    wrong = client.post(VERIFY, {"token": "12345"})
    assert wrong.status_code == 422
    assert "Le code compte 6 chiffres." in _text(wrong)
    wrong = client.post(VERIFY, {"token": "000000"})
    assert wrong.status_code == 422
    assert "Code incorrect ou expiré" in _text(wrong)
    connection.set_tenant(tenant)
    failed = AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGN_IN_FAILED, target_id=str(admin.pk)).first()
    assert failed is not None
    assert failed.changes == {"second_factor": "code refusé"}
    assert client.get("/admin/").status_code == 302

    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code made the next try wait: the person waits
    device.save()
    ok = client.post(VERIFY, {"token": otp_token(device), "next": "/admin/"})
    assert ok.status_code == 302
    assert client.get("/admin/").status_code == 200
    connection.set_tenant(tenant)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGNED_IN, target_id=str(admin.pk)).exists()


def test_a_coordinator_may_work_without_a_second_factor_but_once_enrolled_is_asked_for_it(tenant):
    coordinator = person_invite(tenant, role="pole_coordinator")
    client = _sign_in(tenant, coordinator)
    assert client.get("/admin/").status_code == 200
    page = client.get(ENROL)
    assert "Protégez votre compte" in _text(page)
    connection.set_tenant(tenant)
    otp_device(coordinator)
    again = _sign_in(tenant, coordinator)
    assert again.get("/admin/")["Location"].startswith(VERIFY)


def test_the_platform_staff_on_the_public_host_must_enrol(db, public_client):
    connection.set_schema_to_public()
    get_user_model().objects.create_user("equipe", "equipe@example.org", PASSWORD, is_staff=True, is_superuser=True)
    answer = public_client.post("/plateforme/admin/login/", {"username": "equipe", "password": PASSWORD})
    assert answer.status_code == 302
    refused = public_client.get("/plateforme/admin/")
    assert refused["Location"].startswith(ENROL)
    page = public_client.get(refused["Location"])
    assert page.status_code == 200
    assert "Activer la double authentification" in _text(page)


def test_sessions_end_after_the_idle_time_the_settings_name():
    assert settings.SESSION_COOKIE_AGE == settings.PPE_SESSION_IDLE_MINUTES * 60


def test_a_request_renews_the_idle_period_without_a_write_at_every_page(tenant):
    from django.contrib.sessions.models import Session
    from django.test.utils import CaptureQueriesContext

    from core.middleware import SESSION_RENEWED_KEY

    staff = person_invite(tenant, role="case_worker")
    client = _sign_in(tenant, staff)
    assert client.get("/admin/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    row = Session.objects.get(pk=key)
    signed_in_until = row.expire_date
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/admin/")
    assert page.status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert settings.SESSION_COOKIE_NAME not in page.cookies  # nothing renewed within the minute
    # a minute later (the renewal's time moved back), the next page renews the idle period and its cookie
    store = row.get_decoded()
    store[SESSION_RENEWED_KEY] -= settings.PPE_SESSION_RENEW_SECONDS
    Session.objects.filter(pk=row.pk).update(session_data=Session.objects.encode(store))
    page = client.get("/admin/")
    assert page.status_code == 200
    assert settings.SESSION_COOKIE_NAME in page.cookies
    assert Session.objects.get(pk=key).expire_date > signed_in_until
    # signing out ends it for good: no session row is written back
    client.post("/admin/logout/")
    assert not Session.objects.filter(pk=key).exists()
    assert client.get("/admin/").status_code == 302  # to the login page, and no session is made for it
    assert not Session.objects.filter(pk=client.cookies[settings.SESSION_COOKIE_NAME].value).exists()


def test_an_administrator_resets_the_second_factor_of_someone_who_lost_their_phone(tenant):
    admin = person_invite(tenant, role="platform_admin")
    coordinator = person_invite(tenant, role="pole_coordinator", first_name="Yann", last_name="Perdu")
    otp_device(coordinator)
    client = person_client(tenant, admin)
    page = client.get(f"/admin/personnes/{coordinator.pk}/")
    assert "Réinitialiser la double authentification (téléphone perdu)" in _text(page)
    answer = client.post(f"/admin/personnes/{coordinator.pk}/", {"action": "otp_reset"})
    assert answer.status_code == 302
    page = _text(client.get(f"/admin/personnes/{coordinator.pk}/"))
    assert "Double authentification réinitialisée : la personne activera" in page
    assert "Non activée." in page
    connection.set_tenant(tenant)
    assert not TOTPDevice.objects.filter(user=coordinator).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.OTP_RESET, target_id=str(coordinator.pk))
    assert event.actor == admin
    assert _sign_in(tenant, coordinator).get("/admin/").status_code == 200  # no code asked any more
