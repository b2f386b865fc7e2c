"""The poles' own API routes (the `api_routes` hook), mounted under `/api/v1/`.

URLs are built once per process for every installed pole; a pole switched off in the territory of the request
answers 404 there (problem details), whatever the route.
"""

from __future__ import annotations

import functools
from typing import Any

from rest_framework.routers import SimpleRouter

from core.api.errors import problem_response
from core.plugins import plugin_manager, pole_enabled, poles


def pole_guard(pole_code: str, view: Any) -> Any:
    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        if not pole_enabled(pole_code):
            return problem_response(request, 404, "Ce pôle n'est pas activé dans ce territoire.")
        return view(request, *args, **kwargs)

    return guarded


def pole_urlpatterns() -> list[Any]:
    """URL patterns of every pole's `api_routes`, each guarded by its pole's switch."""
    patterns: list[Any] = []
    installed = poles()
    for impl in reversed(plugin_manager().hook.api_routes.get_hookimpls()):
        pole_code = impl.plugin_name
        routes = impl.function() or []
        router = SimpleRouter()
        for prefix, viewset, basename in routes:
            router.register(prefix.strip("/"), viewset, basename=basename)
        for pattern in router.urls:
            if pole_code in installed:
                pattern.callback = pole_guard(pole_code, pattern.callback)
            patterns.append(pattern)
    return patterns
