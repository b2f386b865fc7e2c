"""What the core lends the workflow engine: the built-in reference lists and the poles' guard functions.

`engine_register()` runs once in CoreConfig.ready (the engine never imports the core).
"""

from __future__ import annotations

from typing import Any

from workflows.registry import guard_functions_provider_register, reference_source_register


def _structures() -> list[tuple[str, str]]:
    from core.models import Structure

    return [(str(pk), f"{name} ({commune})") for pk, name, commune in
            Structure.objects.filter(is_active=True).values_list("pk", "name", "commune")]  # fmt: skip


def _networks() -> list[tuple[str, str]]:
    from core.models import Network

    return [(str(n.pk), str(n)) for n in Network.objects.all()]


def _operators() -> list[tuple[str, str]]:
    from core.models import Operator

    return [(str(pk), name) for pk, name in Operator.objects.filter(is_active=True).values_list("pk", "name")]


def _catalogue_services() -> list[tuple[str, str]]:
    from core.models import CatalogueService

    return list(CatalogueService.objects.filter(is_active=True).values_list("code", "title"))


def _guard_functions() -> dict[str, Any]:
    from core.plugins import hooks

    functions: dict[str, Any] = {}
    for answer in hooks().guard_functions():
        functions.update(answer or {})
    return functions


def engine_register() -> None:
    reference_source_register("structures", "Structures", _structures)
    reference_source_register("networks", "Réseaux et fédérations", _networks)
    reference_source_register("operators", "Opérateurs ESS", _operators)
    reference_source_register("catalogue_services", "Services du catalogue", _catalogue_services)
    guard_functions_provider_register(_guard_functions)
