"""System checks: a misspelled or mistyped hook implementation stops `manage.py check` (and every start)."""

from __future__ import annotations

from django.core import checks


@checks.register()
def plugin_hooks_check(app_configs=None, **kwargs):
    from pluggy import PluginValidationError

    from core.plugins import plugin_manager

    try:
        plugin_manager().check_pending()
    except PluginValidationError as exc:
        return [checks.Error(f"Hook de pôle invalide : {exc}", id="ppe.E001")]
    return []


@checks.register(checks.Tags.security)
def views_declare_access_check(app_configs=None, **kwargs):
    """Every routed view of the platform's own packages declares who may use it (`tenants.access`): the
    territories' URLs (back office, portals, API) and the public host's."""
    from django.conf import settings

    from tenants.access import undeclared_views

    errors = []
    for urlconf in dict.fromkeys((settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF)):
        errors += [
            checks.Error(
                f"La vue {route} ne déclare pas qui peut l'utiliser : elle est refusée à tous.",
                hint="@access(rôles…) (tenants.access), required_roles (API) ou une politique de permissions.",
                id="ppe.E002",
            )
            for route in undeclared_views(urlconf)
        ]
    return errors
