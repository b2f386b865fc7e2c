"""The files every host answers at its root: /favicon.ico and /robots.txt (the public host and each territory)."""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from tenants.access import PUBLIC, access

FAVICON = Path(__file__).resolve().parent / "static" / "ppe" / "favicon.ico"

# Pages are for everyone; the back offices, the API, the account pages and private areas are not for robots.
ROBOTS = """User-agent: *
Disallow: /admin/
Disallow: /api/
Disallow: /compte/
Disallow: /documents/
Disallow: /plateforme/
Disallow: /remplacement/
"""


@require_safe
@access(PUBLIC)
def favicon(request: HttpRequest) -> HttpResponse:
    response = FileResponse(FAVICON.open("rb"), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=604800"
    return response


@require_safe
@access(PUBLIC)
def robots_txt(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(ROBOTS, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
