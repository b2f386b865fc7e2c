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
