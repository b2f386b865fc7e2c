"""Webhooks: a real delivery to a small HTTP server on 127.0.0.1, its signature, retries with backoff, the log."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from core.api import events
from core.api.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from core.api.tasks import webhook_deliver
from core.api.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
    signature_verify,
    webhook_event_emit,
    webhook_subscription_create,
)
from tenants.outbox.models import Effect


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that records what it receives and answers the statuses it is told to."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": self.headers, "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def subscription(tenant, receiver):
    return webhook_subscription_create(name="SI de la CAF", url=receiver.url, events=[events.CASE_OPENED])


def test_an_event_is_delivered_signed_once_the_transaction_commits(subscription, receiver, run_on_commit):
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={"reference": "SUP-2026-0001"})
        assert receiver.received == []  # nothing leaves before the commit
    assert len(receiver.received) == 1
    request = receiver.received[0]
    payload = json.loads(request["body"])
    assert payload["event"] == "case.opened"
    assert payload["data"] == {"reference": "SUP-2026-0001"}
    assert payload["territory"] == "35"  # the département's code, never the schema's name
    assert request["headers"][EVENT_HEADER] == "case.opened"
    delivery = WebhookDelivery.objects.get()
    assert request["headers"][DELIVERY_HEADER] == str(delivery.uuid)
    assert signature_verify(
        secret=subscription.secret, header=request["headers"][SIGNATURE_HEADER], body=request["body"]
    )
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert WebhookAttempt.objects.get().status_code == 200


def test_only_subscribers_of_the_event_receive_it(subscription, receiver, run_on_commit):
    with run_on_commit():
        webhook_event_emit(event=events.CASE_TRANSITIONED, data={})
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_failed_delivery_is_retried_with_exponential_backoff(subscription, receiver, run_on_commit):
    receiver.statuses = [500, 503]
    HUEY.storage.flush_schedule()
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={"n": 1})
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("retrying", 1, 500)
    retry = Effect.objects.get(key=f"webhook:{delivery.uuid}:2")  # the next try: an outbox effect, scheduled
    assert retry.status == "pending"
    assert abs((retry.available_at - delivery.next_attempt_at).total_seconds()) < 1
    scheduled = HUEY.scheduled()
    assert len(scheduled) == 1
    assert scheduled[0].args == ("dep_35", retry.pk)
    first_delay = (delivery.next_attempt_at - WebhookAttempt.objects.get().attempted_at).total_seconds()
    assert 29 <= first_delay <= 31

    webhook_deliver.run_local(delivery.pk)  # what the scheduled task does when it is due
    delivery.refresh_from_db()
    second = delivery.attempt_log.get(number=2)
    assert (delivery.status, second.status_code) == ("retrying", 503)
    assert 59 <= (delivery.next_attempt_at - second.attempted_at).total_seconds() <= 61

    webhook_deliver.run_local(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 3)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 503, 200]
    assert len(receiver.received) == 3
    HUEY.storage.flush_schedule()


@override_settings(PPE_WEBHOOK_MAX_ATTEMPTS=2)
def test_a_delivery_is_abandoned_after_the_last_attempt(subscription, receiver, run_on_commit):
    receiver.statuses = [500, 500]
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={})
    delivery = WebhookDelivery.objects.get()
    webhook_deliver.run_local(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)
    HUEY.storage.flush_schedule()


def test_an_unreachable_endpoint_is_logged_with_its_error(tenant, run_on_commit):
    closed = Receiver()
    url = closed.url
    closed.close()
    webhook_subscription_create(name="Fermé", url=url, events=[events.CASE_OPENED])
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={})
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error
    HUEY.storage.flush_schedule()


def test_signature_verification_refuses_tampering_and_old_timestamps():
    body = b'{"event":"case.opened"}'
    header = signature_header(secret="whsec_x", body=body)
    assert signature_verify(secret="whsec_x", header=header, body=body)
    assert not signature_verify(secret="whsec_x", header=header, body=body + b" ")
    assert not signature_verify(secret="whsec_y", header=header, body=body)
    old = signature_header(secret="whsec_x", body=body, timestamp=int(time.time()) - 3600)
    assert not signature_verify(secret="whsec_x", header=old, body=body)
    assert not signature_verify(secret="whsec_x", header="n'importe quoi", body=body)


@override_settings(PPE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS=False)
@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/x", "http://localhost/x", "http://10.0.0.1/x", "http://169.254.169.254/latest/meta-data",
     "ftp://example.org/x", "http://user:pw@example.org/x", "http://[::1]/x"],
)  # fmt: skip
def test_private_and_odd_addresses_are_refused(tenant, url):
    with pytest.raises(ValidationError):
        webhook_subscription_create(name="SSRF", url=url, events=[events.CASE_OPENED])


def test_unknown_events_are_refused(tenant, receiver):
    with pytest.raises(ValidationError):
        webhook_subscription_create(name="x", url=receiver.url, events=["case.exploded"])


def test_subscriptions_through_the_api_show_the_secret_once(api_as, receiver):
    client = api_as("platform_admin")
    response = client.post(
        "/api/v1/webhooks/", {"name": "CAF", "url": receiver.url, "events": ["case.opened"]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["secret"].startswith("whsec_")
    detail = client.get(f"/api/v1/webhooks/{response.json()['id']}/").json()
    assert "secret" not in detail
    assert api_as("case_worker").get("/api/v1/webhooks/").status_code == 403
    assert {e["code"] for e in client.get("/api/v1/webhook-events/").json()} == set(events.EVENTS)


def test_a_ping_through_the_api_is_delivered_and_listed(api_as, subscription, receiver, run_on_commit):
    client = api_as("platform_admin")
    with run_on_commit():
        response = client.post(f"/api/v1/webhooks/{subscription.pk}/ping/")
    assert response.status_code == 202
    assert json.loads(receiver.received[0]["body"])["event"] == "webhook.ping"
    deliveries = client.get(f"/api/v1/webhooks/{subscription.pk}/deliveries/").json()["results"]
    assert deliveries[0]["status"] == "succeeded"
    assert deliveries[0]["attempt_log"][0]["status_code"] == 200


def test_a_subscription_may_be_created_inactive_through_the_api(api_as, receiver):
    """Found by schemathesis: `is_active` in the body used to crash the create service."""
    response = api_as("platform_admin").post(
        "/api/v1/webhooks/",
        {"name": "CAF", "url": receiver.url, "events": ["case.opened"], "is_active": False},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["is_active"] is False


def test_each_attempt_keeps_the_status_and_the_body_answered(subscription, receiver, run_on_commit):
    receiver.statuses = [503]
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={})
    attempt = WebhookAttempt.objects.get()
    assert (attempt.status_code, attempt.response_body) == (503, "ok")
    HUEY.storage.flush_schedule()


def test_retries_spread_over_three_days_then_the_delivery_is_abandoned(subscription, receiver, run_on_commit):
    from datetime import timedelta

    from django.utils import timezone

    from core.api.webhooks import retry_delay, webhook_delivery_attempt

    assert retry_delay(1) == 30
    assert retry_delay(20) == 6 * 3600  # capped: the tries spread over the window
    receiver.statuses = [500, 500]
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={})
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "retrying"
    # two days and a half later, still retried; past three days, abandoned
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(hours=60))
    delivery.refresh_from_db()
    receiver.statuses = [500]
    webhook_delivery_attempt(delivery=delivery)
    assert delivery.status == "retrying"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(hours=72, seconds=-30))
    delivery.refresh_from_db()
    receiver.statuses = [500]
    webhook_delivery_attempt(delivery=delivery)
    assert (delivery.status, delivery.next_attempt_at) == ("failed", None)
    HUEY.storage.flush_schedule()


def test_any_delivery_is_redelivered_through_the_api(api_as, subscription, receiver, run_on_commit):
    client = api_as("platform_admin")
    receiver.statuses = [500]
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={"reference": "SUP-2026-0007"})
    past = WebhookDelivery.objects.get()
    url = f"/api/v1/webhooks/{subscription.pk}/deliveries/{past.uuid}/redeliver/"
    assert api_as("case_worker").post(url).status_code == 403
    with run_on_commit():
        response = client.post(url)
    assert response.status_code == 202, response.content
    assert response.json()["redelivery_of"] == str(past.uuid)
    again = WebhookDelivery.objects.get(redelivery_of=past)
    assert again.status == "succeeded"
    assert again.payload == past.payload  # the same event id: the receiver can tell it is the same event
    assert json.loads(receiver.received[-1]["body"])["id"] == str(past.uuid)
    assert (
        client.post(
            f"/api/v1/webhooks/{subscription.pk}/deliveries/{'0' * 8}-0000-0000-0000-{'0' * 12}/redeliver/"
        ).status_code
        == 404
    )
    HUEY.storage.flush_schedule()


def test_a_rotated_secret_overlaps_with_the_previous_one(api_as, subscription, receiver, run_on_commit):
    old = subscription.secret
    response = api_as("platform_admin").post(f"/api/v1/webhooks/{subscription.pk}/rotate-secret/")
    assert response.status_code == 200, response.content
    new = response.json()["secret"]
    assert new != old
    assert api_as("case_worker").post(f"/api/v1/webhooks/{subscription.pk}/rotate-secret/").status_code == 403
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={})
    request = receiver.received[-1]
    for secret in (new, old):  # both verify during the overlap
        assert signature_verify(secret=secret, header=request["headers"][SIGNATURE_HEADER], body=request["body"])
    WebhookSubscription.objects.filter(pk=subscription.pk).update(previous_secret_expires_at=timezone.now())
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={})
    request = receiver.received[-1]
    assert signature_verify(secret=new, header=request["headers"][SIGNATURE_HEADER], body=request["body"])
    assert not signature_verify(secret=old, header=request["headers"][SIGNATURE_HEADER], body=request["body"])
    HUEY.storage.flush_schedule()
