"""Background tasks of the API: webhook deliveries (retried with backoff) and the idempotency records' purge."""

from __future__ import annotations

from huey import crontab

from core.api.models import WebhookDelivery
from core.api.services import idempotency_records_purge
from tenants.tasks import each_territory_periodic_task, tenant_task


@tenant_task(retries=5, retry_delay=30)
def webhook_deliver(delivery_id: int) -> str | None:
    """Try a delivery; when it failed and tries remain, schedule the next one after its backoff delay."""
    from core.api.webhooks import retry_delay, webhook_delivery_attempt

    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED):
        return None
    webhook_delivery_attempt(delivery=delivery)
    if delivery.status == WebhookDelivery.Status.RETRYING:  # the next try, an effect committed with this one
        webhook_deliver.effect(
            args=(delivery.pk,),
            delay=retry_delay(delivery.attempts),
            key=f"webhook:{delivery.uuid}:{delivery.attempts + 1}",
        )
    return delivery.status


@each_territory_periodic_task(crontab(minute="17"))
def idempotency_purge() -> int:
    return idempotency_records_purge()
