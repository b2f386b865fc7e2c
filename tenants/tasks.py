"""Background tasks that know their territory.

A task enqueued from a territory carries that territory's schema name and runs under `schema_context`; the
worker's connection is reset to the public schema before every task, so no schema leaks from one task into
the next one on the same thread.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import connection
from django_tenants.utils import get_public_schema_name, tenant_context
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from tenants.outbox import tasks as _outbox_tasks  # noqa: F401  (registers the outbox's huey tasks)


@HUEY.pre_execute()
def _reset_schema(task: Any) -> None:
    if HUEY.immediate:  # an immediate task runs inline, on its caller's connection: keep the caller's schema
        return
    connection.set_schema_to_public()


class TenantTask:
    """A function run by huey in the schema of the territory that enqueued it.

    `task.enqueue_on_commit(*args)` (what services use) records the call as an outbox effect in the current
    transaction, handed to huey once it commits and carried out exactly once (`tenants.outbox.effects`);
    `task.effect(args=…, delay=…, key=…)` does the same with a delay or an idempotency key of the caller's.
    `task.enqueue(*args)` enqueues now, without the outbox (its result can be awaited).
    `task.run_local(*args)` calls the function in the current schema, without the queue.
    An `inline` task's effect is carried out by the committing process itself, right after the commit (what
    the person must see at once); the sweep gives it to a worker if that process died first.
    """

    def __init__(
        self, fn: Callable[..., Any], huey_task: Any, *, name: str, retries: int = 0, retry_delay: int = 30,
        inline: bool = False,
    ) -> None:  # fmt: skip
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.huey_task = huey_task
        self.name = name
        self.retries = retries
        self.retry_delay = retry_delay
        self.inline = inline

    def enqueue(self, *args: Any, schema_name: str | None = None, **kwargs: Any) -> Any:
        schema = schema_name or connection.schema_name
        if schema == get_public_schema_name() and not getattr(self.fn, "public_ok", False):
            raise RuntimeError(f"Task {self.fn.__name__} enqueued outside of any territory.")
        return self.huey_task(schema, *args, **kwargs)

    def enqueue_on_commit(self, *args: Any, **kwargs: Any) -> Any:
        return self.effect(args=args, kwargs=kwargs)

    def effect(
        self, *, args: tuple | list = (), kwargs: dict[str, Any] | None = None, delay: float | None = None,
        key: str | None = None,
    ) -> Any:  # fmt: skip
        """Record this task as an effect of the current transaction (see `tenants.outbox.effects.effect_add`)."""
        from tenants.outbox.effects import effect_add

        if connection.schema_name == get_public_schema_name() and not getattr(self.fn, "public_ok", False):
            raise RuntimeError(f"Task {self.fn.__name__} enqueued outside of any territory.")
        return effect_add(self, args=args, kwargs=kwargs, delay=delay, key=key)

    def run_local(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.enqueue(*args, **kwargs)


def tenant_task(**task_options: Any) -> Callable[[Callable[..., Any]], TenantTask]:
    """Declare a huey task that runs in the schema of the territory that enqueued it."""

    def decorator(fn: Callable[..., Any]) -> TenantTask:
        from tenants.outbox.effects import task_register

        options = dict(task_options)
        huey_name = options.pop("name", fn.__qualname__)
        name = f"{fn.__module__}.{fn.__qualname__}"  # the outbox's name of it (rows keep it)
        inline = options.pop("inline", False)

        def in_schema(schema_name: str, *args: Any, **kwargs: Any) -> Any:
            from tenants.models import Territory

            territory = Territory.objects.get(schema_name=schema_name)
            with tenant_context(territory):
                return fn(*args, **kwargs)

        in_schema.__name__ = fn.__name__
        in_schema.__module__ = fn.__module__  # huey names the task "<module>.<name>"
        huey_task = db_task(name=huey_name, **options)(in_schema)
        task = TenantTask(
            fn, huey_task, name=name, retries=options.get("retries", 0), retry_delay=options.get("retry_delay", 30),
            inline=inline,
        )  # fmt: skip
        task_register(task)
        return task

    return decorator


def platform_task(**task_options: Any) -> Callable[[Callable[..., Any]], TenantTask]:
    """Declare a huey task of the platform itself, run in the public schema (creating a territory...)."""

    def decorator(fn: Callable[..., Any]) -> TenantTask:
        fn.public_ok = True  # type: ignore[attr-defined]
        return tenant_task(**task_options)(fn)

    return decorator


def each_territory_periodic_task(validate_datetime: Callable[..., bool], **task_options: Any):
    """A periodic task run once for every territory (templates excluded): the periodic trigger enqueues one
    task per territory, each in its own schema, so one territory's failure never stops the others."""

    def decorator(fn: Callable[..., Any]) -> TenantTask:
        per_territory = tenant_task()(fn)

        @db_periodic_task(validate_datetime, name=f"{fn.__qualname__}_fanout", **task_options)
        def fan_out() -> int:
            from tenants.selectors import territory_list

            territories = list(territory_list())
            for territory in territories:
                per_territory.enqueue(schema_name=territory.schema_name)
            return len(territories)

        per_territory.fan_out = fan_out
        return per_territory

    return decorator
