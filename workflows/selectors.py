"""Reads of the engine's definitions."""

from __future__ import annotations

from django.db.models import QuerySet

from workflows.models import ReferenceItem, WorkflowDefinition, WorkflowVersion
from workflows.registry import reference_sources


def reference_items(*, code: str) -> list[tuple[str, str]]:
    """`[(value, label)]` of a reference list: a built-in one (structures, networks...) or an admin's list."""
    source = reference_sources().get(code)
    if source is not None:
        return [(str(value), str(label)) for value, label in source.items()]
    return list(
        ReferenceItem.objects.filter(list__code=code, is_active=True)
        .order_by("position", "pk")
        .values_list("value", "label")
    )


def reference_list_codes() -> set[str]:
    from workflows.models import ReferenceList

    return set(reference_sources()) | set(ReferenceList.objects.values_list("code", flat=True))


def workflow_list() -> QuerySet[WorkflowDefinition]:
    return WorkflowDefinition.objects.order_by("name")


def workflow_published_version(*, code: str) -> WorkflowVersion | None:
    return (
        WorkflowVersion.objects.filter(definition__code=code, status=WorkflowVersion.Status.PUBLISHED)
        .select_related("definition")
        .first()
    )


def workflow_latest_version(*, definition: WorkflowDefinition) -> WorkflowVersion | None:
    return definition.versions.order_by("-number").first()


def form_json_schema(*, version: WorkflowVersion, form: str | None = None) -> dict:
    """The JSON Schema of one of a version's forms (its opening form by default), for the API."""
    from workflows.engine import compiled_version

    compiled = compiled_version(version.pk)
    return compiled.forms[form or compiled.open_form].json_schema


def workflow_diagram(*, version: WorkflowVersion, current: str = ""):
    """The laid-out diagram of a version (`workflows.diagram.Diagram`), `current` state highlighted."""
    from workflows.diagram import diagram_build
    from workflows.serialization import version_spec

    return diagram_build(version_spec(version), current=current)
