"""python manage.py territory_publish 56: put a draft territory's site online."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Territory
from tenants.services import territory_publish


class Command(BaseCommand):
    help = "Publie le site d'un territoire brouillon (un clone pas encore publié)."

    def add_arguments(self, parser):
        parser.add_argument("territory", help="Code du département ou identifiant.")

    def handle(self, *args, **options):
        wanted = options["territory"].strip()
        territory = (
            Territory.objects.filter(code=wanted.upper()).first()
            or Territory.objects.filter(slug=wanted.lower()).first()
        )
        if territory is None:
            raise CommandError(f"Territoire inconnu : {wanted}")
        try:
            territory_publish(territory=territory)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Le site de « {territory.name} » est en ligne."))
