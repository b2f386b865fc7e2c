"""Bearer tokens of the territory (`Authorization: Bearer ppe_…`); the browser uses its session (with CSRF)."""

from __future__ import annotations

import contextlib

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from core.api.selectors import api_token_authenticate, api_token_authenticate_counted
from core.api.services import api_token_touch
from core.api.throttling import TokenFailureThrottle

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        failures = TokenFailureThrottle()
        raw = None
        if len(header) == 2:
            with contextlib.suppress(UnicodeDecodeError):
                raw = header[1].decode("ascii")
        stored_key = failures.stored_key(request) if raw is not None else None
        if stored_key is None:
            failures.refuse_if_blocked(request)
            token = api_token_authenticate(raw=raw) if raw is not None else None
        else:  # the address's failures read with the token, in one statement; refused before the token is used
            token, row = api_token_authenticate_counted(raw=raw, counter_key=stored_key)
            failures.refuse_if_blocked(request, row, read=False)
        if len(header) != 2:
            failures.failure_record(request)
            raise AuthenticationFailed("En-tête Authorization invalide : « Bearer <jeton> » attendu.")
        if raw is None:
            failures.failure_record(request)
            raise AuthenticationFailed("Jeton invalide.")
        if token is None:
            failures.failure_record(request)
            raise AuthenticationFailed("Jeton invalide, expiré ou révoqué.")
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
