"""A PostgreSQL server of the test's own (pgserver, in `var/faults-pg`), holding a copy of the test database, so
that a test may stop, restart or saturate it without disturbing anything else (never the system's 5432, never
the worktree's embedded server that the test process itself uses)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import warnings
from pathlib import Path

import psycopg

from tenants.postgres import pg_bin
from tests.live import ROOT

FOLDER = ROOT / "var" / "faults-pg"


class OwnedPostgres:
    def __init__(self, folder: Path = FOLDER) -> None:
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver

        shutil.rmtree(folder, ignore_errors=True)
        folder.parent.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.server = pgserver.get_server(folder, cleanup_mode="delete")
        self.socket_dir = str(self.server.get_postmaster_info().socket_dir)

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(host=self.socket_dir, user="postgres", dbname=dbname, autocommit=True, **kwargs)

    def settings_for(self, dbname: str) -> dict:
        return {"NAME": dbname, "HOST": self.socket_dir, "PORT": "", "USER": "postgres", "PASSWORD": ""}

    def copy_database(self, source: dict, dbname: str) -> None:
        """`source` (Django connection settings of another server) copied here as `dbname` (pg_dump | pg_restore)."""
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        dump = subprocess.run(
            [pg_bin("pg_dump"), "-Fc", "-h", source["HOST"], "-U", source["USER"] or "postgres", source["NAME"]],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(
            [pg_bin("pg_restore"), "--no-owner", "-h", self.socket_dir, "-U", "postgres", "-d", dbname],
            input=dump,
            capture_output=True,
            check=True,
        )

    def configure(self, **parameters) -> None:
        """ALTER SYSTEM for each parameter; takes effect at the next start."""
        with self.connect() as conn:
            for name, value in parameters.items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.folder, user=self.server.system_user, timeout=120)

    def stop(self) -> None:
        """A fast shutdown: every session is cut, as a server restart or crash does."""
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already stopped
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
