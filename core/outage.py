"""A database outage answers 503 with `Retry-After`, and the platform recovers by itself; `/sante/` says how
the platform is (database, queue, periodic work).

Any request whose handling met a database connectivity error (the server down or restarting, no connection
left, the pool exhausted) gets 503 instead of 500, whatever raised it (the host lookup, a middleware, a view):
`application/problem+json` in French on the API, a French page elsewhere, rendered without the database. The
next requests reconnect by themselves (`CONN_HEALTH_CHECKS`, the pool's connection check).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import utils as db_utils
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone

HEALTH_PATH = "/sante/"
OUTAGE_DETAIL = "La base de données ne répond pas pour le moment. Réessayez dans quelques secondes."


def is_database_outage(exc: BaseException | None) -> bool:
    """True for the errors that mean « the database cannot be reached now », not for a bad query."""
    if isinstance(exc, db_utils.InterfaceError):
        return True
    if isinstance(exc, db_utils.OperationalError):
        cause = exc.__cause__
        if cause is None:
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        # no SQLSTATE: the connection failed or broke; 08: connection exception; 53300: too many connections;
        # 57P01-57P03: the server is shutting down or starting
        return sqlstate is None or sqlstate.startswith("08") or sqlstate in {"53300", "57P01", "57P02", "57P03"}
    if isinstance(exc, db_utils.InternalError):
        # psycopg's own InternalError, with no SQLSTATE (the server's ones all have one): the connection lost
        # step with the server, as when a pooler's error about a restarting server was left unread in its
        # buffer and came back as the answer to the next COMMIT (« received 2 results from command 'COMMIT' »)
        cause = exc.__cause__
        return cause is not None and getattr(cause, "sqlstate", "") is None
    return False


def _mark(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None and is_database_outage(sys.exc_info()[1]):
        request._ppe_database_outage = True


got_request_exception.connect(_mark, dispatch_uid="ppe_database_outage")


def retry_after() -> str:
    return str(settings.PPE_OUTAGE_RETRY_AFTER_SECONDS)


def outage_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "type": "urn:ppe:problem:database-unavailable",
                "title": "Service momentanément indisponible",
                "status": 503,
                "detail": OUTAGE_DETAIL,
                "instance": request.path,
            },
            status=503,
            content_type="application/problem+json",
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(
            render_to_string("outage.html", {"retry_after": settings.PPE_OUTAGE_RETRY_AFTER_SECONDS}), status=503
        )
    response["Retry-After"] = retry_after()
    response["Cache-Control"] = "no-store"
    return response


def database_outage_problem(exc: Exception):
    """The API's mapping of an outage (DRF's handler never lets it reach Django's)."""
    if not is_database_outage(exc):
        return None
    from core.api.errors import Problem

    problem = Problem(
        OUTAGE_DETAIL, status_code=503, slug="database-unavailable", title="Service momentanément indisponible"
    )
    problem.wait = settings.PPE_OUTAGE_RETRY_AFTER_SECONDS
    return problem


class DatabaseOutageMiddleware:
    """First of all middleware: answers `/sante/` on every host, and turns an outage's 500 into a 503."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH:
            return health_response()
        response = self.get_response(request)
        if response.status_code >= 500 and getattr(request, "_ppe_database_outage", False):
            return outage_response(request)
        if response.status_code == 503 and "Retry-After" not in response:
            response["Retry-After"] = retry_after()
        return response


# --- Health ---------------------------------------------------------------------------------------------------


def _database_check() -> dict[str, Any]:
    from django.db import connection

    started = time.monotonic()
    try:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "latency_ms": round((time.monotonic() - started) * 1000, 1)}


def _queue_check() -> dict[str, Any]:
    from huey.contrib.djhuey import HUEY

    try:
        return {"ok": True, "pending": HUEY.pending_count(), "scheduled": HUEY.scheduled_count()}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def _periodic_check() -> dict[str, Any]:
    from tenants.outbox.models import Heartbeat

    beat = Heartbeat.objects.filter(name="outbox_sweep").first()
    if beat is None:
        return {"ok": False, "last_run_at": None}
    age = (timezone.now() - beat.at).total_seconds()
    return {
        "ok": age <= settings.PPE_HEALTH_PERIODIC_MAX_AGE_SECONDS,
        "last_run_at": beat.at.isoformat(),
        "age_seconds": round(age, 1),
        "outbox_lag_seconds": beat.details.get("lag_seconds", 0),
        "handed_over_again": beat.details.get("handed_over", 0),
    }


def health() -> tuple[int, dict[str, Any]]:
    database = _database_check()
    queue = _queue_check()
    periodic = _periodic_check() if database["ok"] else {"ok": False, "last_run_at": None}
    problems = []
    if not database["ok"]:
        problems.append("La base de données ne répond pas.")
    if not queue["ok"]:
        problems.append("La file des travaux en arrière-plan est injoignable.")
    if database["ok"] and not periodic["ok"]:
        problems.append("Les travaux périodiques ne tournent plus (worker arrêté ?).")
    if periodic.get("outbox_lag_seconds", 0) > settings.PPE_HEALTH_MAX_LAG_SECONDS:
        problems.append("Des travaux en arrière-plan attendent depuis trop longtemps.")
    status = "ok" if not problems else ("unavailable" if not database["ok"] else "degraded")
    body = {
        "status": status,
        "checked_at": timezone.now().isoformat(),
        "database": database,
        "queue": queue,
        "periodic": periodic,
        "problems": problems,
    }
    return (503 if status == "unavailable" else 200), body


def health_response() -> JsonResponse:
    code, body = health()
    response = JsonResponse(body, status=code, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    if code == 503:
        response["Retry-After"] = retry_after()
    return response
