"""Start Django for a benchmark script, on a database of its own (never the one `make run` serves).

`setup()` points the process (and every process it starts: gunicorn, worker clients) at the bench database,
creates it when it is missing, brings it up to date (public schema, template, territories: only what is
pending) and starts Django. Which database:
- `BENCH_DATABASE_URL` when set (a PostgreSQL URL; it must not be the one of `DATABASE_URL`);
- otherwise the database `ppe_bench` (or the name given) on the same server as `DATABASE_URL`;
- otherwise `ppe_bench` on the embedded PostgreSQL of `var/pgdata` (`make run` uses `ppe` there).
A script measures on a fresh clone with one command: `python bench/<name>.py` (or `make bench` for all).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "ppe_bench"
RUN_DB = "ppe"  # core.settings.database.EMBEDDED_DB_NAME: the database of `make run`
_READY = "PPE_BENCH_DATABASE_READY"  # set once migrated, so that the processes a bench starts skip it


def _create_database(conninfo: dict, name: str) -> None:
    import psycopg

    with psycopg.connect(**conninfo, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def bench_database_url(name: str = BENCH_DB) -> str:
    """The URL of the bench database `name`, created if missing."""
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        if explicit == os.environ.get("DATABASE_URL"):
            sys.exit("BENCH_DATABASE_URL ne doit pas être la base de DATABASE_URL (celle de make run).")
        return explicit
    if name == RUN_DB:
        sys.exit(f"La base {RUN_DB!r} est celle de make run : un banc d'essai ne la touche jamais.")
    run_url = os.environ.get("DATABASE_URL")
    if run_url:
        parts = urlsplit(run_url)
        if parts.path.lstrip("/") == name:
            sys.exit(f"DATABASE_URL désigne déjà {name!r} : donnez la base de make run, le banc prend la sienne.")
        _create_database(
            {
                "host": parts.hostname or "",
                "port": parts.port or 5432,
                "user": parts.username or "",
                "password": parts.password or "",
            },
            name,
        )
        return urlunsplit(parts._replace(path=f"/{name}"))
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    (ROOT / "var").mkdir(exist_ok=True)
    server = pgserver.get_server(ROOT / "var" / "pgdata", cleanup_mode="stop")
    socket_dir = str(server.get_postmaster_info().socket_dir)
    _create_database({"host": socket_dir, "user": "postgres"}, name)
    return f"postgresql://postgres@{quote(socket_dir, safe='')}/{name}"


def database_migrate() -> float:
    """Bring the bench database up to date: public schema, template, then the territories that lag behind."""
    from django.core.management import call_command

    from tenants.services import template_ensure

    started = time.perf_counter()
    call_command("migrate_schemas", shared=True, verbosity=0)
    template_ensure()
    call_command("migrate_schemas", tenant=True, verbosity=0)
    return time.perf_counter() - started


def setup(*, database: str = BENCH_DB, settings: str = "core.settings.dev", migrate: bool = True) -> None:
    """Start Django on the bench database `database` (see the module's docstring)."""
    sys.path.insert(0, str(ROOT))
    if os.environ.get(_READY) != database:
        os.environ["DATABASE_URL"] = bench_database_url(database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    os.environ.setdefault("HUEY_IMMEDIATE", "true")
    import django

    django.setup()
    if migrate and os.environ.get(_READY) != database:
        seconds = database_migrate()
        print(f"bench database {database!r} ready in {seconds:.1f} s", flush=True)
        os.environ[_READY] = database


def load_average() -> str:
    """The machine's load average (1, 5 and 15 minutes), printed next to each figure: the machine is shared."""
    one, five, fifteen = os.getloadavg()
    return f"load={one:.2f},{five:.2f},{fifteen:.2f}"
