"""Which migrations a territory's schema lacks compared with the code on disk."""

from __future__ import annotations

import functools

from django.db import connection
from django.db.migrations.loader import MigrationLoader


@functools.cache
def migrations_on_disk() -> frozenset[tuple[str, str]]:
    """Every migration of the installed apps, as `(app, name)` (read once per process)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def migrations_applied(schema_name: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return set()
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')  # noqa: S608 (schema names are validated)
        return {(app, name) for app, name in cursor.fetchall()}


def migrations_missing(schema_name: str) -> set[tuple[str, str]]:
    """The migrations on disk that the schema has not recorded (empty when it is current)."""
    return set(migrations_on_disk()) - migrations_applied(schema_name)


def schemas_behind() -> list[str]:
    """The schemas (public, the template, the territories) that lack a migration on disk.

    Two queries whatever the number of territories: the territories with whether their schema has a migrations
    table, then one statement counting, in every schema at once, the migrations on disk it has recorded. The
    template comes first (new territories are cloned from it), then the others by name; a schema without a
    migrations table (never migrated) is behind. Empty when every schema is current: nothing to migrate.
    """
    from tenants.models import Territory

    names = sorted(f"{app}.{name}" for app, name in migrations_on_disk())
    table = connection.ops.quote_name(Territory._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.schema_name, to_regclass(quote_ident(t.schema_name) || '.django_migrations') IS NOT NULL "  # noqa: S608
            f"FROM public.{table} AS t ORDER BY t.is_template DESC, t.schema_name"
        )
        schemas = cursor.fetchall()
        migrated = [schema for schema, has_table in schemas if has_table]
        recorded: dict[str, int] = {}
        if migrated:
            counts = " UNION ALL ".join(
                f"SELECT %s, count(*) FROM {connection.ops.quote_name(schema)}.django_migrations "  # noqa: S608
                "WHERE app || '.' || name = ANY(%s)"
                for schema in migrated
            )
            cursor.execute(counts, [value for schema in migrated for value in (schema, names)])
            recorded = dict(cursor.fetchall())
    return [schema for schema, _ in schemas if recorded.get(schema, -1) != len(names)]
