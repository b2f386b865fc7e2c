"""The page cache of the public site: per territory, shared by every web worker, purged on edit.

- `SitePage.serve` marks a response cacheable (`mark_cacheable`) when the request's query parameters are ones
  the page knows; the middleware keeps such responses for anonymous visitors and serves them before any
  routing or rendering.
- Keys go through the cache's KEY_FUNCTION (`django_tenants.cache.make_key`), which prefixes the territory's
  schema: a territory never sees another's pages.
- Purging a territory bumps its generation number: every page cached under the old one is orphaned at once
  (and expires later), without listing keys and without touching other territories.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django_tenants.utils import get_public_schema_name, schema_context

CACHE_ALIAS = "cms"
GENERATION_KEY = "cms:pages:generation"
CACHEABLE_ATTR = "_ppe_page_cacheable"
HEADER = "X-Page-Cache"
SKIPPED_PREFIXES = ("/admin/", "/api/", "/documents/", "/static/", "/media/")


def _cache() -> Any:
    return caches[CACHE_ALIAS]


def _timeout() -> int:
    return getattr(settings, "PPE_PAGE_CACHE_SECONDS", 3600)


def mark_cacheable(response: HttpResponse) -> None:
    setattr(response, CACHEABLE_ATTR, True)


def _generation(cache: Any) -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION_KEY)
    return generation


def _bump() -> None:
    _cache().set(GENERATION_KEY, uuid.uuid4().hex, None)


def page_cache_purge() -> None:
    """Forget every cached page of the current territory, now and again when the transaction commits (a
    request served in between may have cached what the transaction had not yet made visible)."""
    if connection.schema_name == get_public_schema_name():
        return
    _bump()
    schema = connection.schema_name

    def bump_after_commit() -> None:
        with schema_context(schema):
            _bump()

    transaction.on_commit(bump_after_commit)


def page_cache_purge_for(*, schema_name: str) -> None:
    """Forget every cached page of the territory whose schema is `schema_name`."""
    with schema_context(schema_name):
        page_cache_purge()


def _eligible(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and connection.schema_name != get_public_schema_name()
        and not request.path.startswith(SKIPPED_PREFIXES)
        # editors (signed in) see fresh pages and Wagtail's user bar
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _key(request: HttpRequest, generation: str) -> str:
    path = hashlib.sha256(f"{request.scheme}|{request.get_full_path()}".encode()).hexdigest()[:40]
    return f"cms:page:{generation}:{path}"


class PageCacheMiddleware:
    """Serve cached public pages; keep the ones the page marked cacheable. Installed last in MIDDLEWARE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _eligible(request):
            return self.get_response(request)
        cache = _cache()
        key = _key(request, _generation(cache))
        entry = cache.get(key)
        if entry is not None:
            content, content_type = entry
            response = HttpResponse(content, content_type=content_type)
            response[HEADER] = "hit"
            return response
        response = self.get_response(request)
        if self._storable(response):
            if getattr(response, "is_rendered", True):
                self._store(cache, key, response)
            else:
                response.add_post_render_callback(lambda r: self._store(cache, key, r))
            response[HEADER] = "miss"
        return response

    @staticmethod
    def _storable(response: HttpResponse) -> bool:
        return (
            getattr(response, CACHEABLE_ATTR, False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
        )

    @staticmethod
    def _store(cache: Any, key: str, response: HttpResponse) -> None:
        cache.set(key, (response.content, response["Content-Type"]), _timeout())
