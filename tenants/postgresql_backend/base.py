"""django-tenants' PostgreSQL backend, correct behind a pooler in transaction mode (PgBouncer `pool_mode =
transaction`, what `make prod` runs).

django-tenants gives a connection its territory with one `SET search_path` (once per connection with
`TENANT_LIMIT_SET_CALLS`). Behind a transaction pooler each transaction may run on another server connection,
so that setting is lost, or worse, left behind for another client. With `TRANSACTION_POOLING` on (setting of
the database, `DB_TRANSACTION_POOLING=true`), no session-level `SET` is ever sent: every transaction sets its
own search path with `SET LOCAL`, sent in the same simple-protocol message as its first statement (one round
trip), and again when the schema changes inside the transaction or after a rollback to a savepoint; a
statement in autocommit carries it in the same message, which PostgreSQL runs as one implicit transaction.
Off, the backend is django-tenants' own.

The rest of what transaction pooling forbids is settled in the settings (`core.settings.database`): no
server-side cursors (`DISABLE_SERVER_SIDE_CURSORS`), no prepared statements (`prepare_threshold` None,
client-side binding), and huey's LISTEN on a direct connection (`PPE_DATABASE_DIRECT_URL`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.postgresql_backend.base import original_backend
from django_tenants.utils import quote_schema_name
from psycopg.pq import TransactionStatus

# Statements PostgreSQL refuses inside a transaction block (a multi-statement message is one): they need no
# search path anyway.
_OUTSIDE_TRANSACTION = ("VACUUM", "CREATE DATABASE", "DROP DATABASE", "ALTER SYSTEM", "CHECKPOINT", "REINDEX")


class SearchPathCursor(original_backend.Cursor):
    """Django's client-side-binding cursor, whose statements carry the search path of their wrapper."""

    _ppe_wrapper: DatabaseWrapper | None = None

    def _ppe_set_local(self, query: Any) -> str | None:
        wrapper = self._ppe_wrapper
        if wrapper is None:
            return None
        if isinstance(query, str) and query.lstrip()[:20].upper().startswith(_OUTSIDE_TRANSACTION):
            return None
        return wrapper._search_path_statement(self.connection)

    def execute(self, query, params=None, **kwargs):
        statement = self._ppe_set_local(query)
        if statement is None:
            return super().execute(query, params, **kwargs)
        if not isinstance(query, str):  # a Composed query: its own message, in the same transaction
            return self._ppe_in_transaction(statement, lambda: super(SearchPathCursor, self).execute(query, params))
        if params is not None:
            statement = statement.replace("%", "%%")
        super().execute(f"{statement}; {query}", params, **kwargs)
        self.nextset()  # the statement's own result, not the SET's
        return self

    def executemany(self, query, params_seq, **kwargs):
        statement = self._ppe_set_local(query)
        if statement is None:
            return super().executemany(query, params_seq, **kwargs)
        # psycopg pipelines executemany (extended protocol: one statement a message), so the SET goes first
        return self._ppe_in_transaction(
            statement, lambda: super(SearchPathCursor, self).executemany(query, params_seq, **kwargs)
        )

    def _ppe_in_transaction(self, statement: str, run):
        conn = self.connection
        if conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE:
            with conn.transaction():  # BEGIN … COMMIT around both, so that they share a server connection
                super().execute(statement)
                return run()
        super().execute(statement)
        return run()


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.transaction_pooling = bool(self.settings_dict.get("TRANSACTION_POOLING"))
        self._local_search_path: str | None = None  # SET LOCAL in the current transaction

    def get_connection_params(self):
        params = super().get_connection_params()
        if self.transaction_pooling:
            if self.settings_dict["OPTIONS"].get("server_side_binding") is True:
                raise ImproperlyConfigured(
                    "TRANSACTION_POOLING demande la liaison des paramètres côté client (server_side_binding)."
                )
            params["cursor_factory"] = SearchPathCursor
            params["prepare_threshold"] = None  # PgBouncer 1.18 keeps no prepared statement between transactions
        return params

    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        if self.transaction_pooling:
            if name:
                raise ImproperlyConfigured(
                    "Curseur côté serveur impossible derrière un pooler en mode transaction "
                    "(DISABLE_SERVER_SIDE_CURSORS)."
                )
            cursor._ppe_wrapper = self
        return cursor

    def _handle_search_path(self, cursor=None):
        if not self.transaction_pooling:
            super()._handle_search_path(cursor)

    def _savepoint_rollback(self, sid):
        try:
            super()._savepoint_rollback(sid)
        finally:
            self._local_search_path = None  # a SET LOCAL issued after the savepoint is undone with it

    def _search_path_statement(self, conn) -> str | None:
        """The `SET LOCAL search_path` the next statement on `conn` must carry, or None."""
        status = conn.info.transaction_status
        if status == TransactionStatus.INERROR:
            self._local_search_path = None  # only a rollback runs now; set again after it
            return None
        wanted = ", ".join(quote_schema_name(schema) for schema in self._get_cursor_search_paths())
        if status == TransactionStatus.IDLE:  # the statement opens a transaction (psycopg's BEGIN or implicit)
            self._local_search_path = None if conn.autocommit else wanted
            return f"SET LOCAL search_path = {wanted}"
        if self._local_search_path == wanted:
            return None
        self._local_search_path = wanted
        return f"SET LOCAL search_path = {wanted}"
