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
