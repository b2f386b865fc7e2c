"""python manage.py territory_backup 35 [-o sauvegarde-35.tar.gz] (the file is readable by its owner only)"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.backup import BackupError, backup_file_write, territory_backup
from tenants.models import Territory


class Command(BaseCommand):
    help = "Sauvegarde un territoire : son schéma PostgreSQL (pg_dump) et ses fichiers, dans une archive."

    def add_arguments(self, parser):
        parser.add_argument("territory", help="Code du département, identifiant, ou « template » pour le modèle.")
        parser.add_argument("-o", "--output", help="Fichier à écrire (par défaut sauvegarde-<identifiant>.tar.gz).")

    def handle(self, *args, **options):
        wanted = options["territory"].strip()
        territory = (
            Territory.objects.filter(code=wanted.upper()).first()
            or Territory.objects.filter(slug=wanted.lower()).first()
            or Territory.objects.filter(schema_name=wanted).exclude(schema_name="public").first()
        )
        if territory is None:
            raise CommandError(f"Territoire inconnu : {wanted}")
        path = Path(options["output"] or f"sauvegarde-{territory.slug}.tar.gz")
        try:
            data = territory_backup(territory=territory)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        backup_file_write(path, data)  # readable by its owner only: it holds everyone's data
        self.stdout.write(
            self.style.SUCCESS(f"Sauvegarde de « {territory.name} » écrite dans {path} ({len(data)} octets).")
        )
