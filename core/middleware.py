"""Middleware of the core."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import get_public_schema_name
from wagtail.contrib.redirects.middleware import RedirectMiddleware


class TerritoryRedirectMiddleware(RedirectMiddleware):
    """Wagtail's redirects, on territories' hosts only: the public host has no Wagtail site (its schema has no
    `wagtailcore_site` table), so its unknown paths stay plain 404s."""

    def process_response(self, request, response):
        if connection.schema_name == get_public_schema_name():
            return response
        return super().process_response(request, response)
