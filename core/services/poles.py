"""Switching a territory's poles on and off and editing their settings (rows of the public schema)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core.plugins import poles
from tenants.models import Territory, TerritoryPole

logger = logging.getLogger("ppe.poles")

_TYPE_NAMES = {
    bool: "oui ou non",
    int: "un nombre entier",
    float: "un nombre",
    str: "un texte",
    list: "une liste de textes",
    dict: "un dictionnaire",
}


def _type_ok(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, type(default))


def pole_settings_validate(*, pole: str, settings: Any) -> dict[str, Any]:
    """Check settings against the pole's `default_settings` (same keys, same types); French errors, one per
    setting. Returns the settings to store."""
    config = poles().get(pole)
    if config is None:
        raise ValidationError({"pole": f"Pôle inconnu : « {pole} »."})
    if not isinstance(settings, dict):
        raise ValidationError({"settings": "Les réglages doivent être un dictionnaire (clé : valeur)."})
    defaults = config.default_settings
    specs = getattr(config, "settings_spec", {}) or {}
    errors: dict[str, str] = {}
    for key, value in settings.items():
        label = (specs.get(key) or {}).get("label") or key
        if key not in defaults:
            errors[key] = f"Réglage inconnu pour le pôle {config.pole_label} : « {key} »."
        elif not _type_ok(defaults[key], value):
            expected = _TYPE_NAMES.get(type(defaults[key]), type(defaults[key]).__name__)
            errors[key] = f"Le réglage « {label} » doit être {expected}."
        elif message := _spec_error(specs.get(key) or {}, value):
            errors[key] = f"Le réglage « {label} » {message}"
    if errors:
        raise ValidationError(errors)
    return dict(settings)


def _fr_number(value: Any) -> str:
    return str(value).replace(".", ",")


def _range_error(spec: dict[str, Any], value: Any) -> str:
    low, high = spec.get("min"), spec.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return f"doit être compris entre {_fr_number(low)} et {_fr_number(high)}."
        return f"doit être au moins {_fr_number(low)}." if low is not None else f"doit être au plus {_fr_number(high)}."
    return ""


def _spec_error(spec: dict[str, Any], value: Any) -> str:  # noqa: PLR0911 (one return a rule)
    """What is wrong with a setting of the right type, against its spec (PoleConfig.settings_spec); '' if
    nothing. The message follows « Le réglage « label » »."""
    if choices := spec.get("choices"):
        allowed = {str(code): str(label) for code, label in choices}
        if value not in allowed:
            return "doit être l'un de : " + ", ".join(f"« {label} »" for label in allowed.values()) + "."
        return ""
    if spec.get("email") and value:
        try:
            validate_email(value)
        except ValidationError:
            return "doit être une adresse électronique valide."
        return ""
    if isinstance(value, dict):
        keys = list(spec.get("keys") or [])
        if keys and sorted(value) != sorted(keys):
            return "doit avoir exactement les clés " + ", ".join(f"« {k} »" for k in keys) + "."
        for item_key, item in value.items():
            if isinstance(item, bool) or not isinstance(item, int | float):
                return f"doit donner un nombre pour « {item_key} »."
            if message := _range_error(spec, item):
                return f"« {item_key} » {message}"
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _range_error(spec, value)
    return ""


@transaction.atomic
def territory_pole_configure(
    *, territory: Territory, pole: str, enabled: bool, settings: dict[str, Any] | None = None, actor: Any
) -> TerritoryPole:
    """Switch a pole on or off in a territory and store its settings (validated against its defaults)."""
    cleaned = pole_settings_validate(pole=pole, settings=settings or {})
    row, _ = TerritoryPole.objects.update_or_create(
        territory=territory, pole=pole, defaults={"enabled": enabled, "settings": cleaned}
    )
    for cached in ("_ppe_disabled_poles", "_ppe_pole_settings"):
        if hasattr(territory, cached):
            delattr(territory, cached)
    logger.info(
        "territory %s: pole %s %s by %s, settings %s",
        territory.schema_name,
        pole,
        "on" if enabled else "off",
        getattr(actor, "username", actor),
        cleaned,
    )
    return row
