"""Reads of the API app."""

from __future__ import annotations

import hmac

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Q
from django.utils import timezone

from core.api.models import ApiToken
from core.api.services import TOKEN_PREFIX, token_hash
from core.roles import user_roles_known


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The live token of the current territory that `raw` (`ppe_<prefix>_<secret>`) is, or None."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    _, prefix, secret = parts
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=prefix)
        .annotate(group_names=ArrayAgg("user__groups__name", filter=Q(user__groups__isnull=False), default=[]))
        .first()
    )  # the token, its user and the user's roles in one query
    if token is None:
        return None
    user_roles_known(token.user, token.group_names)
    if not hmac.compare_digest(token.secret_hash, token_hash(prefix=prefix, secret=secret)):
        return None
    if token.revoked_at is not None or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    return token
