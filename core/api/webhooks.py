"""Webhooks: subscriptions, signed deliveries, retries with exponential backoff, and their log.

Signature: each delivery carries `X-PPE-Signature: t=<unix time>,v1=<hex>` where `<hex>` is
HMAC-SHA256(subscription secret, "<unix time>." + raw body). A receiver recomputes it, compares in constant
time and refuses a timestamp older than a few minutes (`signature_verify` does all three).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from core.api.events import EVENTS, WEBHOOK_PING
from core.api.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from tenants.table_cache import TableCache

logger = logging.getLogger("ppe.webhooks")

SIGNATURE_HEADER = "X-PPE-Signature"
EVENT_HEADER = "X-PPE-Event"
DELIVERY_HEADER = "X-PPE-Delivery"
TIMEOUT_SECONDS = 10
SIGNATURE_TOLERANCE_SECONDS = 300


# --- Signing --------------------------------------------------------------------------------------------------


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None, previous: str = "") -> str:
    """`t=<timestamp>,v1=<hmac>`; during a secret rotation's overlap a second `v1=` signed with the previous
    secret, so that a receiver still holding it keeps verifying."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    macs = [hmac.new(key.encode(), signed, hashlib.sha256).hexdigest() for key in (secret, previous) if key]
    return ",".join([f"t={timestamp}", *(f"v1={mac}" for mac in macs)])


def signature_verify(
    *, secret: str, header: str, body: bytes, tolerance: int = SIGNATURE_TOLERANCE_SECONDS, now: int | None = None
) -> bool:
    """What a receiver does: True when `header` signs `body` with `secret` and is recent enough."""
    try:
        parts = [item.split("=", 1) for item in header.split(",")]
        timestamp = int(next(value for key, value in parts if key == "t"))
        received = [value for key, value in parts if key == "v1"]
    except (StopIteration, ValueError):
        return False
    now = int(time.time()) if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for value in received)


# --- Subscriptions ----------------------------------------------------------------------------------------------


def _address_is_public(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return False
    return True


def webhook_url_validate(url: str) -> None:
    """Refuse what is not http(s), and private, loopback or link-local targets (unless settings allow them)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": "Adresse invalide : http:// ou https:// attendu."})
    if parts.username or parts.password:
        raise ValidationError({"url": "L'adresse ne doit pas contenir d'identifiants."})
    if not settings.PPE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS and not _address_is_public(parts.hostname):
        raise ValidationError({"url": "Cette adresse n'est pas joignable publiquement : refusée."})


def _events_validate(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if not events:
        raise ValidationError({"events": "Choisissez au moins un événement."})
    if unknown:
        raise ValidationError({"events": f"Événements inconnus : {', '.join(unknown)}."})
    return sorted(set(events))


@transaction.atomic
def webhook_subscription_create(
    *, name: str, url: str, events: list[str], is_active: bool = True, actor=None
) -> WebhookSubscription:
    webhook_url_validate(url)
    return WebhookSubscription.objects.create(
        name=name,
        url=url,
        events=_events_validate(events),
        is_active=is_active,
        secret=f"whsec_{secrets.token_urlsafe(32)}",
        created_by=actor,
    )


@transaction.atomic
def webhook_subscription_update(*, subscription: WebhookSubscription, actor=None, **fields: Any) -> WebhookSubscription:
    if "url" in fields:
        webhook_url_validate(fields["url"])
    if "events" in fields:
        fields["events"] = _events_validate(fields["events"])
    if fields.get("is_active") and not subscription.is_active:
        _failures_forget(subscription)  # switched on again: a new start, whatever switched it off
    for name in ("name", "url", "events", "is_active"):
        if name in fields:
            setattr(subscription, name, fields[name])
    subscription.save()
    return subscription


def _failures_forget(subscription: WebhookSubscription) -> None:
    subscription.failing_since = None
    subscription.disabled_at = None
    subscription.disabled_reason = ""


@transaction.atomic
def webhook_subscription_enable(*, subscription: WebhookSubscription, actor=None) -> WebhookSubscription:
    """Switch an endpoint on again (after an automatic disabling, or by hand): its failure count starts anew.
    Deliveries abandoned meanwhile are not sent by themselves: redeliver those that matter."""
    _failures_forget(subscription)
    subscription.is_active = True
    subscription.save(update_fields=["is_active", "failing_since", "disabled_at", "disabled_reason"])
    logger.info("webhook subscription %s enabled again by %s", subscription.pk, getattr(actor, "pk", None))
    return subscription


def webhook_subscription_owners(subscription: WebhookSubscription) -> list[str]:
    """Who is told about an endpoint: the active account that created it, else the territory's active
    administrators (addresses)."""
    from django.contrib.auth import get_user_model

    from core.roles import Role

    owner = subscription.created_by
    if owner is not None and owner.is_active and owner.email:
        return [owner.email]
    admins = get_user_model().objects.filter(groups__name=Role.PLATFORM_ADMIN, is_active=True).exclude(email="")
    return sorted(set(admins.values_list("email", flat=True)))


def _failure_record(subscription: WebhookSubscription, *, succeeded: bool, error: str) -> None:
    """Track an endpoint's run of failures (inside the attempt's transaction); past
    `PPE_WEBHOOK_DISABLE_AFTER_HOURS` of failures with no success, switch it off and tell its owner."""
    rows = WebhookSubscription.objects.filter(pk=subscription.pk)
    if succeeded:
        rows.filter(failing_since__isnull=False).update(failing_since=None)
        subscription.failing_since = None
        return
    now = timezone.now()
    rows.filter(failing_since__isnull=True).update(failing_since=now)
    locked = rows.select_for_update().get()
    subscription.failing_since = locked.failing_since
    limit = timedelta(hours=settings.PPE_WEBHOOK_DISABLE_AFTER_HOURS)
    if not locked.is_active or now - locked.failing_since < limit:
        return
    since = timezone.localtime(locked.failing_since)
    reason = f"Toutes les livraisons ont échoué depuis le {since:%d/%m/%Y à %H:%M} (dernière erreur : {error})."
    rows.update(is_active=False, disabled_at=now, disabled_reason=reason[:300])
    subscription.is_active, subscription.disabled_at, subscription.disabled_reason = False, now, reason[:300]
    addresses = webhook_subscription_owners(subscription)
    logger.warning("webhook subscription %s disabled after failing since %s", subscription.pk, since)
    transaction.on_commit(lambda: _disabled_notice_send(subscription, addresses))


def _disabled_notice_send(subscription: WebhookSubscription, addresses: list[str]) -> None:
    from django.core.mail import send_mail
    from django.urls import reverse

    from core.links import territory_url

    if not addresses:
        return
    link = territory_url(reverse("api_webhooks:edit", args=[subscription.pk]))
    territory = getattr(connection.tenant, "name", "") or ""
    send_mail(
        subject=f"Webhook « {subscription.name} » désactivé : son adresse ne répond plus",
        message=(
            f"Bonjour,\n\nL'abonnement webhook « {subscription.name} » ({subscription.url}) de {territory} a été "
            f"désactivé automatiquement. {subscription.disabled_reason}\n\n"
            "Plus aucun événement ne lui est envoyé. Une fois l'adresse de réception réparée, réactivez-le "
            f"(bouton « Réactiver ») puis renvoyez les livraisons manquées depuis le journal des livraisons :\n"
            f"{link}\n\nL'équipe de la plateforme"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=addresses,
    )


@transaction.atomic
def webhook_secret_rotate(*, subscription: WebhookSubscription, overlap_hours: int = 24, actor=None) -> str:
    """A new signing secret, returned once; for `overlap_hours` deliveries are signed with both (two `v1=`),
    so the receiver can switch without losing one."""
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = timezone.now() + timedelta(hours=max(overlap_hours, 0))
    subscription.secret = f"whsec_{secrets.token_urlsafe(32)}"
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return subscription.secret


def _previous_secret(subscription: WebhookSubscription) -> str:
    expires = subscription.previous_secret_expires_at
    return subscription.previous_secret if expires is not None and expires > timezone.now() else ""


def _subscribed_events_load() -> frozenset[str]:
    events: set[str] = set()
    for subscribed in WebhookSubscription.objects.filter(is_active=True).values_list("events", flat=True):
        events.update(subscribed or ())
    return frozenset(events)


# The events some active subscription of the territory listens to: asked at every case event (a transition),
# answered without a query (see tenants.table_cache; PPE_WEBHOOK_CACHE_CHECK_MS).
subscribed_events = TableCache(WebhookSubscription, _subscribed_events_load, check_setting="PPE_WEBHOOK_CACHE_CHECK_MS")


# --- Emitting and delivering --------------------------------------------------------------------------------------


def territory_code() -> str:
    """How a payload names its territory: the département's code (35, 2A, 974), as a receiver knows it —
    never the internal schema name."""
    return getattr(connection.tenant, "code", None) or connection.schema_name


def webhook_event_emit(*, event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Record a delivery of `event` for every active subscription to it, sent once the transaction commits.

    Call it from the core service that caused the event, inside its transaction.
    """
    from core.api.tasks import webhook_deliver

    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}")
    deliveries = []
    subscriptions = [s for s in WebhookSubscription.objects.filter(is_active=True) if event in s.events]
    for subscription in subscriptions:
        delivery = WebhookDelivery.objects.create(subscription=subscription, event=event, payload={})
        delivery.payload = {
            "id": str(delivery.uuid),
            "event": event,
            "territory": territory_code(),
            "created_at": delivery.created_at.isoformat(),
            "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
        }
        delivery.save(update_fields=["payload"])
        webhook_deliver.effect(args=(delivery.pk,), key=f"webhook:{delivery.uuid}:1")
        deliveries.append(delivery)
    return deliveries


def webhook_ping(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """Send a test event to one subscription (from the admin or the API)."""
    from core.api.tasks import webhook_deliver

    delivery = WebhookDelivery.objects.create(subscription=subscription, event=WEBHOOK_PING, payload={})
    delivery.payload = {
        "id": str(delivery.uuid),
        "event": WEBHOOK_PING,
        "territory": territory_code(),
        "created_at": delivery.created_at.isoformat(),
        "data": {"subscription": subscription.pk},
    }
    delivery.save(update_fields=["payload"])
    webhook_deliver.effect(args=(delivery.pk,), key=f"webhook:{delivery.uuid}:1")
    return delivery


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, actor=None) -> WebhookDelivery:
    """Send a past delivery again, whatever became of it: a new delivery (its own tries and log) carrying the
    same payload — the same event `id`, so a receiver that already processed it can tell — sent once the
    transaction commits."""
    from core.api.tasks import webhook_deliver

    again = WebhookDelivery.objects.create(
        subscription=delivery.subscription, event=delivery.event, payload=delivery.payload, redelivery_of=delivery
    )
    webhook_deliver.effect(args=(again.pk,), key=f"webhook:{again.uuid}:1")
    logger.info("webhook %s redelivered as %s by %s", delivery.uuid, again.uuid, getattr(actor, "pk", None))
    return again


def retry_delay(attempt: int) -> int:
    """Seconds before try number `attempt + 1`: base * 2**(attempt - 1) (30 s, 1 min, 2 min, 4 min…), at most
    `PPE_WEBHOOK_RETRY_MAX_DELAY_SECONDS` (6 h), so that the tries spread over the whole retry window."""
    return min(
        settings.PPE_WEBHOOK_RETRY_BASE_SECONDS * 2 ** min(attempt - 1, 30),
        settings.PPE_WEBHOOK_RETRY_MAX_DELAY_SECONDS,
    )


def _retry_window_over(delivery: WebhookDelivery, next_at) -> bool:
    """True when a try at `next_at` would fall past the retry window (`PPE_WEBHOOK_RETRY_WINDOW_HOURS`, three
    days from the delivery's creation): the delivery is abandoned instead."""
    return next_at > delivery.created_at + timedelta(hours=settings.PPE_WEBHOOK_RETRY_WINDOW_HOURS)


def webhook_delivery_attempt(*, delivery: WebhookDelivery) -> WebhookAttempt:
    """Try one delivery now: POST the signed payload, log the attempt, and plan the next one if it failed.

    Returns the attempt's log row. When a retry is due, `delivery.next_attempt_at` says when (the task
    schedules it).
    """
    if delivery.status in (WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED):
        raise ValueError("delivery already settled")
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    number = delivery.attempts + 1
    status_code: int | None = None
    error = ""
    response_body = ""
    started = time.monotonic()
    if not subscription.is_active:
        error = "Abonnement désactivé."
    else:
        try:
            webhook_url_validate(subscription.url)  # again at delivery time: DNS may have changed
            request = urllib.request.Request(  # noqa: S310  (scheme checked above: http or https only)
                subscription.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "PlateformePetiteEnfance-Webhooks/1.0",
                    SIGNATURE_HEADER: signature_header(
                        secret=subscription.secret, body=body, previous=_previous_secret(subscription)
                    ),
                    EVENT_HEADER: delivery.event,
                    DELIVERY_HEADER: str(delivery.uuid),
                },
            )
            opener = urllib.request.build_opener(_NoRedirect)
            with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                status_code = response.status
                response_body = _body_excerpt(response)
        except urllib.error.HTTPError as exc:
            status_code = exc.code
            error = f"HTTP {exc.code}"
            response_body = _body_excerpt(exc)
        except ValidationError as exc:
            error = "; ".join(exc.messages)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = str(getattr(exc, "reason", exc))[:500]
    duration_ms = int((time.monotonic() - started) * 1000)

    with transaction.atomic():
        succeeded = status_code is not None and 200 <= status_code < 300
        if subscription.is_active:  # a try was made: the endpoint's run of failures goes on or ends
            _failure_record(subscription, succeeded=succeeded, error=error or f"HTTP {status_code}")
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            status_code=status_code,
            error=error[:500],
            response_body=response_body,
            duration_ms=duration_ms,
        )
        delivery.attempts = number
        delivery.last_status_code = status_code
        if succeeded:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
        elif (
            number >= settings.PPE_WEBHOOK_MAX_ATTEMPTS
            or not subscription.is_active
            or _retry_window_over(delivery, timezone.now() + timedelta(seconds=retry_delay(number)))
        ):
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.status = WebhookDelivery.Status.RETRYING
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_delay(number))
        delivery.save(update_fields=["attempts", "last_status_code", "status", "delivered_at", "next_attempt_at"])
    if delivery.status != WebhookDelivery.Status.SUCCEEDED:
        logger.info("webhook %s to %s: attempt %s failed (%s)", delivery.uuid, subscription.url, number, error)
    return attempt


RESPONSE_BODY_MAX = 2000


def _body_excerpt(response) -> str:
    """The start of what the receiver answered (kept per attempt, shown in the delivery log)."""
    try:
        raw = response.read(RESPONSE_BODY_MAX + 1)
    except (OSError, ValueError):
        return ""
    text = raw.decode("utf-8", errors="replace")
    return text[:RESPONSE_BODY_MAX] + ("…" if len(raw) > RESPONSE_BODY_MAX else "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a hop: following it could lead to a private address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0917  (urllib signature)
        return None


def case_event_emit(*, event: str, case, case_event=None) -> None:
    """Emit a case's webhook event inside the service's transaction (deliveries are recorded with the change
    and sent once it commits). Free when nobody subscribes to it: no query (`subscribed_events`)."""
    from workflows.engine import compiled_version

    if event not in subscribed_events.get():
        return
    compiled = compiled_version(case.workflow_version_id)
    data: dict[str, Any] = {
        "reference": case.reference,
        "workflow": compiled.code,
        "state": case.state,
        "state_label": compiled.state_label(case.state),
        "structure": case.structure_id,
    }
    if case_event is not None:
        data.update(
            {
                "transition": case_event.transition,
                "from_state": case_event.from_state,
                "to_state": case_event.to_state,
                "actor": case_event.actor_id,
                "changed_fields": sorted(case_event.data_diff or {}),
                "at": case_event.created_at,
            }
        )
    webhook_event_emit(event=event, data=data)
