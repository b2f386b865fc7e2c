"""Writes of the API app: tokens (created, revoked, touched) and idempotency records' upkeep."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.api.models import ApiToken, IdempotencyRecord

TOKEN_PREFIX = "ppe"  # noqa: S105  (a public format marker, not a secret)
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(*, prefix: str, secret: str, schema_name: str | None = None) -> str:
    """The stored form of a token's secret: bound to the territory's schema, so a copied row is useless."""
    schema = schema_name or connection.schema_name
    return hashlib.sha256(f"{schema}:{prefix}:{secret}".encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *,
    user,
    name: str,
    scope: str = ApiToken.Scope.READ,
    expires_at: datetime | None = None,
    actor=None,
) -> tuple[ApiToken, str]:
    """Create a token for `user` in the current territory. Returns the row and the full token, which is
    shown once and never stored."""
    if scope not in ApiToken.Scope.values:
        raise ValidationError({"scope": "Portée inconnue."})
    if expires_at is None:
        expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)
    if expires_at <= timezone.now():
        raise ValidationError({"expires_at": "La date d'expiration doit être dans le futur."})
    if not user.is_active:
        raise ValidationError({"user": "Ce compte est désactivé."})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        user=user,
        prefix=prefix,
        secret_hash=token_hash(prefix=prefix, secret=secret),
        scope=scope,
        expires_at=expires_at,
        created_by=actor,
    )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_token_revoke(*, token: ApiToken, actor=None) -> ApiToken:
    """Revoke a token at once (its row stays, for the record)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record that a token was used (at most one write a minute per token, to keep requests cheap)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def idempotency_records_purge() -> int:
    """Delete the expired idempotency records of the current territory. Returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


@transaction.atomic
def api_credentials_drop() -> None:
    """Drop the tokens, webhook subscriptions and idempotency records of the current schema.

    Called when a territory is cloned from another one: those belong to the source territory's clients (the
    copied tokens would not authenticate anyway, being bound to the source's schema name).
    """
    from core.api.models import WebhookSubscription

    ApiToken.objects.all().delete()
    WebhookSubscription.objects.all().delete()
    IdempotencyRecord.objects.all().delete()
