"""The one plugin manager of the platform.

Poles are Django apps whose AppConfig derives from `core.poles.PoleConfig`: the in-tree ones are listed in
settings, others join through the `ppe.poles` entry-point group (see `core.settings.base`). Each pole's hooks
module is registered under its pole code; the platform's internal plugins (the CMS) are always on.
"""

from __future__ import annotations

import functools
from importlib import import_module
from typing import Any

import pluggy
from django.apps import apps
from django.conf import settings
from django.db import connection

from core import hookspecs
from core.poles import PoleConfig

PROJECT = "ppe"
hookimpl = pluggy.HookimplMarker(PROJECT)


@functools.cache
def plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for pole in poles().values():
        pm.register(import_module(pole.get_hooks_module()), name=pole.pole_code)
    for module_path in settings.PPE_INTERNAL_PLUGINS:
        pm.register(import_module(module_path), name=module_path)
    return pm


def poles() -> dict[str, PoleConfig]:
    """Every installed pole, by code, in settings order."""
    return {
        config.pole_code: config
        for config in apps.get_app_configs()
        if isinstance(config, PoleConfig) and config.pole_code
    }


def disabled_poles(territory: Any | None = None) -> frozenset[str]:
    """The poles switched off in a territory (the current one by default). Cached on the territory object,
    which lives as long as its request."""
    territory = territory if territory is not None else getattr(connection, "tenant", None)
    if territory is None or getattr(territory, "pk", None) is None:
        return frozenset()
    cached = getattr(territory, "_ppe_disabled_poles", None)
    if cached is None:
        from tenants.selectors import territory_disabled_poles

        cached = frozenset(territory_disabled_poles(territory=territory))
        territory._ppe_disabled_poles = cached
    return cached


def active_poles(territory: Any | None = None) -> dict[str, PoleConfig]:
    off = disabled_poles(territory)
    return {code: config for code, config in poles().items() if code not in off}


def pole_enabled(code: str, territory: Any | None = None) -> bool:
    return code in poles() and code not in disabled_poles(territory)


def case_transitioned_listened(workflow_code: str, territory: Any | None = None) -> bool:
    """Whether an active pole's `case_transitioned` reacts to the transitions of `workflow_code`: a pole's hooks
    module may declare `CASE_TRANSITIONED_WORKFLOWS` (the workflow codes it reacts to); without it, every
    workflow."""
    disabled = disabled_poles(territory)
    for impl in plugin_manager().hook.case_transitioned.get_hookimpls():  # a few, read at each call
        if impl.plugin_name in disabled:
            continue
        declared = getattr(impl.plugin, "CASE_TRANSITIONED_WORKFLOWS", None)
        if declared is None or workflow_code in declared:
            return True
    return False


class TerritoryHooks:
    """`hooks().<name>(**kwargs)`: call a hook with the territory's switched-off poles left out."""

    def __init__(self, disabled: frozenset[str]) -> None:
        self._disabled = disabled

    def __getattr__(self, name: str) -> Any:
        return _subset_caller(name, self._disabled)


@functools.cache
def _subset_caller(name: str, disabled: frozenset[str]) -> Any:
    pm = plugin_manager()
    caller = getattr(pm.hook, name)
    removed = [plugin for code in disabled if (plugin := pm.get_plugin(code)) is not None]
    if not removed:
        return caller
    return pm.subset_hook_caller(name, remove_plugins=removed)


def hooks(territory: Any | None = None) -> TerritoryHooks:
    return TerritoryHooks(disabled_poles(territory))


def results_by_pole(name: str, territory: Any | None = None, **kwargs: Any) -> dict[str, Any]:
    """Call a hook once per active plugin and key each answer by the plugin's name (the pole code)."""
    off = disabled_poles(territory)
    caller = getattr(plugin_manager().hook, name)
    results: dict[str, Any] = {}
    for impl in reversed(caller.get_hookimpls()):
        if impl.plugin_name in off:
            continue
        args = {arg: kwargs[arg] for arg in impl.argnames}
        result = impl.function(**args)
        if result is not None:
            results[impl.plugin_name] = result
    return results


def pole_settings(code: str, territory: Any | None = None) -> dict[str, Any]:
    """A pole's settings in a territory (the current one by default): its defaults overlaid with what the
    territory's admin stored. Cached on the territory object, like the switches."""
    config = poles()[code]
    territory = territory if territory is not None else getattr(connection, "tenant", None)
    stored: dict[str, Any] = {}
    if territory is not None and getattr(territory, "pk", None) is not None:
        cache = getattr(territory, "_ppe_pole_settings", None)
        if cache is None:
            from tenants.selectors import territory_poles

            cache = {pole: stored for pole, (_, stored) in territory_poles(territory=territory).items()}
            territory._ppe_pole_settings = cache
        stored = cache.get(code) or {}
    return {**config.default_settings, **{k: v for k, v in stored.items() if k in config.default_settings}}
