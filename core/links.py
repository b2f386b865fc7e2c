"""Absolute links to a territory's pages, for e-mails: the territory's own host, with the scheme and port the
site really answers on (`PPE_URL_SCHEME` / `PPE_URL_PORT`, else those of `WAGTAILADMIN_BASE_URL`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection


def site_url(path: str, territory=None) -> str:
    """`https://ille-et-vilaine.example.org/admin/dossiers/A-2026-00001/` for `path` in the territory (the
    current one by default)."""
    territory = territory if territory is not None else getattr(connection, "tenant", None)
    base = urlsplit(getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "")
    host = getattr(territory, "primary_domain", None) or settings.PPE_PUBLIC_DOMAIN
    scheme = getattr(settings, "PPE_URL_SCHEME", "") or base.scheme or "http"
    port = str(getattr(settings, "PPE_URL_PORT", "") or base.port or "")
    default = {"http": "80", "https": "443"}.get(scheme)
    netloc = host if not port or port == default else f"{host}:{port}"
    return f"{scheme}://{netloc}{path if path.startswith('/') else '/' + path}"
