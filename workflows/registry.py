"""What the engine needs from the layers above it, registered by them at start-up (the engine imports none).

The core calls these registration functions in its AppConfig.ready:
- `reference_source_register(code, label, items)`: a built-in reference list (structures, networks...),
  `items()` returns `[(value, label), ...]` read in the current territory's schema;
- `guard_functions_provider_register(provider)`: `provider()` returns `{name: callable}` for the current
  territory (the poles' `guard_functions` hook), called when a version's guards are compiled.
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
