"""Territory kits: export a territory's configuration to an archive, import one, and record the
configuration a territory was cloned from (the base of its drift from the template)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django_tenants.utils import schema_context

from core.hookspecs import KitFiles, KitItems
from core.kit.archive import Kit, KitError, kit_read, kit_write
from core.kit.sections import kit_sections_all
from core.models import KitSnapshot
from tenants.models import Territory

logger = logging.getLogger("ppe.core")


def configuration_export(*, with_files: bool = True) -> tuple[dict[str, KitItems], dict[str, KitFiles]]:
    """Every section's items (and files) of the current schema."""
    items: dict[str, KitItems] = {}
    files: dict[str, KitFiles] = {}
    for section in kit_sections_all():
        section_items, section_files = section.export()
        items[section.code] = section_items
        files[section.code] = section_files if with_files else {}
    return items, files


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
            for section in sections:
                if section.code not in kit.sections:
                    continue
                try:
                    section.apply(kit.sections[section.code], kit.files.get(section.code, {}))
                except KitError:
                    raise
                except Exception as exc:  # the section refused its items: nothing of the kit stays
                    logger.exception("Kit section %s failed in %s", section.code, territory.schema_name)
                    raise KitError(
                        f"La section « {section.label} » du kit n'a pas pu être importée : {exc}. Rien n'a été modifié."
                    ) from exc
                report.sections[section.code] = len(kit.sections[section.code])
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
