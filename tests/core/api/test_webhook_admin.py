"""Webhooks in the territory's admin and their automatic disabling: a delivery page that reads (the payload
formatted, each try with what the endpoint answered) with « Renvoyer »; an endpoint that fails for days is
switched off, its owner e-mailed, its state shown, and the owner switches it on again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from core.api import events
from core.api.models import WebhookDelivery, WebhookSubscription
from core.api.webhooks import webhook_delivery_attempt, webhook_event_emit, webhook_subscription_create
from tests.core.api.test_webhooks import Receiver
from tests.people import person_client, person_invite


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()
    HUEY.storage.flush_schedule()


@pytest.fixture
def admin(territory, tenant):
    return person_invite(territory, role="platform_admin", first_name="Inès", last_name="Admin")


@pytest.fixture
def subscription(admin, receiver):
    return webhook_subscription_create(name="SI de la CAF", url=receiver.url, events=[events.CASE_OPENED], actor=admin)


def _fail_since(subscription, hours: float) -> None:
    WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=timezone.now() - timedelta(hours=hours))


@pytest.mark.usefixtures("territory")
def test_an_endpoint_failing_for_days_is_disabled_its_owner_told_and_re_enabled(
    admin, subscription, receiver, run_on_commit, settings
):
    from django.db import connection

    territory = connection.tenant
    receiver.statuses = [500]
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={"reference": "SUP-2026-0001"})
    subscription.refresh_from_db()
    assert subscription.is_active
    assert subscription.failing_since is not None
    # A success ends the run of failures, however long it was.
    _fail_since(subscription, 100)
    delivery = WebhookDelivery.objects.get()
    with run_on_commit():
        webhook_delivery_attempt(delivery=delivery)
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.failing_since) == (True, None)

    # Failing for longer than PPE_WEBHOOK_DISABLE_AFTER_HOURS with no success: switched off, the owner told.
    receiver.statuses = [500, 500]
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={"reference": "SUP-2026-0002"})
    subscription.refresh_from_db()
    assert subscription.is_active
    _fail_since(subscription, settings.PPE_WEBHOOK_DISABLE_AFTER_HOURS - 1)
    failing = WebhookDelivery.objects.get(payload__data__reference="SUP-2026-0002")
    mail.outbox.clear()
    with run_on_commit():
        webhook_delivery_attempt(delivery=failing)
    subscription.refresh_from_db()
    assert subscription.is_active, "not yet: less than the limit"
    _fail_since(subscription, settings.PPE_WEBHOOK_DISABLE_AFTER_HOURS + 1)
    receiver.statuses = [500]
    with run_on_commit():
        webhook_delivery_attempt(delivery=failing)
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_at is not None
    assert "Toutes les livraisons ont échoué depuis le" in subscription.disabled_reason
    assert failing.status == WebhookDelivery.Status.FAILED
    [notice] = mail.outbox
    assert notice.to == [admin.email]
    assert notice.subject == "Webhook « SI de la CAF » désactivé : son adresse ne répond plus"
    edit_path = reverse("api_webhooks:edit", args=[subscription.pk])
    assert edit_path in notice.body
    assert "Réactiver" in notice.body
    # Nothing more is sent to it.
    count = len(receiver.received)
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={"reference": "SUP-2026-0003"})
    assert len(receiver.received) == count

    # Its state in the admin, and « Réactiver » (the owner's; no one else's).
    client = person_client(territory, admin)
    listing = client.get(reverse("api_webhooks:index")).content.decode()
    assert "Désactivée automatiquement le" in listing
    page = client.get(edit_path).content.decode()
    assert "Cet abonnement a été désactivé automatiquement" in page
    assert ">Réactiver</button>" in page
    enable = reverse("api_webhooks:enable", args=[subscription.pk])
    worker = person_client(territory, person_invite(territory, role="case_worker"))
    assert worker.post(enable).status_code in (302, 403)
    subscription.refresh_from_db()
    assert not subscription.is_active
    answer = client.post(enable, follow=True)
    assert "réactivé" in answer.content.decode()
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.disabled_at, subscription.failing_since) == (True, None, None)
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={"reference": "SUP-2026-0004"})
    assert len(receiver.received) == count + 1
    # Through the API too: the state is readable.
    assert "disabled_at" in client.get(f"/api/v1/webhooks/{subscription.pk}/").json()


def test_the_delivery_page_reads_and_redelivers(territory, admin, subscription, receiver, run_on_commit):
    receiver.statuses = [503]
    with run_on_commit():
        webhook_event_emit(event=events.CASE_OPENED, data={"reference": "SUP-2026-0009", "state_label": "Demande"})
    delivery = WebhookDelivery.objects.get()
    client = person_client(territory, admin)
    page = client.get(reverse("api_webhook_deliveries:inspect", args=[delivery.pk])).content.decode()
    assert "Contenu envoyé (JSON)" in page
    assert "  &quot;event&quot;: &quot;case.opened&quot;,\n" in page  # formatted, one key a line
    assert "&quot;state_label&quot;: &quot;Demande&quot;" in page
    assert "Tentative n° 1" in page
    assert "Code HTTP reçu</dt><dd>503" in page
    assert "Réponse reçue" in page
    assert "Dossier ouvert" in page  # the event by its French label
    assert ">Renvoyer</button>" in page
    listing = client.get(reverse("api_webhook_deliveries:index")).content.decode()
    assert "Nouvelle tentative prévue" in listing  # the status by its label, never « retrying »

    redeliver = reverse("api_webhook_deliveries:redeliver", args=[delivery.pk])
    worker = person_client(territory, person_invite(territory, role="case_worker"))
    assert worker.post(redeliver).status_code in (302, 403)
    assert not WebhookDelivery.objects.filter(redelivery_of=delivery).exists()
    with run_on_commit():
        answer = client.post(redeliver)
    again = WebhookDelivery.objects.get(redelivery_of=delivery)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("api_webhook_deliveries:inspect", args=[again.pk])
    assert again.status == WebhookDelivery.Status.SUCCEEDED
    assert again.payload == delivery.payload
    shown = client.get(answer["Location"]).content.decode()
    assert "Nouvel envoi de" in shown
    assert "Livrée" in shown
