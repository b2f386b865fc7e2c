"""What a pole is, as the core sees it: a Django app whose AppConfig derives from PoleConfig."""

from __future__ import annotations

from django.apps import AppConfig


class PoleConfig(AppConfig):
    """Base AppConfig of a pole. `pole_code` names the pole everywhere (settings, API, territory switches);
    `hooks_module` is the module that holds its `@hookimpl` functions, registered under that code."""

    pole_code: str = ""
    pole_label: str = ""
    pole_description: str = ""
    hooks_module: str = ""
    default_settings: dict = {}
    # How each setting is shown and checked, by key: {"label": French label, "help": help text, "min": …,
    # "max": … (numbers; for a dictionary, each of its values), "choices": [(value, French label), …] (texts),
    # "keys": [...] (a dictionary's keys, all required)}. A key without a spec gets its name as label.
    settings_spec: dict = {}

    def get_hooks_module(self) -> str:
        return self.hooks_module or f"{self.name}.hooks"
