"""Reads of the API app."""

from __future__ import annotations

import hmac

from django.utils import timezone

from core.api.models import ApiToken
from core.api.services import TOKEN_PREFIX, token_hash


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The live token of the current territory that `raw` (`ppe_<prefix>_<secret>`) is, or None."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    _, prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None:
        return None
    if not hmac.compare_digest(token.secret_hash, token_hash(prefix=prefix, secret=secret)):
        return None
    if token.revoked_at is not None or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    return token
