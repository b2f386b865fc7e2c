"""python manage.py run_setup: what `make run` does before serving, in one process (one start of Django less).

The schemas that are behind are migrated (`migrate_territories`: one query when nothing is pending, whatever the
number of territories), then the demo territory is made or brought up to date (`demo_setup`).
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prépare le lancement : migrations en attente (seulement les schémas en retard), puis la démonstration."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **options):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        (settings.VAR_DIR / "dev-port.txt").write_text(f"{options['port']}\n")  # links of dev e-mails (dev.py)
        call_command("migrate_territories", verbosity=max(0, options["verbosity"] - 1), stdout=self.stdout)
        call_command("demo_setup", port=options["port"], stdout=self.stdout)
