from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Plateforme")

    def ready(self) -> None:
        from core import checks, receivers  # noqa: F401  (system checks, provisioning receivers)
        from core.engine import engine_register

        engine_register()
