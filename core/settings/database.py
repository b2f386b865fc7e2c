"""The database: an external PostgreSQL from DATABASE_URL, or the embedded one (pgserver) in var/pgdata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from core.env import ConfigError, env_bool, env_int, env_url

ENGINE = "tenants.postgresql_backend"  # django-tenants' backend, right behind a transaction pooler too
EMBEDDED_DB_NAME = "ppe"


def database_config(base_dir: Path) -> dict[str, Any]:
    url = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "pgsql"))
    if url:
        try:
            config = dj_database_url.parse(url, engine=ENGINE)
        except ValueError as exc:
            raise ConfigError(f"DATABASE_URL est invalide : {exc}") from None
    else:
        config = embedded_database_config(base_dir / "var" / "pgdata")
    connections_bound(config)
    transaction_pooling_configure(config)
    config["CONN_HEALTH_CHECKS"] = True
    config.setdefault("TEST", {})["NAME"] = f"test_{config['NAME']}"
    return config


def connections_bound(config: dict[str, Any], *, default_pool_size: int = 8) -> None:
    """Bound the connections of each process: a pool (psycopg_pool) of `DB_POOL_MAX_SIZE` connections shared by
    its threads (a request waits at most `DB_POOL_TIMEOUT` seconds, 10 by default, for one, then gets 503), so a
    burst on the threaded dev server or on gunicorn's threads never exhausts PostgreSQL's `max_connections`.
    Measured: 100 simultaneous page requests on runserver with a pool of 6 → at most 6 connections.
    `DB_POOL_MAX_SIZE=0` turns the pool off: one connection per thread, kept `DB_CONN_MAX_AGE` seconds."""
    size = env_int("DB_POOL_MAX_SIZE", default_pool_size)
    options = config.setdefault("OPTIONS", {})
    if size > 0:
        config["CONN_MAX_AGE"] = 0  # the pool keeps them
        options["pool"] = {
            "min_size": min(env_int("DB_POOL_MIN_SIZE", 1), size),
            "max_size": size,
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
            "max_idle": 300,
        }  # with CONN_HEALTH_CHECKS, Django has the pool check each connection: one broken by a restart is replaced
    else:
        options.pop("pool", None)
        config["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0)


def transaction_pooling_configure(config: dict[str, Any]) -> None:
    """`DB_TRANSACTION_POOLING=true` when DATABASE_URL is a pooler in transaction mode (PgBouncer, `make prod`):
    each transaction then sets its own search path (`tenants.postgresql_backend`), and nothing that needs one
    server connection for longer than a transaction is used — no server-side cursors, no prepared statements;
    huey's LISTEN and the PostgreSQL client programs (pg_dump, psql) take `PPE_DATABASE_DIRECT_URL`, the server
    itself (`direct_database_overrides`)."""
    pooling = env_bool("DB_TRANSACTION_POOLING", False)
    config["TRANSACTION_POOLING"] = pooling
    config["DISABLE_SERVER_SIDE_CURSORS"] = pooling
    if pooling:
        config.setdefault("OPTIONS", {})["prepare_threshold"] = None


def direct_database_overrides() -> dict[str, Any]:
    """Where the database server itself answers, bypassing a pooler (`PPE_DATABASE_DIRECT_URL`: HOST, PORT, USER,
    PASSWORD of the same database; the setting `PPE_DATABASE_DIRECT`), or {} (no pooler in between)."""
    url = env_url("PPE_DATABASE_DIRECT_URL", schemes=("postgres", "postgresql", "pgsql"))
    if not url:
        return {}
    try:
        direct = dj_database_url.parse(url, engine=ENGINE)
    except ValueError as exc:
        raise ConfigError(f"PPE_DATABASE_DIRECT_URL est invalide : {exc}") from None
    return {key: direct[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}


def _embedded_server(pgserver, pgdata: Path):
    """pgserver's shared server. pgserver keeps the processes that share it in a JSON file it rewrites in place:
    a process that stops (`make run` interrupted) while another starts (`make test` right after) can leave the
    newcomer reading it empty (« JSONDecodeError: Expecting value », seen once). Read again for a few seconds."""
    import json
    import time

    deadline = time.monotonic() + 10
    while True:
        try:
            return pgserver.get_server(pgdata, cleanup_mode="stop")
        except json.JSONDecodeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def embedded_database_config(pgdata: Path) -> dict[str, Any]:
    """Start (or join) the embedded PostgreSQL server and make sure the project's database exists.

    Every process (web server, worker, tests) calls this; pgserver lets them share one server, which stops
    when the last of them exits.
    """
    import warnings

    import psycopg

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = _embedded_server(pgserver, pgdata)
    socket_dir = str(server.get_postmaster_info().socket_dir)
    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{EMBEDDED_DB_NAME}"')
    return {
        "ENGINE": ENGINE,
        "NAME": EMBEDDED_DB_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": "",
    }


def database_url(config: dict[str, Any]) -> str:
    """A DATABASE_URL for the same database (a socket folder as host is %-encoded, as libpq reads it)."""
    from urllib.parse import quote

    host = quote(str(config.get("HOST") or ""), safe="")
    port = f":{config['PORT']}" if config.get("PORT") else ""
    user = quote(str(config.get("USER") or ""), safe="")
    password = f":{quote(str(config['PASSWORD']), safe='')}" if config.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{host}{port}/{config['NAME']}"


def libpq_dsn(config: dict[str, Any]) -> str:
    """A libpq connection string for the same database (huey's PostgreSQL storage, benchmarks)."""
    parts = {
        "dbname": config["NAME"],
        "user": config.get("USER") or "",
        "password": config.get("PASSWORD") or "",
        "host": config.get("HOST") or config.get("OPTIONS", {}).get("host") or "",
        "port": str(config.get("PORT") or ""),
    }
    return " ".join(f"{key}='{value}'" for key, value in parts.items() if value)


def huey_connection():
    """Open a connection for huey's PostgreSQL storage to the database Django uses now (through the pooler, if
    any: each of huey's statements is a transaction of its own, in the public schema, and none is prepared).

    Read at call time, so that the tests' database (and any DATABASE_URL) is the one the queue lives in.
    """
    from django.conf import settings

    from tenants.queue import queue_connect

    return queue_connect(libpq_dsn(settings.DATABASES["default"]))


def huey_listen_connection():
    """The connection a huey consumer LISTENs on for new tasks: to the server itself (`PPE_DATABASE_DIRECT_URL`),
    since a pooler in transaction mode drops a LISTEN with the transaction. One per consumer thread, idle."""
    from django.conf import settings

    from tenants.queue import queue_connect

    return queue_connect(libpq_dsn({**settings.DATABASES["default"], **settings.PPE_DATABASE_DIRECT}))
