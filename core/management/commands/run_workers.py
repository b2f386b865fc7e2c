"""Run the huey consumers and restart any that dies (what `make run` and `make prod` start).

Each consumer is `manage.py run_huey` in a process of its own. When one exits without being asked to (killed,
crashed), the supervisor says so, starts it again (after 1 s, up to 30 s when it keeps dying at once) and
sweeps the outbox at once: what the dead consumer was doing is handed over again without waiting for the
periodic sweep (an effect it was carrying out was rolled back with its connection, so it runs once).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from core.processes import processes_stop

MANAGE = Path(__file__).resolve().parents[3] / "manage.py"
QUICK_DEATH_SECONDS = 10
MAX_BACKOFF_SECONDS = 30


class Command(BaseCommand):
    help = "Lance les workers huey et redémarre ceux qui s'arrêtent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--consumers", type=int, default=1, help="Nombre de processus consommateurs.")
        parser.add_argument("--workers", type=int, default=None, help="Fils d'exécution par consommateur.")
        parser.add_argument("--no-periodic", action="store_true", help="Sans les tâches périodiques.")

    def handle(self, *args, consumers: int, workers: int | None, no_periodic: bool, **options) -> None:
        self.command = [sys.executable, str(MANAGE), "run_huey"]
        if workers:
            self.command += ["--workers", str(workers)]
        self.stopping = False
        self.slots: list[dict] = [
            {"n": n + 1, "process": None, "started": 0.0, "backoff": 1.0} for n in range(consumers)
        ]
        for slot in self.slots:
            # one consumer runs the periodic tasks (the sweep, the reminders): two would run each twice
            slot["periodic"] = slot["n"] == 1 and not no_periodic
            self._start(slot)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        while not self.stopping:
            time.sleep(0.5)
            for slot in self.slots:
                process = slot["process"]
                if process is None or process.poll() is None or self.stopping:
                    continue
                self._restart(slot, process.returncode)
        self._shutdown()

    def _start(self, slot: dict) -> None:
        command = self.command + ([] if slot["periodic"] else ["--no-periodic"])
        slot["process"] = subprocess.Popen(command)  # noqa: S603  (our own manage.py)
        slot["started"] = time.monotonic()
        self.stderr.write(f"Worker huey n°{slot['n']} démarré (pid {slot['process'].pid}).")

    def _restart(self, slot: dict, code: int) -> None:
        how = f"tué par le signal {-code}" if code < 0 else f"code de sortie {code}"
        lived = time.monotonic() - slot["started"]
        slot["backoff"] = min(slot["backoff"] * 2, MAX_BACKOFF_SECONDS) if lived < QUICK_DEATH_SECONDS else 1.0
        self.stderr.write(
            self.style.WARNING(
                f"Le worker huey n°{slot['n']} (pid {slot['process'].pid}) s'est arrêté ({how}) : "
                f"redémarrage dans {slot['backoff']:.0f} s."
            )
        )
        deadline = time.monotonic() + slot["backoff"]
        while time.monotonic() < deadline and not self.stopping:
            time.sleep(0.1)
        if self.stopping:
            return
        self._start(slot)
        self._sweep()

    def _sweep(self) -> None:
        from django.db import close_old_connections

        from tenants.outbox.tasks import outbox_sweep_all

        try:
            details = outbox_sweep_all(older_than=0)
            self.stderr.write(f"Travaux en attente confiés de nouveau aux workers : {details['handed_over']}.")
        except Exception as exc:
            self.stderr.write(f"Reprise des travaux en attente impossible pour l'instant ({type(exc).__name__}).")
        finally:
            close_old_connections()

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def _shutdown(self) -> None:
        # SIGINT: huey finishes the tasks in hand
        processes_stop([slot["process"] for slot in self.slots], signum=signal.SIGINT, seconds=15)
        self.stderr.write("Workers huey arrêtés.")
