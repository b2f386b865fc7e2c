"""Named transition actions of the pole (`transition_actions` hook): the case engine calls them after a
transition of a `remplacement-demande` or `remplacement-candidature` case commits. Each one calls a service;
the pole's own lifecycle stays the source of truth for matching, so an action whose effect is already there
(the pole moved first and mirrored the case) does nothing."""

from __future__ import annotations

import logging
from typing import Any

from plugins.remplacement import services
from plugins.remplacement.models import ACTIVE_REQUEST_STATES, ReplacementRequest, RequestState

logger = logging.getLogger("ppe.remplacement")


def _request(case) -> ReplacementRequest | None:
    request = ReplacementRequest.objects.filter(case_id=case.pk).first()
    if request is None:
        logger.warning("remplacement: no request for case %s", getattr(case, "reference", case.pk))
    return request


def matching_start(case, event) -> None:
    request = _request(case)
    if request is not None and request.state == RequestState.OPEN and not request.waves_sent:
        services.request_dispatch_start(request=request, actor=event.actor)


def cancel(case, event) -> None:
    request = _request(case)
    if request is not None and request.state in (*ACTIVE_REQUEST_STATES, RequestState.FILLED):
        services.request_cancel(request=request, actor=None, reason=event.comment)


def sync(case, event) -> None:
    """Bring the request to the case's new state when the case moved first (back office)."""
    request = _request(case)
    if request is None:
        return
    if case.state == "non_pourvue" and request.state in ACTIVE_REQUEST_STATES:
        services.request_unfilled(request=request, actor=None)
    elif case.state == "facturee" and request.state == RequestState.TIMESHEET_VALIDATED:
        services.request_bill(request=request, actor=None)


def application_accept(case, event) -> None:
    services.substitute_from_application(data=case.data, actor=None)


ACTIONS: dict[str, Any] = {
    "remplacement_matching_start": matching_start,
    "remplacement_cancel": cancel,
    "remplacement_sync": sync,
    "remplacement_application_accept": application_accept,
}
