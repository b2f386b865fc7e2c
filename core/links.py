"""Absolute links to a territory's pages, for e-mails and background work (no request at hand): the
territory's primary host with the scheme and port the settings name (`PPE_URL_SCHEME`, `PPE_URL_PORT`)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def territory_url(path: str, territory=None) -> str:
    """`https://host[:port]/path` for `territory` (default: the current schema's territory)."""
    territory = territory if territory is not None else getattr(connection, "tenant", None)
    host = getattr(territory, "primary_domain", None) or settings.PPE_PUBLIC_DOMAIN
    scheme = settings.PPE_URL_SCHEME or "http"
    port = str(settings.PPE_URL_PORT or "")
    default = {"http": "80", "https": "443"}.get(scheme)
    netloc = host if not port or port == default else f"{host}:{port}"
    return f"{scheme}://{netloc}{path if path.startswith('/') else '/' + path}"
