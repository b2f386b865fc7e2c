"""python manage.py territory_drift 29 [--pull catalogue:support-rh ...] [--pull-all] [--resolve ident=theirs]"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.management.commands.kit_export import territory_by_code
from core.services.drift import drift_rows, territory_drift_get, territory_drift_merge

STATUS_LABELS = {
    "local": "modifié dans le territoire",
    "update": "mise à jour du modèle",
    "conflict": "CONFLIT",
}


class Command(BaseCommand):
    help = (
        "Montre les écarts d'un territoire avec son modèle et récupère les mises à jour choisies "
        "(fusion à trois voies ; les conflits se tranchent avec --resolve)."
    )

    def add_arguments(self, parser):
        parser.add_argument("territory", help="Code du département ou identifiant.")
        parser.add_argument("--pull", nargs="*", default=[], help="Mises à jour à récupérer (section:clé).")
        parser.add_argument("--pull-all", action="store_true", help="Récupérer toutes les mises à jour sans conflit.")
        parser.add_argument(
            "--resolve",
            nargs="*",
            default=[],
            help="Conflits tranchés : section:clé=ours ou =theirs (tout l'élément), ou section:clé|chemin=theirs.",
        )

    def handle(self, *args, **options):
        territory = territory_by_code(options["territory"])
        try:
            drift = territory_drift_get(territory=territory)
            rows = drift_rows(drift)
            for row in [*rows["updates"], *rows["conflicts"], *rows["local"]]:
                self.stdout.write(f"{STATUS_LABELS[row['item'].status]:<28} {row['label']}  [{row['ident']}]")
                for field in row["fields"]:
                    mark = "  ⚠ " if field["conflict"] else "    "
                    self.stdout.write(
                        f"{mark}{field['label']} : territoire « {field['ours']} » ; modèle « {field['theirs']} »"
                    )
            if not drift.items:
                self.stdout.write("Aucun écart avec le modèle.")
            pull = set(options["pull"]) | ({item.ident for item in drift.updates} if options["pull_all"] else set())
            resolutions = dict(entry.rsplit("=", 1) for entry in options["resolve"] if "=" in entry)
            if pull or resolutions:
                report = territory_drift_merge(territory=territory, pull=pull, resolutions=resolutions)
                self.stdout.write(
                    self.style.SUCCESS(f"Récupéré : {len(report.pulled)} ; gardé tel quel : {len(report.kept)}.")
                )
        except ValidationError as exc:
            raise CommandError("; ".join(" ".join(errs) for errs in exc.message_dict.values())) from None
