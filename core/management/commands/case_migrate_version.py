"""Move a workflow's open cases to its published version, mapping states that changed."""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from core.models import Case
from core.services.cases import case_migrate_version
from tenants.models import Territory
from workflows.exceptions import WorkflowError
from workflows.selectors import workflow_published_version


class Command(BaseCommand):
    help = "Passe les dossiers ouverts d'un workflow sur sa version publiée (avec une correspondance d'états)."

    def add_arguments(self, parser):
        parser.add_argument("--territory", required=True, help="Code du département.")
        parser.add_argument("--workflow", required=True, help="Code du workflow.")
        parser.add_argument(
            "--map", action="append", default=[], metavar="ANCIEN=NOUVEAU", help="Correspondance d'états."
        )

    def handle(self, *args, territory, workflow, map, **options):
        mapping = {}
        for item in map:
            old, sep, new = item.partition("=")
            if not sep or not old or not new:
                raise CommandError(f"Correspondance illisible « {item} » : ANCIEN=NOUVEAU attendu.")
            mapping[old] = new
        place = Territory.objects.filter(code=territory).first()
        if place is None:
            raise CommandError(f"Territoire « {territory} » inconnu.")
        with schema_context(place.schema_name):
            version = workflow_published_version(code=workflow)
            if version is None:
                raise CommandError(f"Workflow « {workflow} » inconnu ou sans version publiée.")
            cases = Case.objects.filter(workflow=version.definition, closed_at__isnull=True).exclude(
                workflow_version=version
            )
            try:
                events = case_migrate_version(cases=list(cases), to_version=version, state_mapping=mapping, actor=None)
            except WorkflowError as exc:
                raise CommandError(exc.message) from None
        self.stdout.write(f"{len(events)} dossier(s) passé(s) en version {version.number}.")
