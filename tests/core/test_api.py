"""The REST API: per-territory tokens, the territory endpoint, the OpenAPI schema and offline docs."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from tenants.models import TerritoryPole


@pytest.fixture
def token_35(tenant):
    user = get_user_model().objects.create_user("api-client", "api@example.org", "motdepasse-api-1")
    return Token.objects.create(user=user).key


def test_territory_endpoint_with_a_token(token_35, client_35, territory):
    TerritoryPole.objects.create(territory=territory, pole="developpement", enabled=False)
    response = client_35.get("/api/v1/territory/", HTTP_AUTHORIZATION=f"Token {token_35}")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "35"
    assert {p["code"]: p["enabled"] for p in body["poles"]} == {
        "support": True,
        "developpement": False,
        "remplacement": True,
    }


def test_a_token_of_one_territory_is_refused_on_another(token_35, client_22):
    response = client_22.get("/api/v1/territory/", HTTP_AUTHORIZATION=f"Token {token_35}")
    assert response.status_code == 401


def test_anonymous_is_refused_in_french(client_35):
    response = client_35.get("/api/v1/territory/")
    assert response.status_code == 401
    assert "authentification" in response.json()["detail"]


def test_session_auth_works_for_the_browser(client_35, territory_admin):
    client_35.force_login(territory_admin)
    assert client_35.get("/api/v1/territory/").status_code == 200


def test_openapi_schema_lists_only_api_paths(client_35):
    response = client_35.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/territory/" in paths
    assert all(path.startswith("/api/") for path in paths)


def test_swagger_ui_is_served_offline(client_35):
    response = client_35.get("/api/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn." not in html
