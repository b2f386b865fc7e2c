"""python manage.py territory_restore sauvegarde-35.tar.gz [--code 56 --name Morbihan --domain morbihan.localhost]"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.backup import BackupError, territory_restore


class Command(BaseCommand):
    help = (
        "Restaure un territoire depuis sa sauvegarde (schéma et fichiers), dans cette installation ou une "
        "installation neuve ; --code le restaure sous un autre code (schéma renommé) si l'original est pris."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="La sauvegarde (tar.gz) à restaurer.")
        parser.add_argument("--code", help="Restaurer sous ce code de département (schéma dep_<code>).")
        parser.add_argument("--name", help="Nom du territoire restauré (par défaut, celui de la sauvegarde).")
        parser.add_argument("--slug", help="Identifiant du territoire restauré (par défaut, tiré du nom).")
        parser.add_argument("--domain", help="Nom d'hôte du territoire restauré.")
        parser.add_argument("--port", default="8000", help="Port du serveur, pour l'adresse affichée.")

    def handle(self, *args, **options):
        path = Path(options["archive"])
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        try:
            territory = territory_restore(
                archive=path.read_bytes(),
                code=options["code"],
                name=options["name"],
                slug=options["slug"],
                domain=options["domain"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(" ".join(errs) for errs in exc.message_dict.values())) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Territoire « {territory.name} » restauré — schéma {territory.schema_name}, "
                f"hôte http://{territory.primary_domain}:{options['port']}/"
            )
        )
