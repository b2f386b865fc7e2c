"""Request rates: per token, per session user and per anonymous client address, and failed token attempts per
client address, counted in the `throttle` cache — shared by every web worker and host (Redis when `REDIS_URL`
is set, else a table of the database), its keys carrying the territory's schema, so each territory counts its
own."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.api.models import ApiToken

THROTTLE_CACHE = "throttle"


def client_address(request) -> str:
    """REMOTE_ADDR, or behind a reverse proxy the header it sets (`PPE_CLIENT_IP_HEADER`; of a list, the last
    address, the one the proxy appended). Never a header the client chooses: X-Forwarded-For sent by a client
    would give it a fresh counter per request."""
    header = settings.PPE_CLIENT_IP_HEADER
    value = request.META.get(header) or request.META.get("REMOTE_ADDR") or "unknown"
    return value.split(",")[-1].strip()


class _SettingsRateThrottle(SimpleRateThrottle):
    @property
    def cache(self):
        return caches[THROTTLE_CACHE]

    def get_rate(self):
        # Read at each request (DRF freezes the rates at import otherwise; tests and settings may change them).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        return client_address(request)


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

    def _history_load(self, request) -> None:
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def refuse_if_blocked(self, request) -> None:
        if self.rate is None:
            return
        self._history_load(request)
        if len(self.history) >= self.num_requests:
            raise Throttled(
                wait=self.wait(),
                detail="Trop de jetons invalides envoyés depuis cette adresse : réessayez plus tard.",
            )

    def failure_record(self, request) -> None:
        if self.rate is None:
            return
        self._history_load(request)
        self.throttle_success()  # records the attempt in the history
