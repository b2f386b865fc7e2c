"""Every API error is an RFC 9457 problem (application/problem+json), in French."""

import json

from django.test import override_settings
from rest_framework.settings import api_settings

from core.models import Structure

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response, status: int, title: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["instance"] == response.wsgi_request.path
    if title:
        assert body["title"] == title
    return body


def test_401(client_35):
    assert_problem(client_35.get("/api/v1/structures/"), 401, "Authentification requise")


def test_403_on_role(api_as):
    body = assert_problem(api_as("structure_member").post("/api/v1/operators/", {}, format="json"), 403)
    assert body["detail"] == "Votre rôle ne permet pas cette action."


def test_404_on_an_unknown_object_and_an_unknown_path(api_as):
    client = api_as("case_worker")
    assert_problem(client.get("/api/v1/structures/999999/"), 404, "Ressource introuvable")
    body = assert_problem(client.get("/api/v1/nulle-part/"), 404)
    assert body["detail"] == "Aucune ressource de l'API ne correspond à cette adresse."


def test_405(api_as):
    response = api_as("platform_admin").delete("/api/v1/territory/")
    assert_problem(response, 405, "Méthode non autorisée")


def test_415(api_as):
    response = api_as("case_worker").post("/api/v1/structures/", "<x/>", content_type="application/xml")
    assert_problem(response, 415, "Type de contenu non pris en charge")


def test_400_on_malformed_json(api_as):
    response = api_as("case_worker").post("/api/v1/structures/", "{pas du json", content_type="application/json")
    assert_problem(response, 400, "Requête invalide")


def test_422_lists_field_errors(api_as):
    body = assert_problem(
        api_as("case_worker").post("/api/v1/structures/", {}, format="json"), 422, "Données invalides"
    )
    assert body["type"] == "urn:ppe:problem:validation"
    assert {"field": "name", "detail": "Ce champ est obligatoire.", "code": "required"} in body["errors"]


def test_429_with_retry_after(api_as):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "token": "2/min"}
    client = api_as("case_worker")
    with override_settings(REST_FRAMEWORK={**_rest_framework(), "DEFAULT_THROTTLE_RATES": rates}):
        assert client.get("/api/v1/territory/").status_code == 200
        assert client.get("/api/v1/territory/").status_code == 200
        response = client.get("/api/v1/territory/")
    body = assert_problem(response, 429, "Trop de requêtes")
    assert int(response["Retry-After"]) > 0
    assert "secondes" in body["detail"]


def test_anonymous_requests_are_throttled_by_address(client_35):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "1/min"}
    with override_settings(REST_FRAMEWORK={**_rest_framework(), "DEFAULT_THROTTLE_RATES": rates}):
        client_35.get("/api/webhooks-none/")  # not an API view: not counted
        # Anonymous callers are refused before throttling on protected endpoints; the schema is open to them.
        assert client_35.get("/api/schema/").status_code == 200
        assert_problem(client_35.get("/api/schema/"), 429)


def test_500_is_a_problem_too(api_as, monkeypatch):
    client = api_as("case_worker")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("core.api.views.poles", broken)
    body = assert_problem(client.get("/api/v1/territory/"), 500, "Erreur interne du serveur")
    assert "boom" not in body["detail"]


def test_lists_are_paginated_50_a_page(api_as):
    from core.services.directory import structure_create

    for index in range(51):
        structure_create(name=f"Crèche {index}", kind="creche", commune="Rennes")
    body = api_as("case_worker").get("/api/v1/structures/").json()
    assert len(body["results"]) == 50
    assert body["next"]
    assert Structure.objects.filter(name__startswith="Crèche ").count() == 51


def _rest_framework() -> dict:
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


def test_any_method_on_an_unknown_api_path_is_a_problem(api_as):
    """Found by schemathesis: a PATCH on an unmatched /api/ path got Django's HTML CSRF page."""
    assert_problem(api_as("case_worker").patch("/api/v1/cases/opérateur/", {}, format="json"), 404)


def test_a_csrf_failure_under_the_api_is_a_problem_and_html_elsewhere(rf):
    from core.api.views import csrf_failure

    response = csrf_failure(rf.post("/api/v1/poles-form/"), reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "CSRF" in json.loads(response.content)["detail"]
    assert csrf_failure(rf.post("/admin/login/"), reason="x")["Content-Type"].startswith("text/html")
