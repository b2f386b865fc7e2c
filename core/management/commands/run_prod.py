"""python manage.py run_prod: the production topology on this machine (`make prod`).

PgBouncer in transaction pooling mode in front of the database (`core.pgbouncer`), gunicorn (2 workers) and 2
huey consumers (`run_workers`, which restarts one that dies) going through it, with the settings this command
runs under (`make prod`: `core.settings.production`). Before starting them, what `make run` does (pending
migrations, the demo territory) and `collectstatic` (whitenoise serves the hashed static files). This process
talks to the database server itself (DATABASE_URL, or the embedded one); the others get PgBouncer's address,
`DB_TRANSACTION_POOLING=true` and the server's own address for huey's LISTEN (`PPE_DATABASE_DIRECT_URL`).
Ctrl-C stops everything; PgBouncer is started again if it dies, and the command stops if gunicorn does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.pgbouncer import PgBouncer, PgBouncerError
from core.processes import processes_stop
from core.settings.database import database_url

MANAGE = Path(__file__).resolve().parents[3] / "manage.py"


def topology_env(bouncer: PgBouncer, server: dict, **extra: str) -> dict[str, str]:
    """The environment of a process of the topology: the database through PgBouncer in transaction mode."""
    return {
        **os.environ,
        "DATABASE_URL": bouncer.url(),
        "DB_TRANSACTION_POOLING": "true",
        "PPE_DATABASE_DIRECT_URL": database_url(server),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def gunicorn_command(port: int, workers: int, bind: str = "0.0.0.0") -> list[str]:  # noqa: S104 (as make run)
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    return [
        gunicorn, "core.wsgi", "--workers", str(workers), "--bind", f"{bind}:{port}",
        "--timeout", "60", "--graceful-timeout", "20", "--access-logfile", "-", "--log-level", "warning",
    ]  # fmt: skip


class Command(BaseCommand):
    help = "Lance la topologie de production : PgBouncer (mode transaction), gunicorn et les workers huey."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--pgbouncer-port", type=int, default=6432)
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--consumers", type=int, default=2)
        parser.add_argument("--server-connections", type=int, default=10, help="Connexions de PgBouncer au serveur.")
        parser.add_argument("--no-setup", action="store_true", help="Sans migrations ni démonstration.")

    def handle(self, *args, **options) -> None:
        default = settings.DATABASES["default"]
        if default.get("TRANSACTION_POOLING"):
            raise CommandError(
                "DATABASE_URL doit désigner le serveur PostgreSQL lui-même : run_prod met PgBouncer devant."
            )
        server = {**default, **settings.PPE_DATABASE_DIRECT}
        port = options["port"]
        if not options["no_setup"]:
            call_command("run_setup", port=str(port), stdout=self.stdout)
        call_command("collectstatic", interactive=False, verbosity=0)
        bouncer = PgBouncer(
            settings.VAR_DIR / "prod" / "pgbouncer",
            server,
            port=options["pgbouncer_port"],
            pool_size=options["server_connections"],
        )
        # until the topology runs, SIGTERM stops the start-up as Ctrl-C does: what was started is stopped
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            bouncer.start()
        except PgBouncerError as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            raise CommandError("Démarrage interrompu : PgBouncer est arrêté.") from None
        self.stopping = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        web = subprocess.Popen(  # noqa: S603 (our own programs)
            gunicorn_command(port, options["web_workers"]),
            env=topology_env(bouncer, server, DB_POOL_MAX_SIZE="2"),
            cwd=MANAGE.parent,
        )
        workers = subprocess.Popen(  # noqa: S603
            [sys.executable, str(MANAGE), "run_workers", "--consumers", str(options["consumers"])],
            env=topology_env(bouncer, server, DB_POOL_MAX_SIZE="3"),
            cwd=MANAGE.parent,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Production locale : gunicorn ({options['web_workers']} workers) sur http://localhost:{port}/, "
                f"{options['consumers']} workers huey, PgBouncer (mode transaction, "
                f"{options['server_connections']} connexions au plus) sur 127.0.0.1:{options['pgbouncer_port']}. "
                "Ctrl-C pour arrêter."
            )
        )
        try:
            while not self.stopping:
                time.sleep(0.5)
                if web.poll() is not None:
                    self.stderr.write(f"gunicorn s'est arrêté (code {web.returncode}) : arrêt de la topologie.")
                    break
                if bouncer.process is not None and bouncer.process.poll() is not None:
                    self.stderr.write(self.style.WARNING("PgBouncer s'est arrêté : redémarrage."))
                    try:
                        bouncer.start()
                    except PgBouncerError as exc:
                        self.stderr.write(str(exc))
        finally:
            processes_stop([web, workers], seconds=30)
            bouncer.stop()
            self.stdout.write("Topologie de production arrêtée.")

    def _stop(self, signum, frame) -> None:
        self.stopping = True
