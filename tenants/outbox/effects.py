"""The transactional outbox: record an effect with the write, hand it to huey once committed, run it once.

- `effect_add` (what `TenantTask.enqueue_on_commit` calls) writes an `Effect` row in the current transaction
  and schema, and registers the relay for the commit. A rolled-back write leaves no effect behind.
- The relay hands the effect to huey (`outbox.effect_run`, at its `available_at`), best effort: a failed
  enqueue (database restarted, queue unreachable) is logged and never turns the committed change into an
  error; the effect stays pending. An `inline` task is run by the committing process itself, at once.
- `effect_execute` claims the row (`SELECT … FOR UPDATE SKIP LOCKED`, so two workers never run it together),
  runs the task in a savepoint of the same transaction and marks the row done in it: the task's own writes
  and the done mark commit together, exactly once. A failure records the attempt and plans the next one
  (exponential backoff from the task's `retry_delay`, at most `retries + 1` attempts); a worker killed
  mid-effect rolls the transaction back and the lock goes with its connection: the row is pending again.
- `outbox_sweep` (periodic, every minute, in every schema) hands over again what is due and was handed over
  more than `PPE_OUTBOX_SWEEP_AFTER_SECONDS` ago: missed enqueues, effects of a killed worker, lost schedules.
  Running an effect twice is harmless: the claim skips it once done.

E-mails sent by an effect go through `tenants.outbox.mail.LedgerEmailBackend`: each message gets a stable
Message-ID derived from the effect's key, and a ledger row claimed before and marked after the send, so a
retry of an effect never sends the same message twice.
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

if TYPE_CHECKING:
    from tenants.outbox.models import Effect
    from tenants.tasks import TenantTask

logger = logging.getLogger("ppe.outbox")

REGISTRY: dict[str, TenantTask] = {}
MAX_ERROR_LENGTH = 2000


@dataclass
class EffectContext:
    """What the running effect tells the code it calls (the mail backend): its schema, key and a counter."""

    schema_name: str
    key: str
    messages: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def next_message_key(self) -> str:
        self.messages += 1
        return f"{self.schema_name}:{self.key}:{self.messages}"


current_effect: contextvars.ContextVar[EffectContext | None] = contextvars.ContextVar("ppe_effect", default=None)


def task_register(task: TenantTask) -> None:
    REGISTRY[task.name] = task


def _json(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def effect_add(
    task: TenantTask,
    *,
    args: tuple | list = (),
    kwargs: dict[str, Any] | None = None,
    delay: float | None = None,
    key: str | None = None,
) -> Effect:
    """Record that `task(*args, **kwargs)` must run in the current schema once this transaction commits
    (after `delay` seconds when given). With a `key` already recorded, nothing new is recorded: the
    existing effect is returned (an effect is carried out once per key)."""
    from tenants.outbox.models import Effect

    now = timezone.now()
    available_at = now + timedelta(seconds=delay) if delay else now
    effect, created = Effect.objects.get_or_create(
        key=key or f"{task.name}:{uuid.uuid4().hex}",
        defaults={
            "task": task.name,
            "args": _json(list(args)),
            "kwargs": _json(kwargs or {}),
            "available_at": available_at,
            "enqueued_at": available_at,
            "max_attempts": task.retries + 1,
            "retry_delay": task.retry_delay,
        },
    )
    if created:
        schema = connection.schema_name
        effect_id, inline = effect.pk, task.inline and not delay
        transaction.on_commit(lambda: effect_relay(schema, effect_id, available_at, inline=inline))
    return effect


def effect_relay(schema_name: str, effect_id: int, available_at=None, *, inline: bool = False) -> None:
    """Hand one committed effect over (to huey, or to this process for an inline task). Never raises."""
    from tenants.outbox.tasks import effect_run

    try:
        if inline:
            with _InSchema(schema_name):
                effect_execute(effect_id)
        elif available_at is not None and available_at > timezone.now():
            effect_run.schedule(args=(schema_name, effect_id), eta=available_at)
        else:
            effect_run(schema_name, effect_id)
    except Exception:
        logger.warning(
            "outbox: effect %s of %s not handed over now; the sweep will hand it over again",
            effect_id,
            schema_name,
            exc_info=True,
        )


class _InSchema:
    """Run in `schema_name` (a territory's, or the public schema), then give the caller its schema back."""

    def __init__(self, schema_name: str) -> None:
        self.schema_name = schema_name

    def __enter__(self) -> None:
        from django_tenants.utils import get_public_schema_name

        self.previous = connection.tenant
        if self.schema_name == get_public_schema_name():
            connection.set_schema_to_public()
        elif self.previous is None or connection.schema_name != self.schema_name:
            from tenants.models import Territory

            connection.set_tenant(Territory.objects.get(schema_name=self.schema_name))

    def __exit__(self, *exc: Any) -> None:
        if self.previous is not None:
            connection.set_tenant(self.previous)
        else:
            connection.set_schema_to_public()


def effect_execute(effect_id: int) -> str:
    """Claim an effect of the current schema and carry it out, exactly once. Returns what happened:
    "done", "retry", "failed", or "skipped" (already done, not due yet, or being run by another worker)."""
    from tenants.outbox.models import Effect

    with transaction.atomic():
        effect = (
            Effect.objects.select_for_update(skip_locked=True)
            .filter(pk=effect_id, status=Effect.Status.PENDING)
            .first()
        )
        if effect is None:
            return "skipped"
        now = timezone.now()
        if effect.available_at > now + timedelta(seconds=1):
            return "skipped"  # handed over early (a duplicate from the sweep): its own schedule will come
        task = REGISTRY.get(effect.task)
        error = ""
        if task is None:
            error = f"Tâche inconnue : {effect.task}"
        else:
            token = current_effect.set(EffectContext(schema_name=connection.schema_name, key=effect.key))
            try:
                with transaction.atomic():
                    task.fn(*effect.args, **effect.kwargs)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                logger.warning("outbox: effect %s (%s) failed: %s", effect.key, effect.task, error, exc_info=True)
            finally:
                current_effect.reset(token)
        effect.attempts += 1
        if not error:
            effect.status = Effect.Status.DONE
            effect.done_at = timezone.now()
            effect.last_error = ""
            effect.save(update_fields=["status", "done_at", "attempts", "last_error"])
            return "done"
        effect.last_error = error[:MAX_ERROR_LENGTH]
        if task is None or effect.attempts >= effect.max_attempts:
            effect.status = Effect.Status.FAILED
            effect.save(update_fields=["status", "attempts", "last_error"])
            logger.error("outbox: effect %s (%s) abandoned after %s attempts", effect.key, effect.task, effect.attempts)
            return "failed"
        effect.available_at = now + timedelta(seconds=effect.retry_delay * 2 ** (effect.attempts - 1))
        effect.enqueued_at = effect.available_at
        effect.save(update_fields=["available_at", "enqueued_at", "attempts", "last_error"])
        schema, retry_at = connection.schema_name, effect.available_at
        transaction.on_commit(lambda: effect_relay(schema, effect_id, retry_at))
        return "retry"


def outbox_sweep(*, older_than: float | None = None, limit: int = 500) -> int:
    """Hand over again the current schema's effects that are due and were handed over more than
    `older_than` seconds ago (PPE_OUTBOX_SWEEP_AFTER_SECONDS by default). Effects being run are locked, so
    skipped. Returns how many were handed over."""
    from tenants.outbox.models import Effect

    after = settings.PPE_OUTBOX_SWEEP_AFTER_SECONDS if older_than is None else older_than
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Effect.objects.select_for_update(skip_locked=True)
            .filter(status=Effect.Status.PENDING, available_at__lte=now)
            .filter(enqueued_at__lte=now - timedelta(seconds=after))
            .order_by("available_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Effect.objects.filter(pk__in=ids).update(enqueued_at=now)
    schema = connection.schema_name
    for effect_id in ids:
        logger.info("outbox: handing effect %s of %s over again", effect_id, schema)
        effect_relay(schema, effect_id)
    return len(ids)


def outbox_lag_seconds() -> float:
    """How late the current schema's oldest due effect is (0 when nothing waits)."""
    from django.db.models import Min

    from tenants.outbox.models import Effect

    now = timezone.now()
    oldest = Effect.objects.filter(status=Effect.Status.PENDING, available_at__lte=now).aggregate(
        oldest=Min("available_at")
    )["oldest"]
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
