"""`migrate_territories` (make run's start): only the schemas that are behind are migrated or have their roles
completed; a schema that is current is left alone."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db import connection
from django_tenants.utils import schema_context

from core.management.commands.migrate_territories import roles_behind
from tenants.migrations_state import migrations_missing, migrations_on_disk, schemas_behind


def _forget(schema: str, app: str) -> tuple[str, str]:
    """Delete the record of the latest migration of `app` in `schema`, as if it had not run there yet (a
    public-only app: its operations do not run in a territory's schema, only its record is written again)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT name FROM "{schema}".django_migrations WHERE app = %s ORDER BY name DESC LIMIT 1',  # noqa: S608
            [app],
        )
        (name,) = cursor.fetchone()
        cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s', [app, name])  # noqa: S608
    return app, name


@pytest.mark.slow
def test_only_the_schema_that_is_behind_is_found_and_migrated(scratch_territory, test_territories):
    schema = scratch_territory.schema_name
    assert schema not in schemas_behind()
    forgotten = _forget(schema, "tenants")
    assert migrations_missing(schema) == {forgotten}
    behind = schemas_behind()
    assert schema in behind
    assert test_territories["35"].schema_name not in behind

    call_command("migrate_territories", verbosity=0)

    assert migrations_missing(schema) == set()
    assert schema not in schemas_behind()


@pytest.mark.slow
def test_a_schema_never_migrated_is_behind(scratch_territory):
    schema = scratch_territory.schema_name
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{schema}".django_migrations RENAME TO django_migrations_aside')
    try:
        assert schema in schemas_behind()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{schema}".django_migrations_aside RENAME TO django_migrations')
    assert schema not in schemas_behind()


@pytest.mark.slow
def test_role_groups_that_lack_a_permission_are_completed_without_a_migration(scratch_territory):
    from django.contrib.auth.models import Group

    schema = scratch_territory.schema_name
    assert schema not in roles_behind(exclude=set())
    with schema_context(schema):
        admins = Group.objects.get(name="platform_admin")
        removed = admins.permissions.get(codename="change_workflowversion")
        admins.permissions.remove(removed)
    assert schema in roles_behind(exclude=set())

    call_command("migrate_territories", verbosity=0)

    assert schema not in roles_behind(exclude=set())
    with schema_context(schema):
        assert Group.objects.get(name="platform_admin").permissions.filter(pk=removed.pk).exists()


@pytest.mark.slow
def test_several_territories_behind_a_real_migration_are_migrated_by_the_parallel_executor(scratch_territory_pair):
    """Two territories lack core's latest migration (its tables dropped by migrating back): `run_setup` passes its
    own stdout (an OutputWrapper, which cannot be pickled for the worker processes) and both are migrated."""
    schemas = [territory.schema_name for territory in scratch_territory_pair]
    latest = max(name for app, name in migrations_on_disk() if app == "core")
    previous = max(name for app, name in migrations_on_disk() if app == "core" and name < latest)
    for schema in schemas:
        call_command("migrate_schemas", "core", previous, schema_name=schema, verbosity=0)
        assert ("core", latest) in migrations_missing(schema)
    assert set(schemas) <= set(schemas_behind())
    out = io.StringIO()

    call_command("migrate_territories", verbosity=1, stdout=OutputWrapper(out))

    assert all(schema in out.getvalue() for schema in schemas)
    for schema in schemas:
        assert migrations_missing(schema) == set()
    assert not set(schemas) & set(schemas_behind())
