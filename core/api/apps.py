from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API as its own tenant app (label `api`): tokens, idempotency records and webhooks live in each
    territory's schema, with migrations of their own."""

    name = "core.api"
    label = "api"
    verbose_name = _("API")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.api import schema  # noqa: F401  (registers the token security scheme with drf-spectacular)
        from core.api.webhooks import subscribed_events

        subscribed_events.connect()
