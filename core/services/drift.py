"""Drift: what a territory changed compared with the template it was cloned from, and pulling chosen template
updates into it without losing its own changes (three-way merge from the configuration recorded at clone)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django_tenants.utils import schema_context, schema_exists

from core.hookspecs import KitFiles, KitItems
from core.kit.merge import CONFLICT, LOCAL, UPDATE, ItemDrift, items_diff
from core.kit.sections import kit_sections_all
from core.models import KitSnapshot
from core.services.kit import configuration_export
from tenants.models import Territory

logger = logging.getLogger("ppe.core")

CHOICES = ("ours", "theirs")


@dataclass
class TerritoryDrift:
    territory: Territory
    template: Territory
    snapshot: KitSnapshot
    labels: dict[str, str]
    items: list[ItemDrift] = field(default_factory=list)

    def of(self, status: str) -> list[ItemDrift]:
        return [item for item in self.items if item.status == status]

    @property
    def local_changes(self) -> list[ItemDrift]:
        return self.of(LOCAL)

    @property
    def updates(self) -> list[ItemDrift]:
        return self.of(UPDATE)

    @property
    def conflicts(self) -> list[ItemDrift]:
        return self.of(CONFLICT)


def _template_of(territory: Territory) -> Territory:
    template = territory.cloned_from
    if template is None or not schema_exists(template.schema_name):
        raise ValidationError(
            {"territory": f"Le territoire « {territory.name} » n'a pas de modèle : il n'a pas été cloné."}
        )
    return template


def _drift(territory: Territory, with_files: bool) -> tuple[TerritoryDrift, dict[str, KitFiles]]:
    template = _template_of(territory)
    with schema_context(template.schema_name):
        theirs, theirs_files = configuration_export(with_files=with_files)
    with schema_context(territory.schema_name):
        snapshot = KitSnapshot.objects.order_by("-taken_at").first()
        if snapshot is None:
            raise ValidationError(
                {"territory": "Aucune configuration d'origine n'a été enregistrée pour ce territoire."}
            )
        sections = kit_sections_all()
        ours, _ = configuration_export(with_files=False)
    drift = TerritoryDrift(
        territory=territory, template=template, snapshot=snapshot, labels={s.code: s.label for s in sections}
    )
    for section in sections:
        base = snapshot.sections.get(section.code, {})
        drift.items.extend(items_diff(section.code, base, ours.get(section.code, {}), theirs.get(section.code, {})))
    return drift, theirs_files


def territory_drift_get(*, territory: Territory) -> TerritoryDrift:
    """The territory's local changes, the template's updates it can pull, and the conflicts between them."""
    return _drift(territory, with_files=False)[0]


@dataclass
class DriftMergeReport:
    pulled: list[str] = field(default_factory=list)  # "section:key" of the items changed in the territory
    kept: list[str] = field(default_factory=list)  # conflicts settled in favour of the territory


def territory_drift_merge(
    *,
    territory: Territory,
    pull: set[str] | list[str],
    resolutions: dict[str, str] | None = None,
    actor: Any = None,
) -> DriftMergeReport:
    """Pull the chosen template updates (`pull`: idents `section:key`) into the territory and settle the
    chosen conflicts (`resolutions`: ident -> "ours" or "theirs"), in one transaction.

    The territory's other changes stay as they are. Each settled item's base becomes the template's version,
    so a conflict decided once is not asked again; an update left unpicked stays pending.
    """
    resolutions = resolutions or {}
    bad = {ident: choice for ident, choice in resolutions.items() if choice not in CHOICES}
    if bad:
        raise ValidationError({"resolutions": f"Choix invalide pour : {', '.join(sorted(bad))}."})
    drift, theirs_files = _drift(territory, with_files=True)
    by_ident = {item.ident: item for item in drift.items}
    unknown = sorted((set(pull) | set(resolutions)) - set(by_ident))
    if unknown:
        raise ValidationError({"pull": f"Ces éléments ne diffèrent plus du modèle : {', '.join(unknown)}."})
    report = DriftMergeReport()
    with schema_context(territory.schema_name), transaction.atomic():
        ours, _ = configuration_export(with_files=False)
        base: dict[str, KitItems] = {code: dict(items) for code, items in drift.snapshot.sections.items()}
        touched: set[str] = set()
        for item in drift.items:
            if item.status == UPDATE and item.ident in pull:
                result = item.merged
                report.pulled.append(item.ident)
            elif item.status == CONFLICT and item.ident in resolutions:
                result = item.resolved(resolutions[item.ident])
                (report.pulled if resolutions[item.ident] == "theirs" else report.kept).append(item.ident)
            else:
                continue
            section_items = ours.setdefault(item.section, {})
            if result is None:
                section_items.pop(item.key, None)
            else:
                section_items[item.key] = result
            section_base = base.setdefault(item.section, {})
            if item.theirs is None:
                section_base.pop(item.key, None)
            else:
                section_base[item.key] = item.theirs
            touched.add(item.section)
        for section in kit_sections_all():
            if section.code in touched:
                section.apply(ours[section.code], theirs_files.get(section.code, {}))
        snapshot = KitSnapshot.objects.get(pk=drift.snapshot.pk)
        snapshot.sections = base
        snapshot.save()
    logger.info(
        "Drift merge in %s by %s: pulled %s, kept %s",
        territory.schema_name,
        getattr(actor, "username", actor),
        report.pulled,
        report.kept,
    )
    return report


def _fields(item: ItemDrift) -> list[dict[str, Any]]:
    if item.conflict_fields == ["*"]:
        names = sorted(set(item.ours or {}) | set(item.theirs or {}))
    else:
        names = item.conflict_fields or sorted(set(item.theirs_fields) | set(item.ours_fields))
    return [
        {
            "name": name,
            "base": (item.base or {}).get(name),
            "ours": (item.ours or {}).get(name),
            "theirs": (item.theirs or {}).get(name),
        }
        for name in names
    ]


def drift_rows(drift: TerritoryDrift) -> dict[str, list[dict[str, Any]]]:
    """The drift as rows for a screen: `updates`, `conflicts` and `local`, each row an item with its fields
    (base, territory, template values)."""
    rows = {"updates": [], "conflicts": [], "local": []}
    by_status = {UPDATE: "updates", CONFLICT: "conflicts", LOCAL: "local"}
    for item in drift.items:
        rows[by_status[item.status]].append(
            {"item": item, "label": drift.labels.get(item.section, item.section), "fields": _fields(item)}
        )
    return rows


def drift_resolutions(drift: TerritoryDrift, data: Any) -> tuple[set[str], dict[str, str]]:
    """The updates to pull and the conflicts settled in a submitted drift form (`pull` checkboxes,
    `resolve:<ident>` radio buttons)."""
    pull = set(data.getlist("pull"))
    resolutions = {
        item.ident: data[f"resolve:{item.ident}"]
        for item in drift.conflicts
        if data.get(f"resolve:{item.ident}") in CHOICES
    }
    return pull, resolutions
