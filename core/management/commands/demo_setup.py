"""python manage.py demo_setup: the demo territory (Ille-et-Vilaine), idempotently."""

from django.conf import settings
from django.core.management.base import BaseCommand

from core.services.demo import demo_setup


class Command(BaseCommand):
    help = "Crée ou met à jour le territoire de démonstration (Ille-et-Vilaine) et son compte administrateur."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **options):
        territory, credentials = demo_setup()
        port = options["port"]
        self.stdout.write(self.style.SUCCESS("Territoire de démonstration prêt."))
        self.stdout.write(f"  Site public      : http://{territory.primary_domain}:{port}/")
        self.stdout.write(f"  Administration   : http://{territory.primary_domain}:{port}/admin/")
        self.stdout.write(f"  Documentation API: http://{territory.primary_domain}:{port}/api/docs/")
        self.stdout.write(f"  Territoires      : http://localhost:{port}/")
        self.stdout.write(f"  Identifiant      : {credentials.username}")
        self.stdout.write(f"  Mot de passe     : {credentials.password}  (conservé dans var/demo-admin-password.txt)")
        if settings.PPE_OTP_REQUIRED:
            self.stdout.write(
                "  Double authentification : à la première connexion, scannez le QR code affiché avec une "
                "application d'authentification (FreeOTP, Aegis…) ; PPE_OTP_REQUIRED=0 make run s'en passe en local."
            )
