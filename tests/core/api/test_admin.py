"""The territory's admin screens for the API: a token is created (its secret shown once), then revoked; a
webhook subscription is created with its secret shown once."""

from datetime import timedelta

from django.utils import timezone

from core.api.models import ApiToken, WebhookSubscription
from tests.core.api.conftest import api_client_for


def test_an_admin_creates_a_token_sees_it_once_and_revokes_it(client_35, territory, make_user):
    admin = make_user(superuser=True)
    client_user = make_user("case_worker")
    client_35.force_login(admin)
    expires = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%d %H:%M")
    response = client_35.post(
        "/admin/api_tokens/new/",
        {"name": "SI de la CAF", "user": client_user.pk, "scope": "read", "expires_at": expires},
    )
    assert response.status_code == 200, response.content[:500]
    token = ApiToken.objects.get()
    html = response.content.decode()
    raw = html.split('id="secret-value" value="', 1)[1].split('"', 1)[0]
    assert raw.startswith(f"ppe_{token.prefix}_")
    assert (token.scope, token.created_by) == ("read", admin)
    api = api_client_for(territory, raw)
    assert api.get("/api/v1/territory/").status_code == 200
    # The list shows the prefix, never the secret.
    listing = client_35.get("/admin/api_tokens/").content.decode()
    assert token.prefix in listing
    assert raw not in listing
    response = client_35.post(f"/admin/api_tokens/delete/{token.pk}/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api.get("/api/v1/territory/").status_code == 401


def test_an_admin_creates_a_webhook_subscription(client_35, make_user):
    client_35.force_login(make_user(superuser=True))
    response = client_35.post(
        "/admin/api_webhooks/new/",
        {"name": "CAF", "url": "https://caf.example.org/hook", "events": ["case.opened"], "is_active": "on"},
    )
    assert response.status_code == 200, response.content[:500]
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in response.content.decode()
    assert subscription.events == ["case.opened"]
    assert subscription.secret not in client_35.get(f"/admin/api_webhooks/edit/{subscription.pk}/").content.decode()
