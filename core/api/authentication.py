"""Bearer tokens of the territory (`Authorization: Bearer ppe_…`); the browser uses its session (with CSRF)."""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from core.api.selectors import api_token_authenticate
from core.api.services import api_token_touch
from core.api.throttling import TokenFailureThrottle

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        failures = TokenFailureThrottle()
        failures.refuse_if_blocked(request)
        if len(header) != 2:
            failures.failure_record(request)
            raise AuthenticationFailed("En-tête Authorization invalide : « Bearer <jeton> » attendu.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            failures.failure_record(request)
            raise AuthenticationFailed("Jeton invalide.") from None
        token = api_token_authenticate(raw=raw)
        if token is None:
            failures.failure_record(request)
            raise AuthenticationFailed("Jeton invalide, expiré ou révoqué.")
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
