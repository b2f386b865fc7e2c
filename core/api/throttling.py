"""Request rates: per token, per session user and per anonymous client address, and failed token attempts per
client address, shared by every web worker and host (Redis when `REDIS_URL` is set, else a table of the public
schema), their keys carrying the territory's schema, so each territory counts its own.

Counted as a sliding window (two fixed windows, the previous one weighted by how much of it still overlaps
the sliding one): one round trip a request (one upsert, or one Redis pipeline), whatever the rate, where DRF's
own throttles keep the time of every request of the window in the cache (a list read, pickled and written back
at each request). Refused requests count too: a client that keeps hammering while refused stays refused."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django_tenants.utils import get_public_schema_name
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.api.models import ApiToken

THROTTLE_CACHE = "throttle"  # in settings.CACHES only when there is Redis
PURGE_CHANCE = 0.002  # about once every 500 counted requests, rows of windows long past are deleted


def client_address(request) -> str:
    """REMOTE_ADDR, or behind a reverse proxy the header it sets (`PPE_CLIENT_IP_HEADER`; of a list, the last
    address, the one the proxy appended). Never a header the client chooses: X-Forwarded-For sent by a client
    would give it a fresh counter per request."""
    header = settings.PPE_CLIENT_IP_HEADER
    value = request.META.get(header) or request.META.get("REMOTE_ADDR") or "unknown"
    return value.split(",")[-1].strip()


@dataclass(frozen=True)
class WindowCount:
    """The hits of the current fixed window and of the one before, and how far `now` is into the current one
    (0 to 1)."""

    hits: int
    previous: int
    elapsed: float

    @property
    def estimate(self) -> float:
        """The hits of the sliding window that ends now."""
        return self.previous * (1 - self.elapsed) + self.hits

    def wait(self, limit: int, duration: int) -> int:
        """Seconds until the sliding window holds fewer than `limit` hits again (no new hit meanwhile)."""
        if self.hits >= limit:  # not before the next window, and then until this one weighs little enough
            seconds = (1 - self.elapsed) * duration + (1 - limit / max(self.hits, 1)) * duration
        else:
            seconds = max(0.0, (1 - (limit - self.hits) / max(self.previous, 1)) - self.elapsed) * duration
        return max(1, math.ceil(seconds))


def _window(duration: int) -> tuple[int, float]:
    now = time.time()
    window = int(now // duration)
    return window, now / duration - window


def _key(key: str) -> str:
    return f"{connection.schema_name}:{key}"


def _redis():
    if THROTTLE_CACHE not in settings.CACHES:
        return None
    cache = caches[THROTTLE_CACHE]
    return cache, cache._cache.get_client(write=True)  # Django's RedisCache client: one pipeline a request


_UPSERT = """
INSERT INTO "{schema}"."ppe_rate_counter" AS c ("key", "window", "hits", "previous", "expires")
VALUES (%(key)s, %(window)s, 1, 0, now() + %(keep)s * interval '1 second')
ON CONFLICT ("key") DO UPDATE SET
    "previous" = CASE WHEN c."window" = EXCLUDED."window" THEN c."previous"
                      WHEN c."window" = EXCLUDED."window" - 1 THEN c."hits" ELSE 0 END,
    "hits" = CASE WHEN c."window" = EXCLUDED."window" THEN c."hits" + 1 ELSE 1 END,
    "window" = EXCLUDED."window",
    "expires" = EXCLUDED."expires"
RETURNING "hits", "previous"
"""


def counter_hit(key: str, duration: int) -> WindowCount:
    """Count one hit of `key` (a counter of the current territory) and return its window counts."""
    window, elapsed = _window(duration)
    redis = _redis()
    if redis is not None:
        cache, client = redis
        current, before = cache.make_key(f"rate:{key}:{window}"), cache.make_key(f"rate:{key}:{window - 1}")
        pipe = client.pipeline(transaction=False)
        pipe.incr(current)
        pipe.expire(current, 2 * duration)
        pipe.get(before)
        hits, _, previous = pipe.execute()
        return WindowCount(int(hits), int(previous or 0), elapsed)
    schema = get_public_schema_name()
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT.format(schema=schema), {"key": _key(key), "window": window, "keep": 2 * duration})
        hits, previous = cursor.fetchone()
        if random.random() < PURGE_CHANCE:  # noqa: S311 (not a secret)
            cursor.execute(f'DELETE FROM "{schema}"."ppe_rate_counter" WHERE "expires" < now()')  # noqa: S608 (the settings' schema)
    return WindowCount(hits, previous, elapsed)


# The stored row of a counter (`key` already carries the schema: `_key`), as one value: a subquery another
# statement of the request can carry (`core.api.selectors.api_token_authenticate_counted`).
COUNTER_ROW_SQL = (
    f'SELECT ARRAY["window", "hits", "previous"] FROM "{get_public_schema_name()}"."ppe_rate_counter" '  # noqa: S608
    'WHERE "key" = %s'
)  # (the settings' schema; the key is a parameter)


def counter_row(stored_key: str) -> list | None:
    """The stored row [window, hits, previous] of a counter of the table, or None."""
    with connection.cursor() as cursor:
        cursor.execute(COUNTER_ROW_SQL, [stored_key])
        row = cursor.fetchone()
    return row[0] if row else None


def window_count(row: list | None, duration: int) -> WindowCount:
    """The window counts of a stored row (`counter_row`) now."""
    window, elapsed = _window(duration)
    if row is None:
        return WindowCount(0, 0, elapsed)
    stored_window, hits, previous = row
    if stored_window == window:
        return WindowCount(hits, previous, elapsed)
    if stored_window == window - 1:
        return WindowCount(0, hits, elapsed)
    return WindowCount(0, 0, elapsed)


def counter_read(key: str, duration: int) -> WindowCount:
    """The window counts of `key` without counting a hit."""
    redis = _redis()
    if redis is not None:
        window, elapsed = _window(duration)
        cache, client = redis
        hits, previous = client.mget(
            [cache.make_key(f"rate:{key}:{window}"), cache.make_key(f"rate:{key}:{window - 1}")]
        )
        return WindowCount(int(hits or 0), int(previous or 0), elapsed)
    return window_count(counter_row(_key(key)), duration)


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        # Read at each request (DRF freezes the rates at import otherwise; tests and settings may change them).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        return client_address(request)

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.count = counter_hit(self.key, self.duration)
        return self.count.estimate <= self.num_requests

    def wait(self) -> int:
        return self.count.wait(self.num_requests, self.duration)


class TokenRateThrottle(_SettingsRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return None


class SessionUserRateThrottle(_SettingsRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated and not isinstance(request.auth, ApiToken):
            return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
        return None


class AnonymousRateThrottle(_SettingsRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenFailureThrottle(_SettingsRateThrottle):
    """Failed token attempts per client address (`token_failure` rate): past the limit, every token sent from
    that address — right or wrong — gets 429 until the window has passed, so tokens cannot be guessed."""

    scope = "token_failure"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def stored_key(self, request) -> str | None:
        """The key of this address's row in the counters' table, when the counters are there (no Redis) and
        counted: the token's lookup then reads it in the same statement (`refuse_if_blocked(request, row)`)."""
        if self.rate is None or _redis() is not None:
            return None
        return _key(self.get_cache_key(request))

    def refuse_if_blocked(self, request, row: list | None = None, *, read: bool = True) -> None:
        """429 when this address sent too many wrong tokens: its counter read now, or from `row` (`read=False`,
        the row the token's lookup read with it)."""
        if self.rate is None:
            return
        count = counter_read(self.get_cache_key(request), self.duration) if read else window_count(row, self.duration)
        if count.estimate >= self.num_requests:
            raise Throttled(
                wait=count.wait(self.num_requests, self.duration),
                detail="Trop de jetons invalides envoyés depuis cette adresse : réessayez plus tard.",
            )

    def failure_record(self, request) -> None:
        if self.rate is not None:
            counter_hit(self.get_cache_key(request), self.duration)
