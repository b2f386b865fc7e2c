"""The fast schema clone (cached DDL script) and its fallback, and the skipped `migrate --fake`."""

from django.db import connection
from django_tenants.utils import schema_context

from tenants import schema_clone
from tenants.backup import BackupError
from tenants.migrations_state import migrations_missing
from tenants.services import territory_create


def _tables(schema):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name", [schema]
        )
        return [row[0] for row in cursor.fetchall()]


def _sequences(schema):
    with connection.cursor() as cursor:
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s ORDER BY 1", [schema])
        return cursor.fetchall()


def test_the_template_is_current_so_a_clone_replays_no_migration(test_territories, db):
    assert migrations_missing("template") == set()


def test_fast_clone_copies_tables_rows_and_sequences(test_territories, db, django_assert_max_num_queries):
    territory = territory_create(code="29", name="Finistère")
    assert _tables("dep_29") == _tables("template")
    assert _sequences("dep_29") == _sequences("template") or [s for s, _ in _sequences("dep_29")] == [
        s for s, _ in _sequences("template")
    ]
    with schema_context(territory.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM wagtailcore_page")
        assert cursor.fetchone()[0] >= 3  # root, home, charter


def test_without_pg_dump_the_clone_falls_back_to_django_tenants(test_territories, db, monkeypatch):
    def missing(name):
        raise BackupError("pg_dump introuvable")

    monkeypatch.setattr(schema_clone, "pg_bin", missing)
    monkeypatch.setattr(schema_clone, "_cache", {})
    territory = territory_create(code="29", name="Finistère")
    assert _tables(territory.schema_name) == _tables("template")
