"""Backup and restore of one territory: schema and media come back identical, under another name if needed.

pg_dump reads committed data only, so these tests write to a committed scratch territory (no `db` fixture)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from tenants.backup import BackupError, territory_backup, territory_restore
from tenants.media import tenant_media_root
from tenants.models import Domain, Territory, TerritoryPole
from tenants.postgres import rename_schema_sql

KEY_TABLES = ("auth_user", "core_structure", "core_catalogueservice", "wagtailcore_page", "wagtailcore_revision")


def _fingerprint(schema: str) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every table of the schema, the key tables' rows included in full."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [schema],
        )
        tables = sorted(row[0] for row in cursor.fetchall())
        result = {}
        for table in tables:
            rows = "coalesce(string_agg(t::text, '|' ORDER BY t::text), '')"
            cursor.execute(f'SELECT count(*), md5({rows}) FROM "{schema}"."{table}" t')  # noqa: S608
            result[table] = cursor.fetchone()
    return result


def _fill(territory):
    from core.models import Structure
    from core.services.users import user_create

    with schema_context(territory.schema_name):
        user_create(email="coordinatrice@example.org", first_name="Lou", send_welcome=False)
        Structure.objects.create(name="Les Lucioles", kind="creche", commune="Brest", places=18)
    TerritoryPole.objects.update_or_create(territory=territory, pole="support", defaults={"settings": {"k": 1}})
    media = tenant_media_root(territory.schema_name) / "documents" / "charte.txt"
    media.parent.mkdir(parents=True, exist_ok=True)
    media.write_text("charte signée")


@pytest.mark.slow
def test_backup_drop_restore_gives_identical_data(scratch_territory):
    territory = scratch_territory
    _fill(territory)
    before = _fingerprint(territory.schema_name)
    assert set(KEY_TABLES) <= set(before)
    identity = (territory.schema_name, territory.code, territory.slug, territory.primary_domain)
    archive = territory_backup(territory=territory)
    Territory.objects.get(pk=territory.pk).delete(force_drop=True)
    media = tenant_media_root(identity[0]) / "documents" / "charte.txt"
    media.unlink()
    restored = territory_restore(archive=archive)
    try:
        assert (restored.schema_name, restored.code, restored.slug, restored.primary_domain) == identity
        assert _fingerprint(restored.schema_name) == before
        assert media.read_text() == "charte signée"
        assert TerritoryPole.objects.get(territory=restored, pole="support").settings == {"k": 1}
    finally:
        connection.set_schema_to_public()
        restored.delete(force_drop=True)


@pytest.mark.slow
def test_restore_under_another_code_renames_the_schema(scratch_territory):
    territory = scratch_territory
    _fill(territory)
    before = _fingerprint(territory.schema_name)
    archive = territory_backup(territory=territory)
    with pytest.raises(ValidationError, match="existe déjà"):
        territory_restore(archive=archive)
    restored = territory_restore(archive=archive, code="89", domain="copie.localhost")
    try:
        assert restored.schema_name == "dep_89"
        after = _fingerprint("dep_89")
        assert after.pop("wagtailcore_site") != before.pop("wagtailcore_site")  # served on its new host
        assert after == before
        assert Domain.objects.get(tenant=restored).domain == "copie.localhost"
        with schema_context("dep_89"):
            from wagtail.models import Site

            assert Site.objects.get(is_default_site=True).hostname == "copie.localhost"
        assert (tenant_media_root("dep_89") / "documents" / "charte.txt").read_text() == "charte signée"
    finally:
        connection.set_schema_to_public()
        restored.delete(force_drop=True)


def test_a_bad_backup_is_refused(db, tmp_path):
    with pytest.raises(BackupError, match="illisible"):
        territory_restore(archive=b"pas une sauvegarde")
    bad = tmp_path / "x.tar.gz"
    bad.write_bytes(b"abc")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="illisible"):
        call_command("territory_restore", str(bad))


def test_schema_rename_leaves_copied_data_alone():
    sql = (
        "CREATE SCHEMA dep_35;\nCREATE TABLE dep_35.t (id integer DEFAULT nextval('dep_35.t_id_seq'::regclass));\n"
        "COPY dep_35.t (id, note) FROM stdin;\n1\tvoir dep_35.t\n\\.\nALTER TABLE ONLY dep_35.t ADD x;\n"
        "CREATE TABLE dep_350.t ();\n"
    )
    renamed = rename_schema_sql(sql, "dep_35", "dep_89")
    assert "CREATE SCHEMA dep_89;" in renamed
    assert "nextval('dep_89.t_id_seq'" in renamed
    assert "COPY dep_89.t (id, note)" in renamed
    assert "1\tvoir dep_35.t\n" in renamed  # data untouched
    assert "ALTER TABLE ONLY dep_89.t" in renamed
    assert "dep_350.t" in renamed
