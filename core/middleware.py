"""Middleware of the core."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django_tenants.utils import get_public_schema_name
from wagtail.contrib.redirects.middleware import RedirectMiddleware

SESSION_RENEWED_KEY = "_ppe_renewed"  # when the session's idle period was last renewed (seconds since the epoch)


class RenewingSessionMiddleware(SessionMiddleware):
    """Django's sessions, whose idle period (`SESSION_COOKIE_AGE`) each request renews — at most once every
    `PPE_SESSION_RENEW_SECONDS`: Django's `SESSION_SAVE_EVERY_REQUEST` rewrote the session's row at every page a
    signed-in person opened (and every request of a page's XHRs), a write per request for an expiry that moves
    by seconds. A session that a request used and that is not otherwise saved is renewed (saved, its cookie
    sent again) once its last renewal is that old: a session ends after its idle time, give or take that
    resolution. One that a request changed is saved by Django as before."""

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and session.accessed and not session.modified and not session.is_empty():
            now = int(time.time())
            if now - session.get(SESSION_RENEWED_KEY, 0) >= settings.PPE_SESSION_RENEW_SECONDS:
                session[SESSION_RENEWED_KEY] = now  # modified: Django saves it and sends its cookie again
        return super().process_response(request, response)


class TerritoryRedirectMiddleware(RedirectMiddleware):
    """Wagtail's redirects, on territories' hosts only: the public host has no Wagtail site (its schema has no
    `wagtailcore_site` table), so its unknown paths stay plain 404s."""

    def process_response(self, request, response):
        if connection.schema_name == get_public_schema_name():
            return response
        return super().process_response(request, response)
