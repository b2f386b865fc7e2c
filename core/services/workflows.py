"""The poles' shipped workflows in a territory: imported and published, never overwriting an admin's change."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from core.plugins import results_by_pole
from workflows.exceptions import DefinitionInvalid
from workflows.models import WorkflowDefinition
from workflows.selectors import workflow_latest_version
from workflows.serialization import version_spec, yaml_to_spec
from workflows.services import spec_checksum, workflow_import

logger = logging.getLogger("ppe.workflows")


@dataclass
class WorkflowSyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # shipped file changed, and an admin changed the workflow
    errors: dict[str, list[str]] = field(default_factory=dict)  # path → French messages


def workflows_sync(*, actor=None) -> WorkflowSyncReport:
    """Import and publish every workflow the active poles ship (`pole_workflows` hook) in the current territory.

    A workflow is created when new; upgraded (new published version) when its shipped file changed and
    nobody changed it here since; otherwise left as it is and reported in `conflicts` for a person to decide.
    Each file is imported in its own transaction: a broken file is reported and does not stop the others.
    """
    report = WorkflowSyncReport()
    for pole, paths in results_by_pole("pole_workflows").items():
        for raw_path in paths or []:
            path = Path(raw_path)
            try:
                text = path.read_text(encoding="utf-8")
                file_checksum = hashlib.sha256(text.encode()).hexdigest()
                spec = yaml_to_spec(text)
                spec["pole"] = spec.get("pole") or pole
                with transaction.atomic():
                    _sync_one(spec, file_checksum, actor, report)
            except DefinitionInvalid as exc:
                report.errors[str(path)] = exc.errors
                logger.error("shipped workflow %s is invalid: %s", path, exc.message)
            except OSError as exc:
                report.errors[str(path)] = [f"Fichier illisible : {exc}"]
    return report


def _sync_one(spec: dict, file_checksum: str, actor, report: WorkflowSyncReport) -> None:
    code = spec["code"]
    definition = WorkflowDefinition.objects.select_for_update().filter(code=code).first()
    if definition is not None:
        if definition.shipped_checksum == file_checksum:
            report.unchanged.append(code)
            return
        latest = workflow_latest_version(definition=definition)
        if latest is not None and spec_checksum(version_spec(latest)) != definition.shipped_spec_checksum:
            report.conflicts.append(code)
            return
    version = workflow_import(source=spec, actor=actor, publish=True)
    WorkflowDefinition.objects.filter(pk=version.definition_id).update(
        shipped_checksum=file_checksum, shipped_spec_checksum=spec_checksum(version_spec(version))
    )
    (report.created if definition is None else report.updated).append(code)
