"""Tokens: hashed at rest, scoped, expiring, revocable, bound to their territory; sessions keep CSRF."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from core.api.models import ApiToken
from core.api.services import api_token_create, api_token_revoke
from tests.core.api.conftest import api_client_for


def test_only_a_hash_and_a_prefix_are_stored(make_user, make_token):
    raw = make_token(make_user("case_worker"))
    token = ApiToken.objects.get()
    _, prefix, secret = raw.split("_", 2)
    assert token.prefix == prefix
    stored = " ".join(str(v) for v in ApiToken.objects.values_list().get())
    assert secret not in stored


def test_a_token_authenticates_and_records_its_last_use(territory, make_user, make_token):
    raw = make_token(make_user("case_worker"))
    assert ApiToken.objects.get().last_used_at is None
    assert api_client_for(territory, raw).get("/api/v1/territory/").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("keyword", ["Bearer", "Token"])
def test_both_keywords_are_accepted(territory, make_user, make_token, keyword):
    raw = make_token(make_user("case_worker"))
    client = api_client_for(territory)
    assert client.get("/api/v1/territory/", HTTP_AUTHORIZATION=f"{keyword} {raw}").status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # wrong secret
        lambda raw: "ppe_000000000000_" + raw.split("_", 2)[2],  # wrong prefix
        lambda raw: raw.split("_", 2)[1],  # prefix alone
        lambda raw: "n'importe quoi",
    ],
)
def test_a_wrong_token_gets_401_with_a_bearer_challenge(territory, make_user, make_token, tamper):
    raw = make_token(make_user("case_worker"))
    response = api_client_for(territory, tamper(raw)).get("/api/v1/territory/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["title"] == "Authentification requise"


def test_a_read_token_cannot_write(api_as):
    response = api_as("platform_admin", scope="read").post(
        "/api/v1/structures/", {"name": "X", "kind": "creche", "commune": "Rennes"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Ce jeton ne permet que la lecture."


def test_an_expired_token_gets_401(territory, make_user):
    token, raw = api_token_create(user=make_user("case_worker"), name="court")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_client_for(territory, raw).get("/api/v1/territory/").status_code == 401


def test_an_expiry_in_the_past_is_refused(make_user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        api_token_create(user=make_user(), name="x", expires_at=timezone.now() - timedelta(days=1))


def test_a_revoked_token_gets_401_at_once(territory, make_user):
    token, raw = api_token_create(user=make_user("case_worker"), name="révocable")
    client = api_client_for(territory, raw)
    assert client.get("/api/v1/territory/").status_code == 200
    api_token_revoke(token=token)
    assert client.get("/api/v1/territory/").status_code == 401


def test_a_token_of_a_deactivated_account_gets_401(territory, make_user, make_token):
    user = make_user("case_worker")
    raw = make_token(user)
    user.is_active = False
    user.save()
    assert api_client_for(territory, raw).get("/api/v1/territory/").status_code == 401


def test_a_token_of_one_territory_is_refused_on_another(make_user, make_token, other_territory):
    raw = make_token(make_user("platform_admin"))
    assert api_client_for(other_territory, raw).get("/api/v1/territory/").status_code == 401


def test_a_token_row_copied_into_another_territory_does_not_authenticate(
    territory, other_territory, make_user, make_token
):
    """What a territory cloned from another one (or a restored dump) holds: the hash is bound to the schema."""
    raw = make_token(make_user("platform_admin"))
    row = ApiToken.objects.get()
    username = row.user.username
    with schema_context(other_territory.schema_name):
        from django.contrib.auth import get_user_model

        twin = get_user_model().objects.create_user(username, password="x-motdepasse-1", is_superuser=True)
        ApiToken.objects.create(
            name=row.name, user=twin, prefix=row.prefix, secret_hash=row.secret_hash, scope=row.scope,
            expires_at=row.expires_at,
        )  # fmt: skip
    connection.set_tenant(territory)
    assert api_client_for(other_territory, raw).get("/api/v1/territory/").status_code == 401


def test_session_auth_works_for_the_browser_and_keeps_csrf(territory, territory_admin):
    client = api_client_for(territory)
    client.force_login(territory_admin)
    assert client.get("/api/v1/territory/").status_code == 200
    csrf_client = api_client_for(territory)
    csrf_client.handler.enforce_csrf_checks = True
    csrf_client.force_login(territory_admin)
    response = csrf_client.post("/api/v1/structures/", {"name": "X", "kind": "creche", "commune": "R"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_anonymous_is_refused_in_french(client_35):
    response = client_35.get("/api/v1/territory/")
    assert response.status_code == 401
    assert "authentification" in response.json()["detail"]
