"""Pages of the public host: the directory of territories, and the page for an unknown host."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.access import PUBLIC, access
from tenants.selectors import territory_list


def _site_url(request: HttpRequest, domain: str) -> str:
    port = request.get_port()
    suffix = "" if port in ("80", "443") else f":{port}"
    return f"{request.scheme}://{domain}{suffix}/"


@access(PUBLIC)
def territory_directory(request: HttpRequest) -> HttpResponse:
    territories = [
        {"territory": t, "url": _site_url(request, t.primary_domain)}
        for t in territory_list(include_drafts=False)
        if t.primary_domain
    ]
    return render(request, "tenants/directory.html", {"territories": territories})


def territory_not_found(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    directory_url = _site_url(request, settings.PPE_PUBLIC_DOMAIN)
    return render(
        request,
        "tenants/not_found.html",
        {"host": request.get_host(), "directory_url": directory_url},
        status=404,
    )
