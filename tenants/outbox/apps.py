from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """The transactional outbox: in the public schema and in every territory's (shared and tenant app)."""

    name = "tenants.outbox"
    label = "outbox"
    verbose_name = _("Travaux en arrière-plan")
    default_auto_field = "django.db.models.BigAutoField"
