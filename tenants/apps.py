from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Territoires")

    def ready(self) -> None:
        from tenants import tasks  # noqa: F401  (registers the huey hooks)
        from tenants.hosts import host_cache_connect

        host_cache_connect()
