"""Background tasks of the pole: each takes ids, runs in its territory's schema and calls a service or sends
a notification."""

from __future__ import annotations

import logging

from huey import crontab

from plugins.remplacement import notifications, services
from plugins.remplacement.models import Offer, ReplacementRequest, Timesheet
from tenants.tasks import each_territory_periodic_task, tenant_task

logger = logging.getLogger("ppe.remplacement")


@tenant_task(retries=2, retry_delay=30)
def offer_wave_send(request_id: int, wave: int) -> int:
    """Send wave `wave` of offers of a request (the next one is scheduled by the service). Returns how many."""
    return len(services.offer_wave_send(request_id=request_id, wave=wave))


@tenant_task(retries=3, retry_delay=60)
def offers_notify(offer_ids: list[int]) -> int:
    offers = Offer.objects.filter(pk__in=offer_ids, status=Offer.Status.SENT).select_related(
        "substitute__user", "request__structure", "request__qualification"
    )
    count = 0
    for offer in offers:
        notifications.offer_sent(offer)
        count += 1
    return count


@tenant_task(retries=3, retry_delay=60)
def mission_filled_notify(request_id: int, other_offer_ids: list[int]) -> None:
    request = ReplacementRequest.objects.select_related("structure", "qualification", "substitute__user").get(
        pk=request_id
    )
    notifications.mission_filled(request, other_offer_ids)


@tenant_task(retries=3, retry_delay=60)
def mission_cancelled_notify(request_id: int, offer_ids: list[int]) -> None:
    request = ReplacementRequest.objects.select_related("structure", "qualification").get(pk=request_id)
    notifications.mission_cancelled(request, offer_ids)


@tenant_task(retries=3, retry_delay=60)
def volunteer_notify(offer_id: int) -> None:
    offer = Offer.objects.select_related("substitute__user", "request__structure").get(pk=offer_id)
    notifications.volunteer(offer)


@tenant_task(retries=3, retry_delay=60)
def timesheet_submitted_notify(timesheet_id: int) -> None:
    sheet = Timesheet.objects.select_related("request__structure", "request__substitute__user").get(pk=timesheet_id)
    notifications.timesheet_submitted(sheet.request)


@each_territory_periodic_task(crontab(minute="*/5"))
def requests_expire_task() -> int:
    """Every five minutes: requests still unfilled when their first slot starts become `unfilled`."""
    count = services.requests_expire()
    if count:
        logger.info("remplacement: %s request(s) unfilled", count)
    return count
