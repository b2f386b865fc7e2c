"""The demo kit imported into a second, fresh installation (an empty database, shared migrations only), from the
command line, then exported again: the kit that comes out is the one in the repository, byte for byte.

The fresh database receives the public schema as `migrate_schemas --shared` leaves it (its tables and the
migration, content type and permission rows, copied from the test database with pg_dump: running the shared
migrations again would cost most of a minute); no territory, no template: `kit_import --code` builds them."""

from __future__ import annotations

import filecmp
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from core.services.demo import DEMO_KIT, demo_kit_archive
from tenants.postgres import pg_args, pg_bin, pg_run
from tests.live import ROOT, server_env, test_database_url

_SHARED_ROWS = ("public.django_migrations", "public.django_content_type", "public.auth_permission")


def _public_schema_copy(url: str) -> None:
    """The test database's public schema (tables, and the rows the shared migrations write) into `url`."""
    args, env = pg_args()
    dump = pg_bin("pg_dump")
    structure = pg_run([dump, *args, "--schema-only", "--no-owner", "--schema=public"], env)
    rows = pg_run([dump, *args, "--data-only", "--no-owner", *(f"--table={t}" for t in _SHARED_ROWS)], env)
    psql = [pg_bin("psql"), "--dbname", url, "--quiet", "-v", "ON_ERROR_STOP=1", "--single-transaction"]
    pg_run([*psql, "--file=-"], env, structure.replace(b"CREATE SCHEMA public;", b"") + rows)


@pytest.fixture
def fresh_database(test_territories):
    """The URL of a new database on the test server, as `migrate_schemas --shared` leaves it; dropped after."""
    base = test_database_url()
    name = f"ppe_fresh_{uuid.uuid4().hex[:8]}"
    admin_url = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        _public_schema_copy(url)
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _same_tree(left: Path, right: Path) -> list[str]:
    """Paths that differ between two folders (missing on one side, or other bytes)."""
    comparison = filecmp.dircmp(left, right)
    differ = [*comparison.left_only, *comparison.right_only]
    _, mismatch, errors = filecmp.cmpfiles(left, right, comparison.common_files, shallow=False)
    differ += mismatch + errors
    for sub in comparison.common_dirs:
        differ += [f"{sub}/{path}" for path in _same_tree(left / sub, right / sub)]
    return differ


def test_demo_kit_into_a_fresh_installation_and_back_gives_the_same_kit(fresh_database, tmp_path):
    env = server_env(DATABASE_URL=fresh_database, PPE_VAR_DIR=str(tmp_path / "var"))
    kit = tmp_path / "kit-demo.tar.gz"
    kit.write_bytes(demo_kit_archive())
    assert "0 territoire" in _manage(
        env, "shell", "-c", "from tenants.models import Territory; print(Territory.objects.count(), 'territoire')"
    )
    out = _manage(env, "kit_import", str(kit), "--code", "35", "--name", "Ille-et-Vilaine")
    assert "Kit importé dans « Ille-et-Vilaine »" in out
    exported = tmp_path / "kit-exported"
    _manage(env, "kit_export", "35", "--folder", str(exported), "--sections", "pages", "media")
    assert _same_tree(DEMO_KIT, exported) == []
