"""python manage.py territory_clone --from 35 --code 56 --name "Morbihan" [--sample-data] [--admin-email e-mail]"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.links import territory_url
from core.services.clone import first_admin_invite
from tenants.models import Territory
from tenants.services import territory_clone

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Clone la configuration d'un territoire (workflows, formulaires, catalogue, pages, rôles, réglages des "
        "pôles) dans un nouveau territoire, sans dossiers ni données personnelles."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="source",
            default="",
            help="Code du territoire à cloner, ou « modele » pour le modèle (par défaut : le modèle).",
        )
        parser.add_argument("--code", required=True, help="Code du département du nouveau territoire (ex. : 56).")
        parser.add_argument("--name", required=True, help="Nom du nouveau territoire.")
        parser.add_argument("--slug", help="Identifiant (par défaut, tiré du nom).")
        parser.add_argument("--domain", help="Nom d'hôte (par défaut <identifiant>.localhost).")
        parser.add_argument(
            "--sample-data", action="store_true", help="Ajouter des données d'exemple (structures, opérateurs)."
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publier le site tout de suite (par défaut, le clone d'un territoire reste un brouillon à adapter).",
        )
        parser.add_argument(
            "--admin-email",
            dest="admin_email",
            default="",
            help="Courriel de la première administratrice ou du premier administrateur, invité(e) : le lien "
            "d'invitation est affiché (et envoyé par courriel), jamais un mot de passe.",
        )
        parser.add_argument("--admin-first-name", default="", help="Son prénom.")
        parser.add_argument("--admin-last-name", default="", help="Son nom.")
        parser.add_argument(
            "--port", default="", help="Port du serveur, pour l'adresse affichée (par défaut : PPE_URL_PORT)."
        )

    def _progress(self, step: int, total: int, label: str) -> None:
        done = BAR_WIDTH * (step - 1) // total
        self.stdout.write(f"[{'#' * done}{'.' * (BAR_WIDTH - done)}] {step}/{total} {label}…")

    def handle(self, *args, **options):
        source = None
        wanted = (options["source"] or "").strip()
        if wanted and wanted.lower() not in ("modele", "template"):
            source = Territory.objects.filter(code=wanted.upper()).first()
            if source is None:
                raise CommandError(f"Territoire source inconnu : {wanted}")
        started = time.perf_counter()
        try:
            territory = territory_clone(
                code=options["code"],
                name=options["name"],
                slug=options["slug"],
                domain=options["domain"],
                source=source,
                sample_data=options["sample_data"],
                draft=False if options["publish"] else None,
                progress=self._progress,
            )
        except ValidationError as exc:
            messages = "; ".join(f"{field} : {' '.join(errs)}" for field, errs in exc.message_dict.items())
            raise CommandError(messages) from None
        elapsed = time.perf_counter() - started
        self.stdout.write(f"[{'#' * BAR_WIDTH}] terminé")
        if options["port"]:
            settings.PPE_URL_PORT = options["port"]
        home = territory_url("/", territory)
        self.stdout.write(
            self.style.SUCCESS(
                f"Territoire « {territory.name} » ({territory.code}) cloné depuis « {territory.cloned_from} » en "
                f"{elapsed:.2f} s — schéma {territory.schema_name}, adresse {home}"
            )
        )
        if territory.is_draft:
            self.stdout.write(
                "Son site est un brouillon, invisible du public : adaptez ce qui nomme le territoire d'origine "
                "(liste dans l'administration de la plateforme), puis "
                f"« manage.py territory_publish {territory.code} »."
            )
        if options["admin_email"]:
            link, error = first_admin_invite(
                territory=territory,
                email=options["admin_email"],
                first_name=options["admin_first_name"],
                last_name=options["admin_last_name"],
                actor="manage.py territory_clone",
            )
            if error:
                self.stderr.write(error)
            else:
                self.stdout.write(
                    f"{options['admin_email']} est invité(e) comme administratrice ou administrateur du "
                    f"territoire (courriel envoyé). Lien d'invitation à lui transmettre : {link}"
                )
