"""huey's PostgreSQL queue, whose consumers LISTEN on a connection of their own.

huey's `PostgresStorage` wakes its consumers with LISTEN/NOTIFY. Behind a pooler in transaction mode (PgBouncer,
`make prod`) a LISTEN is lost as soon as its transaction ends (the server connection goes back to the pool), so
the consumer would only find new tasks by polling. Here each consumer thread LISTENs on `listen_connection()`
(the server itself, `core.settings.database.huey_listen_connection`) while every other statement of the queue
(enqueue and its `pg_notify`, dequeue with SKIP LOCKED, results, locks) goes through `connection()`, one
transaction a statement, each in the public schema (`PublicSchemaCursor`). Without a pooler both are the same
server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg
from huey.api import Huey
from huey.storage import PostgresStorage as HueyPostgresStorage
from psycopg.pq import TransactionStatus


class PublicSchemaCursor(psycopg.ClientCursor):
    """The cursor of the queue's connections: huey names its tables without their schema, so each of its
    statements carries `SET LOCAL search_path = public` (one message, one transaction): the server session it
    lands on behind a pooler may hold any search path."""

    def execute(self, query, params=None, **kwargs):
        if not isinstance(query, str) or self.connection.info.transaction_status != TransactionStatus.IDLE:
            return super().execute(query, params, **kwargs)
        super().execute(f"SET LOCAL search_path = public; {query}", params, **kwargs)
        self.nextset()
        return self


def queue_connect(conninfo: str) -> psycopg.Connection:
    """A connection of the queue (autocommit, nothing prepared, statements in the public schema)."""
    return psycopg.connect(conninfo, autocommit=True, prepare_threshold=None, cursor_factory=PublicSchemaCursor)


class PostgresStorage(HueyPostgresStorage):
    """huey's PostgreSQL storage, whose tables are made at its first use rather than when it is built.

    huey builds its storage when `huey.contrib.djhuey` is imported, that is while Django loads its apps, and
    huey's own storage runs its `CREATE TABLE IF NOT EXISTS` there: a database (or a pooler) that does not
    answer at that moment made the import fail, which Django reports as « issubclass() arg 1 must be a class »,
    and the process (a web worker, the workers' supervisor) never started — found by the database-restart
    fault test, where it left every effect waiting. Here the tables are made by the first statement of the
    queue; a failure then is that statement's, which the consumer retries and the outbox's relay survives."""

    def __init__(self, *args, listen_connection: Callable | None = None, **kwargs) -> None:
        self.listen_connection = listen_connection
        self._tables_ready = False
        self._tables_lock = threading.RLock()
        kwargs["create_tables"] = False
        super().__init__(*args, **kwargs)

    def _tables_ensure(self) -> None:
        if self._tables_ready:
            return
        with self._tables_lock:
            if self._tables_ready:
                return
            self._tables_ready = True  # initialize_schema itself goes through db()
            try:
                self.initialize_schema()
            except BaseException:
                self._tables_ready = False
                raise

    def db(self, commit: bool = False, close: bool = False):
        self._tables_ensure()
        return super().db(commit=commit, close=close)

    def _listen_conn(self):
        if self.listen_connection is None:
            return super()._listen_conn()
        local = self._listen_local
        conn = getattr(local, "conn", None)
        if conn is not None and (conn.closed or conn.broken):
            self._close_quiet(conn)
            conn = None
        if conn is None:
            conn = self.listen_connection()
            conn.autocommit = True
            channel = self.channel.replace('"', '""')
            conn.execute(f'listen "{channel}"')
            local.conn = conn
        return conn


class PostgresHuey(Huey):
    storage_class = PostgresStorage
