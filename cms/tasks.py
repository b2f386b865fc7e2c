"""Background tasks of the public site. Each takes ids, runs in its territory's schema and calls a service."""

from __future__ import annotations

import logging

from django.db import connection

from tenants.tasks import tenant_task

logger = logging.getLogger("ppe.cms")


@tenant_task(retries=3, retry_delay=60)
def request_acknowledgement_send(case_id: int) -> bool:
    """E-mail the acknowledgement of a request sent from the public form. Returns whether a mail was sent."""
    from cms.services import request_acknowledge
    from core.models import Case

    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        logger.warning("acknowledgement: case %s vanished in %s", case_id, connection.schema_name)
        return False
    return request_acknowledge(case=case)
