"""Background tasks of the pole: each takes ids, runs in its territory's schema and calls a service or sends
a notification. E-mails go out through Django's mail API (the platform's outbox makes them reliable); an
offer's e-mail is sent once, however often its task runs (`Offer.notified_at`, under a row lock)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from huey import crontab

from plugins.remplacement import notifications, selectors, services
from plugins.remplacement.models import (
    ACTIVE_REQUEST_STATES,
    PENDING_OFFER_STATUSES,
    Offer,
    ReplacementRequest,
    RequestState,
    Substitute,
    Timesheet,
)
from tenants.tasks import each_territory_periodic_task, tenant_task

logger = logging.getLogger("ppe.remplacement")


def _request(request_id: int) -> ReplacementRequest | None:
    return (
        ReplacementRequest.objects.select_related("structure", "qualification", "case")
        .prefetch_related("slots")
        .filter(pk=request_id)
        .first()
    )


@tenant_task(retries=2, retry_delay=30)
def offer_wave_send(request_id: int, wave: int) -> int:
    """Send wave `wave` of offers of a request (the next one is scheduled by the service). Returns how many."""
    return len(services.offer_wave_send(request_id=request_id, wave=wave))


@tenant_task(retries=3, retry_delay=60)
def offer_notify(offer_id: int) -> bool:
    """E-mail one offer to its substitute, once: the offer row is locked and marked in the same transaction."""
    with transaction.atomic():
        offer = (
            Offer.objects.select_for_update(of=("self",))
            .select_related("substitute__user", "request__structure", "request__qualification", "request__case")
            .filter(pk=offer_id)
            .first()
        )
        if offer is None or offer.notified_at is not None or offer.status not in PENDING_OFFER_STATUSES:
            return False
        notifications.offer_sent(offer)
        offer.notified_at = timezone.now()
        offer.save(update_fields=["notified_at"])
        return True


@tenant_task(retries=3, retry_delay=60)
def offer_remind(offer_id: int, reminded_at: str) -> bool:
    """Remind a substitute of an offer still waiting (the coordinator's « relancer »), unless superseded."""
    offer = Offer.objects.select_related("substitute__user", "request__structure", "request__qualification").filter(
        pk=offer_id, status=Offer.Status.SENT
    )
    offer = offer.first()
    if offer is None or offer.reminded_at is None or offer.reminded_at.isoformat() != reminded_at:
        return False
    notifications.offer_sent(offer, reminder=True)
    return True


@tenant_task(retries=2, retry_delay=30)
def offer_declined(request_id: int) -> int:
    """Someone declined: when nobody else has an offer pending, look for the next people now."""
    request = ReplacementRequest.objects.filter(pk=request_id, case__state__in=ACTIVE_REQUEST_STATES).first()
    if request is None or selectors.pending_offers(request).exists():
        return 0
    return len(services.request_rescan(request_id=request_id))


@tenant_task(retries=2, retry_delay=30)
def pool_changed(substitute_id: int) -> int:
    return services.pool_changed(substitute_id=substitute_id)


@tenant_task(retries=2, retry_delay=30)
def request_rescan(request_id: int) -> int:
    return len(services.request_rescan(request_id=request_id))


@tenant_task(retries=3, retry_delay=60)
def mission_booked_notify(request_id: int, offer_id: int, closed_offer_ids: list[int]) -> None:
    request = _request(request_id)
    offer = Offer.objects.select_related("substitute__user").filter(pk=offer_id).first()
    if request is None or offer is None:
        return
    notifications.mission_booked(request, offer)
    notifications.offers_closed(request, closed_offer_ids)


@tenant_task(retries=3, retry_delay=60)
def mission_released_notify(request_id: int, substitute_id: int, slot_ids: list[int]) -> None:
    request = _request(request_id)
    substitute = Substitute.objects.select_related("user").filter(pk=substitute_id).first()
    if request is not None and substitute is not None:
        notifications.mission_released(request, substitute, slot_ids)


@tenant_task(retries=3, retry_delay=60)
def mission_cancelled_notify(request_id: int, offer_ids: list[int], booked_ids: list[int]) -> None:
    request = _request(request_id)
    if request is not None:
        notifications.mission_cancelled(request, offer_ids, booked_ids)


@tenant_task(retries=3, retry_delay=60)
def mission_updated_notify(request_id: int) -> None:
    request = _request(request_id)
    if request is not None:
        notifications.mission_updated(request)


@tenant_task(retries=3, retry_delay=60)
def volunteer_notify(offer_id: int) -> None:
    offer = Offer.objects.select_related("substitute__user", "request__structure", "request__case").get(pk=offer_id)
    notifications.volunteer(offer)


@tenant_task(retries=3, retry_delay=60)
def request_exhausted_notify(request_id: int) -> None:
    request = _request(request_id)
    if request is not None and request.case.state in ACTIVE_REQUEST_STATES:
        notifications.request_exhausted(request)


@tenant_task(retries=3, retry_delay=60)
def request_unfilled_notify(request_id: int) -> None:
    request = _request(request_id)
    if request is not None:
        notifications.request_unfilled(request)


@tenant_task(retries=3, retry_delay=60)
def timesheet_submitted_notify(timesheet_id: int) -> None:
    sheet = Timesheet.objects.select_related("request__structure", "request__case", "substitute__user").get(
        pk=timesheet_id
    )
    notifications.timesheet_submitted(sheet)


@tenant_task(retries=3, retry_delay=60)
def timesheet_rejected_notify(timesheet_id: int) -> None:
    sheet = Timesheet.objects.select_related("request__structure", "substitute__user").get(pk=timesheet_id)
    if sheet.status == Timesheet.Status.REJECTED:
        notifications.timesheet_rejected(sheet)


@each_territory_periodic_task(crontab(minute="*/5"))
def requests_sweep_task() -> int:
    """Every five minutes: requests with no shift left to fill are settled (unfilled, or filled in part), and
    every request still searching with nobody left to answer is re-scanned (a lost scheduled wave, a pool
    that changed outside the services)."""
    count = services.requests_expire()
    if count:
        logger.info("remplacement: %s request(s) settled", count)
    searching = ReplacementRequest.objects.filter(case__state=RequestState.OFFERED, last_slot_end__gt=timezone.now())
    for request in searching:
        if not selectors.pending_offers(request).exists():
            services.request_rescan(request_id=request.pk)
    return count
