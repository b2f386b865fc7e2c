"""A value read from a small table of each territory, kept in each process: no query per use.

`TableCache(model, load)` answers `get()` with `load()` as computed in the current schema, and reads the table
again only when it changed:
- in the process that saves or deletes a row through the ORM, at once, and again when the transaction commits
  (`connect()` wires the signals);
- in every other process (other web workers, huey consumers, other machines), at most `check_ms` later (a
  setting, read at each use): at most that often per schema, the cache compares a signature of the table (each
  row's id and `xmin`, which every insert, update and delete changes, and a rolled-back write restores) with
  the one its value was read at. One small query a second per schema and process instead of one per use; 0
  checks at every use (the test settings: a test's writes are rolled back, and a live server is another
  process).
At most `maxsize` schemas are kept (least recently used first out): a process serving 101 territories stays
bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from tenants.lru import LRUCache


class TableCache:
    def __init__(
        self, model, load: Callable[[], Any], *, check_setting: str, maxsize: int = 256, shared: bool = False
    ) -> None:
        self.model = model
        self.load = load
        self.check_setting = check_setting
        self.shared = shared  # a table of the public schema, written from any schema (a clone, a kit import)
        self._entries = LRUCache(maxsize)  # schema -> (signature, value, checked_at)

    def _signature(self) -> str:
        table = connection.ops.quote_name(self.model._meta.db_table)
        rows = "string_agg(id::text || ':' || xmin::text, ',' ORDER BY id)"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT md5(coalesce({rows}, '')) FROM {table}")  # noqa: S608 (a model's table)
            return cursor.fetchone()[0]

    def get(self) -> Any:
        """The value for the current schema."""
        schema = connection.schema_name
        entry = self._entries.get(schema)
        now = time.monotonic()
        check_seconds = getattr(settings, self.check_setting, 1000) / 1000
        if entry is not None and now - entry[2] < check_seconds:
            return entry[1]
        signature = self._signature()
        if entry is not None and entry[0] == signature:
            self._entries.set(schema, (signature, entry[1], now))
            return entry[1]
        value = self.load()
        self._entries.set(schema, (signature, value, now))
        return value

    def forget(self, **_kwargs) -> None:
        """Forget the current schema's value (every schema's, `shared`: the write may come from any schema)
        now, and again when the current transaction commits."""
        if self.shared:
            forget = self.clear
        else:
            schema = connection.schema_name

            def forget() -> None:
                self._entries.discard_where(lambda key: key == schema)

        forget()
        if connection.in_atomic_block:
            transaction.on_commit(forget)

    def clear(self) -> None:
        self._entries.clear()

    def connect(self) -> None:
        """Forget a schema's value whenever a row of the table is saved or deleted there (from an AppConfig's
        ready())."""
        for signal in (post_save, post_delete):
            signal.connect(
                self.forget, sender=self.model, dispatch_uid=f"ppe.table_cache.{signal}.{self.model._meta.label}"
            )
