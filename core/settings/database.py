"""The database: an external PostgreSQL from DATABASE_URL, or the embedded one (pgserver) in var/pgdata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url

from core.env import ConfigError, env_int, env_url

ENGINE = "django_tenants.postgresql_backend"
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
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
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
    """Open a connection for huey's PostgreSQL storage to the database Django uses now.

    Read at call time, so that the tests' database (and any DATABASE_URL) is the one the queue lives in.
    """
    import psycopg
    from django.conf import settings

    return psycopg.connect(libpq_dsn(settings.DATABASES["default"]), autocommit=True)
