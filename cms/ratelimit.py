"""An anti-abuse limit on the public forms: at most N attempts per client address and window, per territory.

Counters live in the public site's cache (shared by every web worker; keys carry the territory's schema).
A fixed window is enough to stop a script hammering the form; it is not an accounting of requests.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest

from cms.cache import CACHE_ALIAS


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a reverse proxy the request header it sets, named by
    `PPE_CLIENT_IP_HEADER` (e.g. `HTTP_X_REAL_IP`; for `HTTP_X_FORWARDED_FOR`, the last address, the one the
    proxy appended)."""
    header = getattr(settings, "PPE_CLIENT_IP_HEADER", "REMOTE_ADDR")
    value = request.META.get(header) or request.META.get("REMOTE_ADDR") or "unknown"
    return value.split(",")[-1].strip()


def rate_limit_hit(*, scope: str, ident: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt of `ident` in `scope`; True when it goes beyond `limit` in the current window."""
    cache = caches[CACHE_ALIAS]
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    # the window is in the key: a backend whose incr() resets the expiry (file cache) cannot stretch it
    window = int(time.time() // window_seconds)
    key = f"cms:ratelimit:{scope}:{digest}:{window}"
    if cache.add(key, 1, window_seconds):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, window_seconds)
        return False
    return count > limit
