"""Reading the environment: every setting that comes from outside is parsed here, with a clear error."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


class ConfigError(ImproperlyConfigured):
    """A setting read from the environment is missing or malformed (a one-line, user-facing message)."""


_TRUE = {"1", "true", "yes", "on", "oui"}
_FALSE = {"0", "false", "no", "off", "non", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ConfigError(f"La variable d'environnement {name} est obligatoire et n'est pas définie.")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} n'est pas un booléen (attendu : true/false, 1/0, yes/no).")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} n'est pas un nombre entier.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, *, schemes: tuple[str, ...]) -> str | None:
    """Return the URL in `name`, or None when unset; raise ConfigError when it is not a usable URL."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in schemes:
        raise ConfigError(
            f"{name} est invalide : schéma {parts.scheme or '(absent)'!r}, attendu l'un de "
            f"{', '.join(schemes)} (exemple : {schemes[0]}://utilisateur:motdepasse@hôte:port/base)."
        )
    if not (parts.hostname or "host=" in parts.query) or (
        schemes[0].startswith("postgres") and not parts.path.strip("/")
    ):
        raise ConfigError(f"{name} est invalide : il manque l'hôte ou le nom de la base ({_redact(raw)}).")
    try:
        _ = parts.port
    except ValueError:
        raise ConfigError(f"{name} est invalide : le port n'est pas un nombre ({_redact(raw)}).") from None
    return raw.strip()


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
