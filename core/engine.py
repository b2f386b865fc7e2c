"""What the core lends the workflow engine: the built-in reference lists and the poles' guard functions.

`engine_register()` runs once in CoreConfig.ready (the engine never imports the core).
"""

from __future__ import annotations

from typing import Any

from workflows.registry import (
    choices_provider_register,
    guard_functions_provider_register,
    reference_source_register,
    upload_checker_register,
)


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


def _roles() -> list[tuple[str, str]]:
    from django.contrib.auth.models import Group

    from core.roles import Role

    known = [(code, f"{label} ({code})") for code, label in Role.choices]
    others = Group.objects.exclude(name__in=Role.values).order_by("name").values_list("name", flat=True)
    return known + [(name, name) for name in others]


def _actions() -> list[tuple[str, str]]:
    from core.plugins import results_by_pole

    labels: dict[str, str] = {}
    for actions in results_by_pole("transition_actions").values():
        for name, action in (actions or {}).items():
            labels[name] = str(getattr(action, "label", "") or name)  # an action may carry its French label
    return sorted(labels.items(), key=lambda item: item[1].casefold())


def _upload_check(file, *, content_types: list[str], max_bytes: int | None) -> str:
    """A form's file, judged by its bytes (`core.uploads`): the field's types (the platform's list when it
    names none), its size limit within the platform's. Returns the sniffed content type."""
    from django.conf import settings

    from core.uploads import DEFAULT_ALLOWED_TYPES, UploadValidator, upload_sniff

    limit = min(max_bytes, settings.PPE_UPLOAD_MAX_BYTES) if max_bytes else settings.PPE_UPLOAD_MAX_BYTES
    UploadValidator(allowed_types=tuple(content_types or DEFAULT_ALLOWED_TYPES), max_bytes=limit)(file)
    return upload_sniff(file)


def _file_types() -> list[tuple[str, str]]:
    from core.uploads import FILE_TYPE_LABELS

    return list(FILE_TYPE_LABELS.items())


def engine_register() -> None:
    reference_source_register("structures", "Structures", _structures)
    reference_source_register("networks", "Réseaux et fédérations", _networks)
    reference_source_register("operators", "Opérateurs ESS", _operators)
    reference_source_register("catalogue_services", "Services du catalogue", _catalogue_services)
    guard_functions_provider_register(_guard_functions)
    choices_provider_register("roles", _roles)
    choices_provider_register("actions", _actions)
    choices_provider_register("file_types", _file_types)
    upload_checker_register(_upload_check)
