"""Backup and restore of one territory: schema and media come back identical, under another name if needed.

pg_dump reads committed data only, so these tests write to a committed scratch territory (no `db` fixture)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from tenants.backup import BackupError, territory_backup, territory_restore
from tenants.models import Domain, Territory, TerritoryPole
from tenants.postgres import rename_schema_sql
from tenants.services import territory_delete
from tenants.storage import private_storage

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
    with schema_context(territory.schema_name):  # a file no row names: in the territory's storage folder all the same
        if default_storage.exists("documents/charte.txt"):
            default_storage.delete("documents/charte.txt")
        default_storage.save("documents/charte.txt", ContentFile(b"charte sign\xc3\xa9e"))
        if private_storage().exists(PRIVATE_NAME):  # and a private one (a form file: no row names it either)
            private_storage().delete(PRIVATE_NAME)
        private_storage().save(PRIVATE_NAME, ContentFile(b"statuts"))


PRIVATE_NAME = "cases/ESSAI-1/abc/statuts.pdf"


def _file(schema: str, name: str = "documents/charte.txt", storage=default_storage) -> str | None:
    with schema_context(schema):
        if not storage.exists(name):
            return None
        with storage.open(name) as handle:
            return handle.read().decode()


@pytest.mark.slow
def test_backup_drop_restore_gives_identical_data(scratch_territory):
    territory = scratch_territory
    _fill(territory)
    before = _fingerprint(territory.schema_name)
    assert set(KEY_TABLES) <= set(before)
    identity = (territory.schema_name, territory.code, territory.slug, territory.primary_domain)
    archive = territory_backup(territory=territory)
    territory_delete(territory=Territory.objects.get(pk=territory.pk))
    assert _file(identity[0]) is None  # deleting a territory deletes its files
    assert _file(identity[0], PRIVATE_NAME, private_storage()) is None
    restored = territory_restore(archive=archive)
    try:
        assert (restored.schema_name, restored.code, restored.slug, restored.primary_domain) == identity
        assert _fingerprint(restored.schema_name) == before
        assert _file(restored.schema_name) == "charte signée"
        assert _file(restored.schema_name, PRIVATE_NAME, private_storage()) == "statuts"
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
    restored = territory_restore(archive=archive, code="89", name="Yonne", domain="yonne.localhost")
    try:
        assert (restored.schema_name, restored.name, restored.slug) == ("dep_89", "Yonne", "yonne")
        after = _fingerprint("dep_89")
        assert after.pop("wagtailcore_site") != before.pop("wagtailcore_site")  # served on its new host
        assert after == before
        assert Domain.objects.get(tenant=restored).domain == "yonne.localhost"
        with schema_context("dep_89"):
            from wagtail.models import Site

            site = Site.objects.get(is_default_site=True)
            assert (site.hostname, site.site_name) == ("yonne.localhost", "Yonne")
        assert _file("dep_89") == "charte signée"
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


@pytest.mark.slow
def test_backup_command_writes_an_owner_only_file_and_restore_takes_name_and_domain(scratch_territory, tmp_path):
    """The README's example, as written."""
    territory = scratch_territory
    _fill(territory)
    path = tmp_path / "sauvegarde.tar.gz"
    path.write_bytes(b"")
    path.chmod(0o644)  # an older file of that name: its mode must not stay
    call_command("territory_backup", territory.code, "-o", str(path))
    assert path.stat().st_mode & 0o777 == 0o600
    call_command("territory_restore", str(path), "--code", "89", "--name", "Yonne", "--domain", "yonne.localhost")
    restored = Territory.objects.get(code="89")
    try:
        assert (restored.name, restored.primary_domain) == ("Yonne", "yonne.localhost")
        assert _file(restored.schema_name) == "charte signée"
    finally:
        connection.set_schema_to_public()
        territory_delete(territory=restored)
    assert _file("dep_89") is None  # a new territory 89 would not inherit these files


def test_the_platform_rows_cannot_be_deleted(test_territories, db):
    from tenants.services import public_territory_ensure, template_ensure

    for row in (public_territory_ensure(), template_ensure()):
        with pytest.raises(ValidationError, match="appartient à la plateforme"):
            territory_delete(territory=row)
        assert Territory.objects.filter(pk=row.pk).exists()
