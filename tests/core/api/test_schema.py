"""The OpenAPI schema: generated without a warning, every operation named, summarised in French, secured and
documented with its problem responses; then schemathesis drives every operation: no server error."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from tests.conftest import host_of

METHODS = {"get", "post", "put", "patch", "delete"}
# Summaries are French imperatives (drf-spectacular would otherwise leave them empty or English).
FRENCH_VERBS = {
    "Lister", "Lire", "Créer", "Modifier", "Supprimer", "Décrire", "S'abonner", "Envoyer", "Historique",
    "Ouvrir", "Appliquer", "Télécharger", "Ajouter", "Déposer", "Schéma",
    "Annuler", "Accepter", "Décliner", "Retenir",  # the remplacement pole's offers and requests
    "Libérer", "Affecter", "Relancer", "Clore", "Déclarer", "Valider", "Renvoyer", "Désactiver", "Réactiver",
    "Établir", "Recalculer", "Confier", "Enregistrer", "Marquer", "Réattribuer", "Rédiger", "Noter",  # poles' work
    "Inviter", "Renouveler", "Rattacher",
}  # fmt: skip


@pytest.fixture
def openapi(client_35) -> dict:
    return client_35.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_schema_generates_without_any_warning(tmp_path, db):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_every_operation_is_named_summarised_secured_and_lists_its_errors(openapi):
    ids = [operation["operationId"] for _, _, operation in operations(openapi)]
    assert len(ids) == len(set(ids)) > 15
    for path, method, operation in operations(openapi):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert operation["summary"].split()[0] in FRENCH_VERBS, (where, operation["summary"])
        assert {"jeton": []} in operation["security"], where
        for code in ("401", "403", "429", "500"):
            assert "application/problem+json" in operation["responses"][code]["content"], (where, code)
        if method in ("post", "patch"):
            assert "422" in operation["responses"], where
        if method == "post":
            assert any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", [])), where
    scheme = openapi["components"]["securitySchemes"]["jeton"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    problem = openapi["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem)


@pytest.fixture
def api_schema(openapi, api_as, territory):
    from django.core.wsgi import get_wsgi_application

    schema = schemathesis.openapi.from_dict(openapi)
    schema.app = get_wsgi_application()
    client = api_as("platform_admin")
    schema.ppe_headers = {"Host": host_of(territory), "Authorization": client._credentials["HTTP_AUTHORIZATION"]}
    # As Django's test client does: keep the test's connection (and its transaction) across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schema
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_schemathesis_finds_no_server_error(api_schema):
    """Every operation, a bounded number of generated requests each, through the WSGI application."""
    checks = [not_a_server_error, status_code_conformance, content_type_conformance]
    tried = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def run(case):
            case.call_and_validate(headers=api_schema.ppe_headers, checks=checks)

        run()
        tried += 1
    assert tried > 15
