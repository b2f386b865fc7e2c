"""python manage.py run_setup: what `make run` does before serving, in one process (one start of Django less).

The schemas that are behind are migrated (`migrate_territories`: one query when nothing is pending, whatever the
number of territories), then the demo territory is made or brought up to date (`demo_setup`).

With `--serve ADDR` (what `make run` passes), the same process then starts the huey workers (`run_workers`, in a
process of their own, which restarts a consumer that dies) and serves on ADDR with Django's development server:
one start of Django less than running the setup and the server apart (measured with 101 territories by
`bench/scale.py`'s `startup_s`). The server's autoreloader starts this command again in a child process
(`RUN_MAIN`): that one only serves, the setup and the workers being the parent's.
"""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

from core.management.commands.run_workers import MANAGE
from core.processes import processes_stop


class Command(BaseCommand):
    help = (
        "Prépare le lancement : migrations en attente (seulement les schémas en retard), puis la démonstration ; "
        "avec --serve, lance ensuite les workers et le serveur de développement."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--serve", metavar="ADRESSE", help="Servir ensuite sur cette adresse (ex. 0.0.0.0:8000).")

    def handle(self, *args, **options):
        reloaded = os.environ.get("RUN_MAIN") == "true"  # the autoreloader's child: only the server
        workers = None
        if not reloaded:
            settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
            (settings.VAR_DIR / "dev-port.txt").write_text(f"{options['port']}\n")  # links of dev e-mails (dev.py)
            call_command("migrate_territories", verbosity=max(0, options["verbosity"] - 1), stdout=self.stdout)
            call_command("demo_setup", port=options["port"], stdout=self.stdout)
        if not options["serve"]:
            return
        connections.close_all()  # the server's threads open their own
        if not reloaded:
            workers = subprocess.Popen([sys.executable, str(MANAGE), "run_workers"])  # noqa: S603 (our own command)
        try:
            call_command("runserver", options["serve"])
        finally:
            processes_stop([workers], seconds=20)
