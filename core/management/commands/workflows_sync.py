"""Import and publish the poles' shipped workflows in territories; an admin's changes are never overwritten."""

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from core.services.workflows import workflows_sync
from tenants.models import Territory


class Command(BaseCommand):
    help = "Importe et publie les workflows livrés par les pôles (sans écraser les modifications locales)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--territory", action="append", help="Code du département (tous par défaut, modèle compris)."
        )

    def handle(self, *args, territory=None, **options):
        territories = Territory.objects.exclude(schema_name="public")
        if territory:
            territories = territories.filter(code__in=territory)
        failed = False
        for item in territories.order_by("schema_name"):
            with schema_context(item.schema_name):
                report = workflows_sync()
            self.stdout.write(
                f"{item}: créés {report.created or '-'} ; mis à jour {report.updated or '-'} ; "
                f"inchangés {len(report.unchanged)}"
            )
            for code in report.conflicts:
                message = f"  conflit : « {code} » a été modifié ici et le pôle en livre une nouvelle version ; "
                self.stdout.write(self.style.WARNING(message + "rien n'a été écrasé."))
            for path, errors in report.errors.items():
                failed = True
                self.stderr.write(self.style.ERROR(f"  {path} : {' '.join(errors)}"))
        if failed:
            raise SystemExit(1)
