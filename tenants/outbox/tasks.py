"""The outbox's huey tasks: run one effect, and the periodic sweep over every schema."""

from __future__ import annotations

import logging

from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

logger = logging.getLogger("ppe.outbox")


@db_task(name="outbox.effect_run")
def effect_run(schema_name: str, effect_id: int) -> str:
    """Carry out one effect of `schema_name` (retries are the outbox's, not huey's)."""
    from tenants.outbox.effects import _InSchema, effect_execute

    with _InSchema(schema_name):
        return effect_execute(effect_id)


def outbox_sweep_all(*, older_than: float | None = None) -> dict:
    """Sweep the public schema and every territory's; record the run (and the lag seen) as a heartbeat."""
    from tenants.outbox.effects import outbox_lag_seconds, outbox_sweep
    from tenants.outbox.models import Heartbeat
    from tenants.selectors import territory_list

    schemas = [get_public_schema_name()] + [t.schema_name for t in territory_list()]
    handed, lag, errors = 0, 0.0, []
    for schema in schemas:
        try:
            with schema_context(schema):
                lag = max(lag, outbox_lag_seconds())
                handed += outbox_sweep(older_than=older_than)
        except Exception as exc:  # one schema's trouble never stops the others
            logger.exception("outbox sweep failed in %s", schema)
            errors.append(f"{schema}: {type(exc).__name__}")
    details = {"schemas": len(schemas), "handed_over": handed, "lag_seconds": round(lag, 1), "errors": errors}
    with schema_context(get_public_schema_name()):
        Heartbeat.objects.update_or_create(name="outbox_sweep", defaults={"at": timezone.now(), "details": details})
    return details


@db_periodic_task(crontab(minute="*"), name="outbox.sweep")
def outbox_sweep_periodic() -> dict:
    connection.set_schema_to_public()
    return outbox_sweep_all()
