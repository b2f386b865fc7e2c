"""python manage.py kit_import kit.tar.gz --territory 56   |   --code 56 --name Morbihan (creates it first)"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.kit.archive import KitError
from core.management.commands.kit_export import territory_by_code
from core.services.kit import kit_import
from tenants.services import public_territory_ensure, template_ensure, territory_clone


class Command(BaseCommand):
    help = (
        "Importe un kit de territoire : la configuration du territoire devient celle du kit. Un kit endommagé "
        "ou d'une autre version est refusé et rien ne change."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="Le kit (tar.gz) à importer.")
        parser.add_argument("--territory", help="Territoire existant qui reçoit le kit (code ou identifiant).")
        parser.add_argument("--code", help="Code d'un nouveau territoire à créer pour ce kit.")
        parser.add_argument("--name", help="Nom du nouveau territoire.")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Avec --code : publier le site tout de suite (par défaut, il reste un brouillon à adapter).",
        )
        parser.add_argument(
            "--admin-email",
            help="Inviter cette personne comme première administratrice ou premier administrateur du territoire "
            "(elle reçoit un lien pour choisir son mot de passe ; le lien s'affiche aussi ici).",
        )
        parser.add_argument("--admin-first-name", default="", help="Prénom de la personne invitée.")
        parser.add_argument("--admin-last-name", default="", help="Nom de la personne invitée.")

    def handle(self, *args, **options):
        path = Path(options["archive"])
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        if bool(options["territory"]) == bool(options["code"]):
            raise CommandError("Indiquez soit --territory (territoire existant), soit --code et --name (nouveau).")
        if options["code"]:
            # A fresh installation has neither the public row nor the template yet: build them first (the
            # template's migrations cannot run inside the import's transaction).
            public_territory_ensure()
            template_ensure()
        try:
            with transaction.atomic():
                if options["territory"]:
                    territory = territory_by_code(options["territory"])
                else:
                    territory = territory_clone(
                        code=options["code"], name=options["name"] or "", draft=not options["publish"]
                    )
                report = kit_import(territory=territory, archive=path.read_bytes())
        except KitError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(" ".join(errs) for errs in exc.message_dict.values())) from None
        summary = ", ".join(f"{code} : {count}" for code, count in report.sections.items())
        self.stdout.write(self.style.SUCCESS(f"Kit importé dans « {territory.name} » ({summary})."))
        territory.refresh_from_db()
        if options["admin_email"]:
            from core.services.clone import first_admin_invite

            link, error = first_admin_invite(
                territory=territory,
                email=options["admin_email"],
                first_name=options["admin_first_name"],
                last_name=options["admin_last_name"],
            )
            if error:
                self.stderr.write(error)
            else:
                self.stdout.write(f"Invitation envoyée à {options['admin_email']} ; lien (valable 7 jours) : {link}")
        if territory.is_draft:
            self.stdout.write(
                "Le site est un brouillon : adaptez ce qui nomme le territoire d'origine, puis publiez-le "
                f"(manage.py territory_publish {territory.code}, ou l'administration de la plateforme)."
            )
