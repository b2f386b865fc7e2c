"""python manage.py territory_create --code 22 --name "Côtes-d'Armor" [--slug ...] [--domain ...]"""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Territory
from tenants.services import territory_create


class Command(BaseCommand):
    help = "Crée un territoire en clonant le schéma d'un modèle (sans rejouer les migrations)."

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="Code du département (ex. : 22, 2A).")
        parser.add_argument("--name", required=True, help="Nom du territoire.")
        parser.add_argument("--slug", help="Identifiant (par défaut, tiré du nom).")
        parser.add_argument("--domain", help="Nom d'hôte (par défaut <identifiant>.localhost).")
        parser.add_argument("--from", dest="source", help="Code du territoire à cloner (par défaut : le modèle).")
        parser.add_argument("--sample-data", action="store_true", help="Ajouter des données d'exemple.")
        parser.add_argument("--port", default="8000", help="Port du serveur, pour l'adresse affichée.")

    def handle(self, *args, **options):
        source = None
        if options["source"]:
            source = Territory.objects.filter(code=options["source"].upper()).first()
            if source is None:
                raise CommandError(f"Territoire source inconnu : {options['source']}")
        started = time.perf_counter()
        try:
            territory = territory_create(
                code=options["code"],
                name=options["name"],
                slug=options["slug"],
                domain=options["domain"],
                source=source,
                sample_data=options["sample_data"],
            )
        except ValidationError as exc:
            messages = "; ".join(f"{field} : {' '.join(errs)}" for field, errs in exc.message_dict.items())
            raise CommandError(messages) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Territoire « {territory.name} » ({territory.code}) créé en {elapsed:.2f} s "
                f"— schéma {territory.schema_name}, hôte http://{territory.primary_domain}:{options['port']}/"
            )
        )
