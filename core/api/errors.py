"""One format for every API error: RFC 9457 problem details (`application/problem+json`), in French.

`{"type", "title", "status", "detail", "instance"}`, plus `errors` (a list of `{"field", "detail", "code"}`)
when fields are at fault. Domain errors raise `Problem` (or an exception that `PROBLEM_MAPPINGS` knows).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.outage import database_outage_problem

logger = logging.getLogger("ppe.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BLANK = "about:blank"
TYPE_PREFIX = "urn:ppe:problem:"

TITLES = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Ressource introuvable",
    405: "Méthode non autorisée",
    406: "Format de réponse non disponible",
    409: "Conflit",
    412: "Précondition non remplie",
    413: "Contenu trop volumineux",
    415: "Type de contenu non pris en charge",
    422: "Données invalides",
    429: "Trop de requêtes",
    500: "Erreur interne du serveur",
    503: "Service indisponible",
}


class Problem(exceptions.APIException):
    """A domain error with its own problem type (`urn:ppe:problem:<slug>`)."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        detail: str,
        *,
        status_code: int | None = None,
        slug: str = "",
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        if status_code is not None:
            self.status_code = status_code
        self.slug = slug
        self.title = title
        self.errors = errors


def field_errors(detail: Any, path: str = "") -> list[dict[str, str]]:
    """Flatten DRF's (or Django's) nested error structure into `[{"field", "detail", "code"}]`."""
    out: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            out.extend(field_errors(value, f"{path}.{name}" if path and name else (name or path)))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.extend(
                {"field": path, "detail": str(item), "code": getattr(item, "code", None) or "invalid"}
                for item in detail
            )
        else:
            for index, item in enumerate(detail):
                out.extend(field_errors(item, f"{path}.{index}" if path else str(index)))
    else:
        out.append({"field": path, "detail": str(detail), "code": getattr(detail, "code", None) or "invalid"})
    return out


def problem_body(
    *,
    status_code: int,
    detail: str,
    instance: str = "",
    slug: str = "",
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{slug}" if slug else TYPE_BLANK,
        "title": title or TITLES.get(status_code, "Erreur"),
        "status": status_code,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(request: HttpRequest | None, status_code: int, detail: str, **kwargs: Any) -> JsonResponse:
    """A problem response outside DRF (middleware, URL fallbacks, Django's error handlers)."""
    body = problem_body(status_code=status_code, detail=detail, instance=request.path if request else "", **kwargs)
    return JsonResponse(
        body, status=status_code, content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )


def _to_api_exception(exc: Exception) -> exceptions.APIException | None:  # noqa: PLR0911
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, Http404):
        return exceptions.NotFound("Aucun objet ne correspond à cette adresse.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return Problem("La requête dépasse la taille autorisée.", status_code=413, slug="too-large")
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return exceptions.ValidationError(detail)
    for mapper in PROBLEM_MAPPINGS:
        mapped = mapper(exc)
        if mapped is not None:
            return mapped
    return None


def workflow_problem(exc: Exception) -> Problem | None:
    """The engine's errors (each carries its HTTP status and French message); form errors point into `data`."""
    from workflows import exceptions as wx

    if not isinstance(exc, wx.WorkflowError):
        return None
    errors = None
    if isinstance(exc, wx.FormInvalid):
        errors = [
            {"field": "" if code == "__all__" else code if code in BODY_FIELDS else f"data.{code}",
             "detail": str(message), "code": "invalid"}
            for code, messages in exc.errors.items()
            for message in messages
        ]  # fmt: skip
    return Problem(exc.message, status_code=exc.status, slug=WORKFLOW_SLUGS.get(type(exc).__name__, ""), errors=errors)


# Request-body fields that are not form fields (the others are reported as `data.<code>`).
BODY_FIELDS = {"comment", "text", "workflow", "structure", "file"}
WORKFLOW_SLUGS = {
    "UnknownTransition": "unknown-transition",
    "TransitionNotAllowed": "transition-not-allowed",
    "WrongState": "wrong-state",
    "GuardFailed": "guard-failed",
    "FormInvalid": "validation",
    "ConcurrentTransition": "concurrent-change",
    "UnknownWorkflow": "unknown-workflow",
}

# Functions `exception -> Problem | None` for other layers' exceptions.
PROBLEM_MAPPINGS: list[Any] = [workflow_problem, database_outage_problem]


class ProblemResponse(Response):
    """Always rendered as problem JSON, whatever renderer the view negotiated (YAML for the schema view...)."""

    _renderer = JSONRenderer()

    @property
    def accepted_renderer(self):
        return self._renderer

    @accepted_renderer.setter
    def accepted_renderer(self, value) -> None:
        pass

    @property
    def accepted_media_type(self) -> str:
        return PROBLEM_CONTENT_TYPE

    @accepted_media_type.setter
    def accepted_media_type(self, value) -> None:
        pass


def problem_exception_handler(exc: Exception, context: dict[str, Any]):
    request = context.get("request")
    instance = request.path if request is not None else ""
    api_exc = _to_api_exception(exc)
    if api_exc is None:
        logger.exception("API error on %s", instance, exc_info=exc)
        set_rollback()
        body = problem_body(status_code=500, detail="Une erreur inattendue s'est produite.", instance=instance)
        return ProblemResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)

    headers: dict[str, str] = {}
    if getattr(api_exc, "auth_header", None):
        headers["WWW-Authenticate"] = api_exc.auth_header
    if getattr(api_exc, "wait", None):
        headers["Retry-After"] = str(int(api_exc.wait))
    # DRF turns an authentication failure into 403 when no WWW-Authenticate can be sent; keep its choice.
    status_code = api_exc.status_code
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)) and not headers.get(
        "WWW-Authenticate"
    ):
        status_code = 403

    errors = None
    slug = ""
    title = None
    if isinstance(api_exc, exceptions.ValidationError):
        status_code = 422
        slug = "validation"
        errors = field_errors(api_exc.detail)
        detail = "Les données envoyées sont invalides."
    elif isinstance(api_exc, Problem):
        slug, title, errors = api_exc.slug, api_exc.title, api_exc.errors
        detail = str(api_exc.detail)
    elif isinstance(api_exc.detail, (list, dict)):
        errors = field_errors(api_exc.detail)
        detail = errors[0]["detail"] if errors else TITLES.get(status_code, "Erreur")
    else:
        detail = str(api_exc.detail)

    set_rollback()
    body = problem_body(
        status_code=status_code, detail=detail, instance=instance, slug=slug, title=title, errors=errors
    )
    return ProblemResponse(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)
