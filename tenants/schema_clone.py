"""Clone a schema in one round trip: the source's DDL (read once with pg_dump and cached per migration state),
renamed, then its rows copied table by table and its sequences set, all inside the caller's transaction.

django-tenants' `clone_schema` rebuilds each table's definition in PL/pgSQL on every call (about 0.8 s for our
~110 tables on an idle machine, several seconds under load); replaying a cached DDL script costs a fraction of
that. Without pg_dump (an external database without client programs) the caller falls back to django-tenants.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from dataclasses import dataclass

from django.db import connection

from tenants.postgres import PostgresToolError, pg_args, pg_bin, pg_run, rename_schema_sql

logger = logging.getLogger("ppe.tenants")

_SESSION_LINE = re.compile(r"^(SET |SELECT pg_catalog\.set_config)")


@dataclass(frozen=True)
class _Script:
    pre_data: str  # schema, tables, sequences
    post_data: str  # indexes, constraints, triggers
    tables: tuple[tuple[str, str], ...]  # (table, its columns but the generated ones, quoted)
    sequences: tuple[str, ...]


_cache: dict[tuple[str, str], _Script] = {}
_lock = threading.Lock()


def _fingerprint(source: str) -> str:
    """Changes whenever the source's structure may have: its recorded migrations."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{source}".django_migrations ORDER BY app, name')  # noqa: S608
        rows = cursor.fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _dump(source: str, section: str) -> str:
    args, env = pg_args()
    options = ["--schema-only", "--no-owner", "--no-privileges", "--no-comments", f"--section={section}"]
    sql = pg_run([pg_bin("pg_dump"), *args, *options, f"--schema={source}"], env).decode()
    return "".join(line for line in sql.splitlines(keepends=True) if not _SESSION_LINE.match(line))


def _script(source: str) -> _Script:
    key = (source, _fingerprint(source))
    with _lock:
        script = _cache.get(key)
        if script is None:
            with connection.cursor() as cursor:
                # Each table with its columns but the stored generated ones (`Case.search_values`): PostgreSQL
                # computes those, they are never copied.
                cursor.execute(
                    "SELECT c.table_name, string_agg(quote_ident(c.column_name), ', ' ORDER BY c.ordinal_position) "
                    "FROM information_schema.columns c JOIN information_schema.tables t "
                    "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
                    "WHERE c.table_schema = %s AND t.table_type = 'BASE TABLE' AND c.is_generated = 'NEVER' "
                    "GROUP BY c.table_name ORDER BY c.table_name",
                    [source],
                )
                tables = tuple(cursor.fetchall())
                cursor.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = %s", [source])
                sequences = tuple(row[0] for row in cursor.fetchall())
            script = _Script(_dump(source, "pre-data"), _dump(source, "post-data"), tables, sequences)
            _cache.clear()
            _cache[key] = script
    return script


def schema_clone(source: str, target: str) -> bool:
    """Create schema `target` as a copy of `source` (structure and rows). Returns False, having done nothing,
    when pg_dump is not available."""
    try:
        script = _script(source)
    except PostgresToolError as exc:
        logger.warning("Fast schema clone unavailable (%s); using django-tenants' clone_schema", exc)
        return False
    quoted_source, quoted_target = f'"{source}"', f'"{target}"'
    copies = [
        f'INSERT INTO {quoted_target}."{table}" ({columns}) OVERRIDING SYSTEM VALUE '  # noqa: S608 (catalogue names)
        f'SELECT {columns} FROM {quoted_source}."{table}"'
        for table, columns in script.tables
    ]
    sequences = [
        f'SELECT setval(\'{quoted_target}."{seq}"\', last_value, is_called) FROM {quoted_source}."{seq}"'  # noqa: S608
        for seq in script.sequences
    ]
    sql = "\n".join(
        [
            rename_schema_sql(script.pre_data, source, target),
            ";\n".join(copies) + ";",
            ";\n".join(sequences) + (";" if sequences else ""),
            rename_schema_sql(script.post_data, source, target),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
    return True
