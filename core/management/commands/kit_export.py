"""python manage.py kit_export 35 [-o kit-35.tar.gz]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.services.kit import kit_export, kit_folder_export
from tenants.models import Territory


def territory_by_code(code: str) -> Territory:
    wanted = code.strip()
    territory = (
        Territory.objects.filter(code=wanted.upper()).first()
        or Territory.objects.filter(slug=wanted.lower()).first()
        or Territory.objects.filter(schema_name=wanted).exclude(schema_name="public").first()
    )
    if territory is None:
        raise CommandError(f"Territoire inconnu : {code}")
    return territory


class Command(BaseCommand):
    help = "Exporte la configuration d'un territoire dans un kit (archive tar.gz : YAML lisible et fichiers)."

    def add_arguments(self, parser):
        parser.add_argument("territory", help="Code du département, identifiant, ou « template » pour le modèle.")
        parser.add_argument("-o", "--output", help="Fichier à écrire (par défaut kit-<identifiant>.tar.gz).")
        parser.add_argument(
            "--folder", help="Écrire le kit dépaqueté dans ce dossier (YAML lisible), comme le kit de démonstration."
        )
        parser.add_argument("--sections", nargs="*", help="Avec --folder : seulement ces sections (codes).")

    def handle(self, *args, **options):
        territory = territory_by_code(options["territory"])
        if options["folder"]:
            folder = Path(options["folder"])
            kit_folder_export(territory=territory, folder=folder, sections=options["sections"])
            self.stdout.write(self.style.SUCCESS(f"Kit de « {territory.name} » écrit dans le dossier {folder}."))
            return
        path = Path(options["output"] or f"kit-{territory.slug}.tar.gz")
        data = kit_export(territory=territory)
        path.write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"Kit de « {territory.name} » écrit dans {path} ({len(data)} octets)."))
