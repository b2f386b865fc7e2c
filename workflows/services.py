"""Writes on workflow definitions: import, publish, new drafts. Each writes its audit row."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from workflows.exceptions import DefinitionInvalid
from workflows.models import WorkflowAudit, WorkflowDefinition, WorkflowVersion
from workflows.selectors import reference_list_codes
from workflows.serialization import (
    definition_fields_update,
    spec_to_yaml,
    version_rows_create,
    version_spec,
    yaml_to_spec,
)
from workflows.validation import spec_representable, spec_validate


def spec_checksum(spec: dict[str, Any]) -> str:
    """A checksum of a definition's content (independent of key order and YAML layout)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _audit(definition: WorkflowDefinition, version: WorkflowVersion | None, action: str, actor, **detail) -> None:
    WorkflowAudit.objects.create(
        definition=definition,
        version=version,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        detail=detail,
    )


@transaction.atomic
def workflow_import(*, source: str | dict[str, Any], actor=None, publish: bool = False) -> WorkflowVersion:
    """Import a `ppe-workflow/1` definition (YAML text or dict) as a new draft version of its workflow
    (the workflow is created when its code is new); publish it at once when `publish` is true.

    Raises DefinitionInvalid (French messages) and writes nothing when the file is malformed, or, with
    `publish`, when the definition cannot be published.
    """
    spec = yaml_to_spec(source) if isinstance(source, str) else source
    errors = spec_validate(spec, reference_lists=reference_list_codes()) if publish else spec_representable(spec)
    if errors:
        raise DefinitionInvalid(errors)
    definition = WorkflowDefinition.objects.select_for_update().filter(code=spec["code"]).first()
    created = definition is None
    if created:
        definition = WorkflowDefinition(code=spec["code"])
    definition_fields_update(definition, spec)
    definition.full_clean(exclude=["shipped_checksum"])
    definition.save()
    last = definition.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = WorkflowVersion.objects.create(definition=definition, number=last + 1)
    version_rows_create(version, spec)
    _audit(definition, version, "imported", actor, created=created)
    if publish:
        version = workflow_publish(version=version, actor=actor)
    return version


def workflow_export(*, version: WorkflowVersion) -> str:
    """The version as `ppe-workflow/1` YAML (stable key order)."""
    return spec_to_yaml(version_spec(version))


@transaction.atomic
def workflow_publish(*, version: WorkflowVersion, actor) -> WorkflowVersion:
    """Validate and freeze a draft; it becomes the workflow's published version (the previous one retires:
    its cases keep running on it until they are migrated)."""
    version = WorkflowVersion.objects.select_for_update().select_related("definition").get(pk=version.pk)
    if version.status != WorkflowVersion.Status.DRAFT:
        raise DefinitionInvalid([f"La version {version.number} n'est pas un brouillon."])
    spec = version_spec(version)
    errors = spec_validate(spec, reference_lists=reference_list_codes())
    if errors:
        raise DefinitionInvalid(errors)
    previous = list(
        WorkflowVersion.objects.select_for_update().filter(
            definition=version.definition, status=WorkflowVersion.Status.PUBLISHED
        )
    )
    for old in previous:
        old.status = WorkflowVersion.Status.RETIRED
        old.save(update_fields=["status"])
    version.status = WorkflowVersion.Status.PUBLISHED
    version.snapshot = spec
    version.published_at = timezone.now()
    version.published_by = actor if getattr(actor, "pk", None) else None
    version.save(update_fields=["status", "snapshot", "published_at", "published_by"])
    _audit(version.definition, version, "published", actor, retired=[old.number for old in previous])
    return version


@transaction.atomic
def workflow_version_draft_create(*, definition: WorkflowDefinition, actor) -> WorkflowVersion:
    """A new draft, copy of the workflow's latest version (an existing draft is returned as it is)."""
    definition = WorkflowDefinition.objects.select_for_update().get(pk=definition.pk)
    latest = definition.versions.order_by("-number").first()
    if latest is not None and latest.status == WorkflowVersion.Status.DRAFT:
        return latest
    version = WorkflowVersion.objects.create(definition=definition, number=(latest.number if latest else 0) + 1)
    if latest is not None:
        version_rows_create(version, version_spec(latest))
    _audit(definition, version, "draft_created", actor, copied_from=latest.number if latest else None)
    return version


def workflow_version_check(*, version: WorkflowVersion) -> list[str]:
    """What would stop this version from being published (French messages)."""
    return spec_validate(version_spec(version), reference_lists=reference_list_codes())
