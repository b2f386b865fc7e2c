"""`Idempotency-Key`: a POST to the API sent again with the same key is answered with the first response.

Records live in the territory's schema and belong to whoever sent the request (a hash of the token, or the
session's user), so a key never replays someone else's response. The same key with another body gets 422;
a retry while the first request is still running gets 409. Records expire (`API_IDEMPOTENCY_TTL_HOURS`); one
left « in progress » by a process that died is taken over after `API_IDEMPOTENCY_IN_PROGRESS_SECONDS`. Only
an authenticated request (a live token, or a session whose request passes the CSRF check) is ever replayed.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from core.api.errors import problem_response
from core.api.models import IdempotencyRecord
from core.api.selectors import api_token_authenticate
from core.limits import request_body_limit, too_large_response

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Responses that say the request was not processed: not recorded, so a retry runs it for real.
NOT_RECORDED = {401, 403, 409, 429}


def _principal(request: HttpRequest) -> str | None:
    """Who sent the request, once authenticated: a live token of the territory, or the session's user whose
    request passes the CSRF check. None otherwise (the view answers 401 or 403; nothing is replayed to it)."""
    authorization = request.headers.get("Authorization", "").split()
    if authorization:
        if len(authorization) != 2 or authorization[0].lower() not in ("bearer", "token"):
            return None
        token = api_token_authenticate(raw=authorization[1])
        return f"t:{token.pk}" if token is not None else None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if CsrfViewMiddleware(lambda request: None).process_view(request, None, (), {}) is not None:
        return None  # a forged cross-site POST never sees a replay
    return f"u:{user.pk}"


def _request_hash(request: HttpRequest, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.content_type or ""):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type or None)
    if record.location:
        response["Location"] = record.location
    response[REPLAY_HEADER] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:  # noqa: PLR0911 (one return per outcome)
        key = request.headers.get(HEADER)
        if (
            not key
            or request.method != "POST"
            or not request.path.startswith("/api/v")
            or connection.schema_name == get_public_schema_name()
        ):
            return self.get_response(request)
        if len(key) > MAX_KEY_LENGTH:
            return problem_response(request, 400, f"L'en-tête {HEADER} dépasse {MAX_KEY_LENGTH} caractères.")
        principal = _principal(request)
        if principal is None:  # anonymous: the view answers 401 anyway
            return self.get_response(request)
        try:
            body = request.body
        except RequestDataTooBig:
            return too_large_response(request, request_body_limit(request))
        request_hash = _request_hash(request, body)

        record = self._claim(request, principal=principal, key=key, request_hash=request_hash)
        if isinstance(record, HttpResponse):
            return record
        response = self.get_response(request)
        if response.status_code in NOT_RECORDED or response.status_code >= 500 or response.streaming:
            record.delete()
            return response
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.body = response.content
        record.location = response.get("Location", "")[:500]
        record.save(update_fields=["status_code", "content_type", "body", "location"])
        return response

    def _claim(self, request: HttpRequest, *, principal: str, key: str, request_hash: str):
        """The new in-progress record for this key, or the response to give instead (a replay, a conflict)."""
        now = timezone.now()
        in_progress_ttl = timedelta(seconds=settings.API_IDEMPOTENCY_IN_PROGRESS_SECONDS)
        for _attempt in range(2):
            existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
            if existing is not None and (
                existing.expires_at <= now
                # left « in progress » by a process that died (or a request that outlived any web timeout)
                or (existing.status_code is None and existing.created_at <= now - in_progress_ttl)
            ):
                existing.delete()
                existing = None
            if existing is not None:
                if existing.request_hash != request_hash:
                    return problem_response(
                        request,
                        422,
                        "Cette clé d'idempotence a déjà servi pour une autre requête.",
                        slug="idempotency-key-reused",
                    )
                if existing.status_code is None:
                    return problem_response(
                        request,
                        409,
                        "Une requête avec cette clé d'idempotence est en cours de traitement.",
                        slug="idempotency-in-progress",
                    )
                return _replay(existing)
            try:
                with transaction.atomic():
                    return IdempotencyRecord.objects.create(
                        key=key,
                        principal=principal,
                        method=request.method,
                        path=request.path[:500],
                        request_hash=request_hash,
                        expires_at=now + timedelta(hours=settings.API_IDEMPOTENCY_TTL_HOURS),
                    )
            except IntegrityError:
                continue  # another request claimed it at the same moment: read its record
        return problem_response(
            request, 409, "Une requête avec cette clé d'idempotence est en cours de traitement.", slug="idempotency"
        )
