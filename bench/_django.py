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


def user_ensure(email: str, groups: list[str], **fields):
    """The bench's account `email` in the current schema, made by the product's `user_create` (never a superuser)
    the first time: a bench database is kept between runs."""
    from django.contrib.auth import get_user_model

    from core.services.users import user_create

    existing = get_user_model().objects.filter(email=email).first()
    return existing or user_create(email=email, groups=groups, send_welcome=False, **fields)


def load_average() -> str:
    """The machine's load average (1, 5 and 15 minutes), printed next to each figure: the machine is shared."""
    one, five, fifteen = os.getloadavg()
    return f"load={one:.2f},{five:.2f},{fifteen:.2f}"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production process on the bench database (DEBUG off, production settings)."""
    import secrets

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": ".localhost,localhost,127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "HUEY_IMMEDIATE": "true",
        "DB_CONN_MAX_AGE": "600",
        **extra,
    }


def collectstatic(env: dict[str, str]) -> None:
    """The static files of production (hashed names and their manifest), as a deployment collects them."""
    import subprocess

    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def gunicorn_start(env: dict[str, str], *, workers: int = 2, port: int | None = None, timeout: int = 120):
    """gunicorn serving core.wsgi on 127.0.0.1 (sync workers); returns (process, port)."""
    import shutil
    import subprocess

    port = port or free_port()
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    command = [gunicorn, "core.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    command += ["--log-level", "warning", "--timeout", str(timeout)]
    return subprocess.Popen(command, cwd=ROOT, env=env), port


def gunicorn_stop(process) -> None:
    from core.processes import processes_stop

    processes_stop([process], seconds=20)


def wait_http(port: int, host: str, path: str = "/", *, timeout: float = 60, headers: dict | None = None) -> None:
    """Wait until 127.0.0.1:port answers `path` on `host` with less than a 500."""
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path, headers={"Host": host, **(headers or {})})
            status = conn.getresponse().status
            conn.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"127.0.0.1:{port} did not answer {path} on {host} in time")


def worker_pids(master_pid: int) -> list[int]:
    """The worker processes of a gunicorn master (its children; of any process, as well)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def _tree_ticks(pid: int) -> int:
    """Processor time (clock ticks) used so far by a process and its descendants still running."""
    ticks = 0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        children = worker_pids(pid)
    except (OSError, IndexError, ValueError):
        return ticks
    return ticks + sum(_tree_ticks(child) for child in children)


def wait_quiet(pids: list[int], *, below: float = 0.05, timeout: float = 90) -> float:
    """Wait until the processes `pids` and their descendants use less than `below` of a core over a second
    (started consumers import, connect and run their first sweep: measured, 1.8 s of processor in the
    first 10 s of `make prod`'s two huey consumers, taken from the requests measured alongside). Returns the
    seconds waited; raises when they are still busy after `timeout`."""
    tick = os.sysconf("SC_CLK_TCK")
    started = time.monotonic()
    before = sum(_tree_ticks(pid) for pid in pids)
    while time.monotonic() - started < timeout:
        time.sleep(1)
        now = sum(_tree_ticks(pid) for pid in pids)
        if (now - before) / tick < below:
            return time.monotonic() - started
        before = now
    raise RuntimeError(f"processes {pids} still busy after {timeout:.0f} s")


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident now, resident peak) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]
