"""PgBouncer (Debian's package, `/usr/sbin/pgbouncer`) in transaction pooling mode in front of the database:
what `make prod` (`manage.py run_prod`) and the tests of the production topology start.

`PgBouncer(folder, server, port=…)` writes its configuration into `folder` (the server's address, the bounds),
starts it on 127.0.0.1:`port` and waits until it hands out connections. Bounds: at most `pool_size` server
connections to the database (`max_db_connections`) whatever the number of clients (`max_client_conn`); a client
waits at most `query_wait_timeout` seconds for one, then gets an error the platform answers with a 503. After a
restart of the database it logs in again within a second (`server_login_retry`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any


class PgBouncerError(RuntimeError):
    """PgBouncer is missing or did not start; the message is French."""


def pgbouncer_bin() -> str:
    found = os.environ.get("PPE_PGBOUNCER_BIN") or shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(found).is_file():
        raise PgBouncerError("PgBouncer est absent : apt-get install pgbouncer (paquet Debian).")
    return found


def _quote(value: Any) -> str:
    text = str(value)
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class PgBouncer:
    def __init__(
        self,
        folder: Path,
        server: dict[str, Any],
        *,
        port: int = 6432,
        pool_size: int = 10,
        max_clients: int = 200,
        wait_timeout: int = 10,
    ) -> None:
        self.folder = Path(folder)
        self.server = server  # Django's connection settings of the database itself (NAME, HOST, PORT, USER…)
        self.port = port
        self.pool_size = pool_size
        self.max_clients = max_clients
        self.wait_timeout = wait_timeout
        self.process: subprocess.Popen | None = None

    @property
    def database(self) -> str:
        return self.server["NAME"]

    def url(self) -> str:
        """The DATABASE_URL of the clients: PgBouncer, same database and user (trusted on the loopback)."""
        return f"postgresql://{self.server.get('USER') or 'postgres'}@127.0.0.1:{self.port}/{self.database}"

    def _run_as(self) -> str | None:
        """PgBouncer refuses to run as root: then it runs as the owner of the server's socket folder (the
        embedded server's), else `postgres`, else `nobody`."""
        if os.geteuid() != 0:
            return None
        host = str(self.server.get("HOST") or "")
        if host.startswith("/") and Path(host).exists():
            owner = pwd.getpwuid(Path(host).stat().st_uid).pw_name
            if owner != "root":
                return owner
        for name in ("postgres", "nobody"):
            try:
                return pwd.getpwnam(name).pw_name
            except KeyError:
                continue
        return None

    def configure(self) -> Path:
        """Write the configuration; the folder's parents must be open to PgBouncer's user (o+x)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        user = self.server.get("USER") or "postgres"
        target = [f"dbname={_quote(self.database)}", f"user={_quote(user)}"]
        if self.server.get("HOST"):
            target.append(f"host={_quote(self.server['HOST'])}")
        if self.server.get("PORT"):
            target.append(f"port={self.server['PORT']}")
        if self.server.get("PASSWORD"):
            target.append(f"password={_quote(self.server['PASSWORD'])}")
        ini = self.folder / "pgbouncer.ini"
        ini.write_text(
            "\n".join(
                [
                    "[databases]",
                    f"{self.database} = {' '.join(target)}",
                    "",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {self.port}",
                    "unix_socket_dir =",
                    "auth_type = trust",
                    f"auth_file = {self.folder / 'users.txt'}",
                    "pool_mode = transaction",
                    f"default_pool_size = {self.pool_size}",
                    f"max_db_connections = {self.pool_size}",
                    "reserve_pool_size = 0",
                    f"max_client_conn = {self.max_clients}",
                    f"query_wait_timeout = {self.wait_timeout}",
                    "server_login_retry = 1",
                    "server_connect_timeout = 5",
                    "ignore_startup_parameters = extra_float_digits",
                    "log_connections = 0",
                    "log_disconnections = 0",
                    f"logfile = {self.folder / 'pgbouncer.log'}",
                    f"pidfile = {self.folder / 'pgbouncer.pid'}",
                    "",
                ]
            )
        )
        (self.folder / "users.txt").write_text(f'"{user}" ""\n')
        run_as = self._run_as()
        if run_as:
            entry = pwd.getpwnam(run_as)
            for path in (self.folder, *self.folder.iterdir()):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        return ini

    def start(self, timeout: float = 30) -> PgBouncer:
        ini = self.configure()
        (self.folder / "pgbouncer.pid").unlink(missing_ok=True)
        command = [pgbouncer_bin()]
        run_as = self._run_as()
        if run_as:
            command += ["-u", run_as]
        with (self.folder / "pgbouncer.out").open("wb") as out:  # what it says before its log file opens
            self.process = subprocess.Popen([*command, str(ini)], stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            self.wait(timeout)
        except BaseException:  # it never answered, or the start was interrupted: not left running on its port
            self.stop()
            raise
        return self

    def wait(self, timeout: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise PgBouncerError(f"PgBouncer s'est arrêté au démarrage : {self.log_tail()}")
            try:
                with psycopg.connect(self.url(), connect_timeout=3, prepare_threshold=None) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.Error:
                if time.monotonic() > deadline:
                    raise PgBouncerError(
                        f"PgBouncer ne répond pas sur le port {self.port} : {self.log_tail()}"
                    ) from None
                time.sleep(0.2)

    def log_tail(self, lines: int = 5) -> str:
        said = []
        for name in ("pgbouncer.out", "pgbouncer.log"):
            try:
                said += (self.folder / name).read_text(errors="replace").strip().splitlines()
            except OSError:
                continue
        return " | ".join(said[-lines:]) or "(pas de journal)"

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
