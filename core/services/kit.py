"""Territory kits: export a territory's configuration to an archive, import one, and record the
configuration a territory was cloned from (the base of its drift from the template)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django_tenants.utils import schema_context

from core.hookspecs import KitFiles, KitItems, KitSection
from core.kit.archive import Kit, KitError, kit_folder_write, kit_read, kit_write
from core.kit.sections import kit_sections_all
from core.models import KitSnapshot
from tenants.models import Territory

logger = logging.getLogger("ppe.core")


def _plain(value: Any) -> Any:
    """The JSON/YAML-friendly form of exported items: dates and decimals as strings, tuples as lists (what a
    kit read back gives, so that comparisons and the snapshot's JSON field never see Python objects)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def configuration_export(*, with_files: bool = True) -> tuple[dict[str, KitItems], dict[str, KitFiles]]:
    """Every section's items (and files) of the current schema, as plain JSON values."""
    items: dict[str, KitItems] = {}
    files: dict[str, KitFiles] = {}
    for section in kit_sections_all():
        section_items, section_files = section.export()
        items[section.code] = _plain(section_items)
        files[section.code] = section_files if with_files else {}
    return items, files


def sections_apply(
    sections: list[KitSection], items: dict[str, KitItems], files: dict[str, KitFiles], *, territory_name: str
) -> None:
    """Apply the sections present in `items` in dependency order: every `apply` in ascending order (what
    others refer to is created first), then every `prune` in descending order (what refers to a row is
    removed before it). A section's failure raises KitError (French, without database text); the caller's
    transaction then undoes everything."""
    present = [section for section in sections if section.code in items]
    steps = [(section, "apply") for section in present]
    steps += [(section, "prune") for section in reversed(present) if section.prune is not None]
    for section, step in steps:
        try:
            with transaction.atomic():
                if step == "apply":
                    section.apply(items[section.code], files.get(section.code, {}))
                else:
                    section.prune(items[section.code])
        except KitError:
            raise
        except (ValueError, ValidationError) as exc:  # the section's own French explanation
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            raise KitError(f"La section « {section.label} » du kit n'a pas pu être appliquée : {text}") from exc
        except Exception as exc:
            logger.exception("Kit section %s (%s) failed in %s", section.code, step, territory_name)
            raise KitError(
                f"La section « {section.label} » du kit n'a pas pu être appliquée : elle ne correspond pas à ce "
                "que cette installation sait lire. Rien n'a été modifié."
            ) from exc


def kit_export(*, territory: Territory) -> bytes:
    """The kit archive of a territory's configuration (no cases, no people, no directory)."""
    with schema_context(territory.schema_name):
        sections = kit_sections_all()
        items, files = configuration_export()
        kit = Kit(
            source={"name": territory.name, "code": territory.code, "schema": territory.schema_name},
            sections=items,
            files=files,
        )
        return kit_write(kit, sections)


def kit_folder_export(*, territory: Territory, folder: Path, sections: list[str] | None = None) -> None:
    """Write a territory's kit unpacked into `folder` (readable YAML and files, as the demo kit is kept in the
    repository); `sections` limits it to those section codes."""
    with schema_context(territory.schema_name):
        all_sections = kit_sections_all()
        items, files = configuration_export()
        wanted = [s for s in all_sections if sections is None or s.code in sections]
        kit = Kit(source={"name": territory.name, "code": territory.code}, sections=items, files=files)
        kit_folder_write(kit, wanted, folder)


@dataclass
class KitImportReport:
    sections: dict[str, int] = field(default_factory=dict)  # items applied, by section code
    source: dict[str, Any] = field(default_factory=dict)


def kit_import(*, territory: Territory, archive: bytes, actor: Any = None) -> KitImportReport:
    """Make a territory's configuration that of the kit, section by section, in one transaction.

    The whole archive is read and checked first: a corrupt archive, another format version or an unknown
    section raises KitError (French) and nothing changes.
    """
    with schema_context(territory.schema_name):
        sections = kit_sections_all()
        kit = kit_read(archive, sections)
        report = KitImportReport(source=kit.source)
        with transaction.atomic():
            sections_apply(sections, kit.sections, kit.files, territory_name=territory.schema_name)
        report.sections = {code: len(items) for code, items in kit.sections.items()}
    logger.info(
        "Kit from %s imported into %s by %s: %s",
        kit.source.get("name"),
        territory.schema_name,
        getattr(actor, "username", actor),
        report.sections,
    )
    return report


def kit_snapshot_record(*, source: Territory) -> KitSnapshot:
    """Record, in the current schema, its configuration as the base for later merges with `source`
    (called just after a clone, when the configuration is still the source's)."""
    items, _ = configuration_export(with_files=False)
    KitSnapshot.objects.all().delete()
    return KitSnapshot.objects.create(source_schema=source.schema_name, source_name=source.name, sections=items)


__all__ = ["KitError", "kit_export", "kit_import", "kit_snapshot_record"]
