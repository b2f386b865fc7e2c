"""A database outage answers 503 with Retry-After (French problem+json on the API, a French page elsewhere);
`/sante/` tells the database, the queue and the last periodic run on every host. The real outage (a stopped
server, the connection limit) is walked in tests/faults/."""

from __future__ import annotations

import psycopg
import pytest
from django.db import InternalError, OperationalError
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.hosts import CachedTenantMiddleware
from tenants.outbox.models import Heartbeat
from tests.conftest import host_of


def _database_down(*args, **kwargs):
    try:
        raise psycopg.OperationalError("connection to server failed: Connection refused")
    except psycopg.OperationalError as exc:
        raise OperationalError(str(exc)) from exc


@pytest.fixture
def database_down(monkeypatch, territory):
    """The host lookup (the first query of a request) meets a server that refuses connections."""
    monkeypatch.setattr(CachedTenantMiddleware, "get_tenant", _database_down)
    return Client(raise_request_exception=False, HTTP_HOST=host_of(territory))


@pytest.mark.parametrize("debug", [False, True])
def test_a_page_during_an_outage_is_a_french_503_that_says_when_to_retry(database_down, settings, debug):
    settings.DEBUG = debug  # make run's DEBUG page would otherwise show a traceback
    response = database_down.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    text = response.content.decode()
    assert "Service momentanément indisponible" in text
    assert "Traceback" not in text


def test_the_api_during_an_outage_is_a_french_problem(database_down):
    response = database_down.get("/api/v1/cases/", HTTP_AUTHORIZATION="Token x")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "10"
    body = response.json()
    assert (body["status"], body["type"]) == (503, "urn:ppe:problem:database-unavailable")
    assert "base de données" in body["detail"]


def test_a_bad_query_is_not_an_outage():
    from core.outage import is_database_outage

    try:
        raise psycopg.errors.UndefinedTable("relation « x » does not exist")
    except psycopg.Error as cause:
        error = OperationalError("x")
        error.__cause__ = cause
    assert not is_database_outage(error)
    assert not is_database_outage(ValueError())


def test_a_connection_out_of_step_with_its_server_is_an_outage_not_a_server_bug():
    """A database restart behind PgBouncer: the pooler's error was left unread, then answered a COMMIT."""
    from core.outage import is_database_outage

    def wrapped(cause: psycopg.Error) -> InternalError:
        error = InternalError(str(cause))
        error.__cause__ = cause
        return error

    assert is_database_outage(wrapped(psycopg.InternalError("received 2 results from command 'COMMIT'")))
    assert not is_database_outage(wrapped(psycopg.errors.InternalError_("a server-side internal error")))
    assert not is_database_outage(InternalError("raised without a cause"))


def test_health_reports_database_queue_and_the_last_periodic_run(client_35, public_client, db):
    with schema_context("public"):
        Heartbeat.objects.update_or_create(
            name="outbox_sweep", defaults={"at": timezone.now(), "details": {"lag_seconds": 0.4, "handed_over": 0}}
        )
    for client in (client_35, public_client):
        response = client.get("/sante/")
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        body = response.json()
        assert body["status"] == "ok", body
        assert [body[part]["ok"] for part in ("database", "queue", "periodic")] == [True, True, True]
        assert body["periodic"]["outbox_lag_seconds"] == 0.4


def test_health_is_degraded_when_the_periodic_work_stopped(public_client, db):
    with schema_context("public"):
        Heartbeat.objects.update_or_create(
            name="outbox_sweep", defaults={"at": timezone.now() - timezone.timedelta(minutes=30), "details": {}}
        )
    body = public_client.get("/sante/").json()
    assert body["status"] == "degraded"
    assert body["problems"] == ["Les travaux périodiques ne tournent plus (worker arrêté ?)."]


def test_health_during_an_outage_is_503(public_client, db, monkeypatch):
    from core import outage

    monkeypatch.setattr(outage, "_database_check", lambda: {"ok": False, "error": "OperationalError"})
    response = public_client.get("/sante/")
    assert (response.status_code, response["Retry-After"]) == (503, "10")
    assert response.json()["status"] == "unavailable"
