"""PostgreSQL client programs (pg_dump, pg_restore, psql) run against Django's database, and the rewrite of a
plain SQL dump from one schema name to another."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from django.conf import settings


class PostgresToolError(Exception):
    """A PostgreSQL client program is missing or failed; the message is French."""


def pg_bin(name: str) -> str:
    """A PostgreSQL client program: PPE_PG_BIN_DIR, else the embedded server's, else the PATH's."""
    candidates = []
    if os.environ.get("PPE_PG_BIN_DIR"):
        candidates.append(Path(os.environ["PPE_PG_BIN_DIR"]) / name)
    try:
        import pgserver

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:  # pragma: no cover - pgserver is a dependency
        pass
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise PostgresToolError(f"Programme PostgreSQL introuvable : {name} (réglez PPE_PG_BIN_DIR).")
    return found


def pg_args() -> tuple[list[str], dict[str, str]]:
    # the server itself (PPE_DATABASE_DIRECT_URL): pg_dump and psql keep one session for longer than a
    # transaction, which a pooler in transaction mode does not give
    db = {**settings.DATABASES["default"], **settings.PPE_DATABASE_DIRECT}
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    return args, env


def pg_run(command: list[str], env: dict[str, str], stdin: bytes | None = None) -> bytes:
    result = subprocess.run(command, input=stdin, env=env, capture_output=True, check=False)  # noqa: S603 (own argv)
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise PostgresToolError(f"{Path(command[0]).name} a échoué : {message[-1] if message else result.returncode}")
    return result.stdout


def rename_schema_sql(sql: str, old: str, new: str) -> str:
    """Rewrite a plain SQL dump of schema `old` into schema `new`, leaving COPY data rows untouched."""
    # Only qualified names (`old.table`, `'old.seq'`, `"old".x`) and `SCHEMA old`: a column that happens to
    # be called like the schema stays as it is.
    name = re.escape(old)
    pattern = re.compile(rf'(?<![\w$]){name}(?="?\.)|(?<=SCHEMA ){name}(?![\w$])')
    out, in_copy = [], False
    for line in sql.splitlines(keepends=True):
        if in_copy:
            in_copy = line.rstrip("\n") != "\\."
            out.append(line)
            continue
        if line.startswith("COPY ") and line.rstrip().endswith("FROM stdin;"):
            in_copy = True
        out.append(pattern.sub(new, line))
    return "".join(out)
