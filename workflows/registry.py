"""What the engine needs from the layers above it, registered by them at start-up (the engine imports none).

The core calls these registration functions in its AppConfig.ready:
- `reference_source_register(code, label, items)`: a built-in reference list (structures, networks...),
  `items()` returns `[(value, label), ...]` read in the current territory's schema;
- `guard_functions_provider_register(provider)`: `provider()` returns `{name: callable}` for the current
  territory (the poles' `guard_functions` hook), called when a version's guards are compiled;
- `upload_checker_register(checker)`: `checker(file, *, content_types, max_bytes)` judges an uploaded file by
  its bytes and returns its real content type, or raises a French `ValidationError` (the core's upload
  validator); a form's file fields accept nothing until one is registered;
- `choices_provider_register(kind, provider)`: the choices the definition screens offer (`roles`,
  `actions`, `file_types`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReferenceSource:
    code: str
    label: str
    items: Callable[[], list[tuple[str, str]]]


_reference_sources: dict[str, ReferenceSource] = {}
_guard_functions_providers: list[Callable[[], dict[str, Any]]] = []


def reference_source_register(code: str, label: str, items: Callable[[], list[tuple[str, str]]]) -> None:
    _reference_sources[code] = ReferenceSource(code=code, label=label, items=items)


def reference_sources() -> dict[str, ReferenceSource]:
    return dict(_reference_sources)


def guard_functions_provider_register(provider: Callable[[], dict[str, Any]]) -> None:
    if provider not in _guard_functions_providers:
        _guard_functions_providers.append(provider)


def guard_functions() -> dict[str, Any]:
    """The functions a guard or condition may call: the engine's own (`workflows.values.ENGINE_FUNCTIONS`:
    `date("AAAA-MM-JJ")`, `days_between(a, b)`) and those the layers above provide."""
    from workflows.values import ENGINE_FUNCTIONS

    functions: dict[str, Any] = dict(ENGINE_FUNCTIONS)
    for provider in _guard_functions_providers:
        functions.update(provider() or {})
    return functions


# Choices offered by the definition screens (roles of the territory, named transition actions), provided by
# the layers above: `choices_provider_register("roles", provider)`, `provider()` → `[(code, label), ...]`.
_choices_providers: dict[str, list[Callable[[], list[tuple[str, str]]]]] = {}


def choices_provider_register(kind: str, provider: Callable[[], list[tuple[str, str]]]) -> None:
    providers = _choices_providers.setdefault(kind, [])
    if provider not in providers:
        providers.append(provider)


def choices(kind: str) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for provider in _choices_providers.get(kind, []):
        for code, label in provider() or []:
            found.setdefault(str(code), str(label))
    return list(found.items())


# How a form's file field judges a file (by its bytes): the core's upload validator, registered at start-up.
_upload_checker: list[Callable[..., str]] = []


def upload_checker_register(checker: Callable[..., str]) -> None:
    _upload_checker[:] = [checker]


def upload_check(file: Any, *, content_types: list[str], max_bytes: int | None) -> str:
    """The real content type of an uploaded file, checked by its bytes against `content_types` (the
    platform's default list when empty) and `max_bytes`; raises a French ValidationError otherwise."""
    if not _upload_checker:
        from django.core.exceptions import ValidationError

        raise ValidationError("Les fichiers ne peuvent pas être vérifiés sur cette installation : envoi refusé.")
    return _upload_checker[0](file, content_types=content_types, max_bytes=max_bytes)
