from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Plateforme")

    def ready(self) -> None:
        from core import auth_audit, checks, receivers  # noqa: F401  (checks, provisioning and sign-in receivers)
        from core.engine import engine_register

        engine_register()
