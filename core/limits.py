"""Request limits checked before anything reads the body: a body larger than the platform accepts gets 413 at
once (a French problem under the API, a French page elsewhere), so that nothing streams it to memory or disk.

Multipart bodies (file uploads) may be as large as `PPE_REQUEST_MAX_BYTES` (by default the largest file
accepted, `PPE_UPLOAD_MAX_BYTES`, plus 1 MiB of fields); any other body `DATA_UPLOAD_MAX_MEMORY_SIZE`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string

API_PREFIXES = ("/api/", "/plateforme/api/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def request_body_limit(request: HttpRequest) -> int:
    if (request.content_type or "").startswith("multipart/"):
        return settings.PPE_REQUEST_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    detail = f"La requête dépasse la taille autorisée ({filesizeformat(limit)} au plus)."
    if is_api_path(request.path):
        from core.api.errors import problem_response

        response: HttpResponse = problem_response(request, 413, detail, slug="too-large")
    else:
        response = HttpResponse(render_to_string("413.html", {"detail": detail}), status=413)
    response["Connection"] = "close"  # the rest of the body is not read
    return response


NUL_DETAIL = "L'adresse de la requête contient un caractère nul (%00), qui n'est jamais accepté."


def nul_refused_response(request: HttpRequest) -> HttpResponse:
    """400 for a NUL character in the path or the query string: PostgreSQL text cannot hold one, so a search or
    a filter carrying it would fail deep in a query."""
    if is_api_path(request.path):
        from core.api.errors import problem_response

        return problem_response(request, 400, NUL_DETAIL, slug="bad-request")
    return HttpResponse(render_to_string("400.html", {"detail": NUL_DETAIL}), status=400)


def has_nul(request: HttpRequest) -> bool:
    return "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "")


class RequestSizeLimitMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = request_body_limit(request)
        if limit and length > limit:
            return too_large_response(request, limit)
        if has_nul(request):
            return nul_refused_response(request)
        return self.get_response(request)
