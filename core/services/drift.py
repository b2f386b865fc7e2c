"""Drift: what a territory changed compared with the template it was cloned from, and pulling chosen template
updates into it without losing its own changes (three-way merge from the configuration recorded at clone).

A merge is recorded (`KitMerge`: who, when, what) with the configuration of the sections it touched as they
were just before; `kit_merge_undo` re-applies it."""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django_tenants.utils import schema_context, schema_exists

from core.hookspecs import KitFiles, KitItems, KitSection
from core.kit.archive import Kit, KitError, kit_read, kit_write
from core.kit.merge import CONFLICT, LOCAL, UPDATE, Change, ItemDrift, items_diff
from core.kit.sections import kit_sections_all
from core.models import KitMerge, KitSnapshot
from core.services.kit import configuration_export, sections_apply
from tenants.models import Territory

logger = logging.getLogger("ppe.core")

CHOICES = ("ours", "theirs")
STATUS_LABELS = {LOCAL: "modifié dans le territoire", UPDATE: "mise à jour du modèle", CONFLICT: "conflit"}


@dataclass
class TerritoryDrift:
    territory: Territory
    template: Territory
    snapshot: KitSnapshot
    sections: dict[str, KitSection]
    items: list[ItemDrift] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {code: section.label for code, section in self.sections.items()}

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

    def label(self, item: ItemDrift, path: tuple[str, ...] = ()) -> str:
        return item_label(self.sections.get(item.section), item, path)


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
        territory=territory, template=template, snapshot=snapshot, sections={s.code: s for s in sections}
    )
    for section in sections:
        base = snapshot.sections.get(section.code, {})
        drift.items.extend(
            items_diff(
                section.code,
                base,
                ours.get(section.code, {}),
                theirs.get(section.code, {}),
                volatile=section.volatile,
            )
        )
    return drift, theirs_files


def territory_drift_get(*, territory: Territory) -> TerritoryDrift:
    """The territory's local changes, the template's updates it can pull, and the conflicts between them."""
    return _drift(territory, with_files=False)[0]


@dataclass
class DriftMergeReport:
    pulled: list[str] = field(default_factory=list)  # "section:key" of the items changed in the territory
    kept: list[str] = field(default_factory=list)  # conflicts settled in favour of the territory
    merge: KitMerge | None = None


def _choices_of(item: ItemDrift, resolutions: dict[str, str]) -> dict[str, str] | None:
    """The choice for each conflict of `item` ("ours"/"theirs" by `Change.ident`), from resolutions given
    for the whole item (`section:key`) or per conflict (`section:key|transitions/refuser/label`); None when
    no conflict of the item was settled."""
    whole = resolutions.get(item.ident)
    choices = {}
    for change in item.conflicts:
        choice = resolutions.get(f"{item.ident}|{change.ident}", whole)
        if choice in CHOICES:
            choices[change.ident] = choice
    return choices or None


def _actor_label(actor: Any) -> str:
    if actor is None:
        return ""
    if not hasattr(actor, "get_full_name"):
        return str(actor)
    name = actor.get_full_name().strip()
    return f"{name} ({actor.get_username()})" if name else actor.get_username()


def territory_drift_merge(
    *,
    territory: Territory,
    pull: set[str] | list[str],
    resolutions: dict[str, str] | None = None,
    actor: Any = None,
) -> DriftMergeReport:
    """Pull the chosen template updates (`pull`: idents `section:key`) into the territory and settle the
    chosen conflicts (`resolutions`: ident, or `ident|path` for one conflict, -> "ours" or "theirs"), in one
    transaction, sections in dependency order.

    The territory's other changes stay as they are. Each settled item's base becomes the template's version,
    so a conflict decided once is not asked again; an update left unpicked stays pending. The merge is
    recorded with the configuration of the sections it touched just before it (`kit_merge_undo`).
    Raises ValidationError (French) when a choice is unknown or the template's change cannot be applied
    (a service still shown by a page...); nothing changes then.
    """
    resolutions = resolutions or {}
    bad = {ident: choice for ident, choice in resolutions.items() if choice not in CHOICES}
    if bad:
        raise ValidationError({"resolutions": f"Choix invalide pour : {', '.join(sorted(bad))}."})
    drift, theirs_files = _drift(territory, with_files=True)
    by_ident = {item.ident: item for item in drift.items}
    asked = set(pull) | {ident.split("|", 1)[0] for ident in resolutions}
    unknown = sorted(asked - set(by_ident))
    if unknown:
        raise ValidationError({"pull": f"Ces éléments ne diffèrent plus du modèle : {', '.join(unknown)}."})
    report = DriftMergeReport()
    with schema_context(territory.schema_name), transaction.atomic():
        ours, ours_files = configuration_export(with_files=True)
        before = copy.deepcopy(ours)
        base: dict[str, KitItems] = {code: dict(items) for code, items in drift.snapshot.sections.items()}
        touched = _merged_into(drift, ours=ours, base=base, pull=set(pull), resolutions=resolutions, report=report)
        changed = {ident.split(":", 1)[0] for ident in report.pulled + report.kept}
        if not changed:
            return report
        sections = [section for section in kit_sections_all() if section.code in changed]
        report.merge = _merge_record(drift, sections, touched, actor, (before, ours_files))
        files = {code: {**ours_files.get(code, {}), **theirs_files.get(code, {})} for code in changed}
        try:
            sections_apply(
                sections, {code: ours[code] for code in changed}, files, territory_name=territory.schema_name
            )
        except KitError as exc:
            report.merge.before.delete(save=False)  # the transaction drops the record: not its file
            raise ValidationError(str(exc)) from exc
        snapshot = KitSnapshot.objects.get(pk=drift.snapshot.pk)
        snapshot.sections = base
        snapshot.save()
    logger.info(
        "Drift merge in %s by %s: pulled %s, kept %s",
        territory.schema_name,
        _actor_label(actor),
        report.pulled,
        report.kept,
    )
    return report


def _merged_into(
    drift: TerritoryDrift,
    *,
    ours: dict[str, KitItems],
    base: dict[str, KitItems],
    pull: set[str],
    resolutions: dict[str, str],
    report: DriftMergeReport,
) -> dict[str, list[dict[str, str]]]:
    """Write the chosen items into `ours` (what the sections are applied with) and the template's version of
    each into `base` (the next merge base); returns the pulled and kept items with their labels."""
    touched: dict[str, list[dict[str, str]]] = {"pulled": [], "kept": []}
    for item in drift.items:
        choices = _choices_of(item, resolutions) if item.status == CONFLICT else None
        if item.status == UPDATE and item.ident in pull:
            result, outcome = item.merged, "pulled"
        elif choices is not None:
            result = item.resolved(choices)
            outcome = "pulled" if "theirs" in choices.values() else "kept"
        else:
            continue
        (report.pulled if outcome == "pulled" else report.kept).append(item.ident)
        touched[outcome].append({"ident": item.ident, "label": drift.label(item)})
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
    return touched


def _merge_record(
    drift: TerritoryDrift,
    sections: list[KitSection],
    touched: dict[str, list[dict[str, str]]],
    actor: Any,
    configuration: tuple[dict[str, KitItems], dict[str, KitFiles]],
) -> KitMerge:
    """The merge's record, with the touched sections' configuration before it (a kit archive)."""
    items, files = configuration
    codes = [section.code for section in sections]
    kit = Kit(
        source={"name": drift.territory.name, "code": drift.territory.code},
        sections={code: items.get(code, {}) for code in codes},
        files={code: files.get(code, {}) for code in codes},
    )
    merge = KitMerge(
        actor=_actor_label(actor),
        source_name=drift.template.name,
        pulled=touched["pulled"],
        kept=touched["kept"],
        sections=codes,
        base_before=drift.snapshot.sections,
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    merge.before.save(f"avant-fusion-{stamp}.tar.gz", ContentFile(kit_write(kit, sections)), save=False)
    merge.save()
    return merge


def kit_merge_list(*, territory: Territory) -> list[KitMerge]:
    """The territory's latest merges, newest first."""
    with schema_context(territory.schema_name):
        return list(KitMerge.objects.all()[:50])


def drift_page_context(*, territory: Territory, drift: TerritoryDrift) -> dict[str, Any]:
    """What a drift screen shows: the rows, the past merges and the one that can be undone."""
    merges = kit_merge_list(territory=territory)
    undoable = next((merge.pk for merge in merges if merge.undone_at is None), None)
    return {"drift": drift, **drift_rows(drift), "merges": merges, "undoable": undoable}


def drift_page_post(*, territory: Territory, drift: TerritoryDrift, data: Any, actor: Any) -> tuple[bool, str]:
    """Handle a drift screen's form: undo a merge (`undo`) or merge the chosen updates and settled conflicts.
    Returns (success, French message)."""
    try:
        if data.get("undo"):
            merge = kit_merge_undo(territory=territory, merge_id=int(data["undo"]), actor=actor)
            return True, f"La fusion du {merge.merged_at:%d/%m/%Y à %H:%M} est annulée."
        pull, resolutions = drift_resolutions(drift, data)
        if not pull and not resolutions:
            return False, "Cochez au moins une mise à jour ou tranchez au moins un conflit."
        report = territory_drift_merge(territory=territory, pull=pull, resolutions=resolutions, actor=actor)
    except ValueError:
        return False, "Demande invalide."
    except ValidationError as exc:
        return False, " ".join(exc.messages)
    return True, (
        f"{len(report.pulled)} mise(s) à jour du modèle récupérée(s), "
        f"{len(report.kept)} conflit(s) tranché(s) en faveur du territoire."
    )


def kit_merge_undo(*, territory: Territory, merge_id: int, actor: Any = None) -> KitMerge:
    """Undo a merge by re-applying the configuration its sections had just before it, and the merge base it
    replaced. Only the latest merge not yet undone can be undone (a later one was built on it). Raises
    ValidationError (French)."""
    with schema_context(territory.schema_name), transaction.atomic():
        merge = KitMerge.objects.select_for_update().filter(pk=merge_id).first()
        if merge is None:
            raise ValidationError("Cette fusion n'existe pas dans ce territoire.")
        if merge.undone_at is not None:
            raise ValidationError("Cette fusion a déjà été annulée.")
        latest = KitMerge.objects.filter(undone_at__isnull=True).order_by("-merged_at", "-pk").first()
        if latest is not None and latest.pk != merge.pk:
            raise ValidationError(f"Annulez d'abord la fusion plus récente du {latest.merged_at:%d/%m/%Y à %H:%M}.")
        try:
            with merge.before.open("rb") as handle:
                archive = handle.read()
        except (FileNotFoundError, OSError):
            raise ValidationError(
                "La configuration d'avant cette fusion est introuvable : elle ne peut être annulée."
            ) from None
        sections = kit_sections_all()
        try:
            kit = kit_read(archive, sections)
            sections_apply(sections, kit.sections, kit.files, territory_name=territory.schema_name)
        except KitError as exc:
            raise ValidationError(str(exc)) from exc
        snapshot = KitSnapshot.objects.order_by("-taken_at").first()
        if snapshot is not None:
            snapshot.sections = merge.base_before
            snapshot.save()
        merge.undone_at = timezone.now()
        merge.undone_by = _actor_label(actor)
        merge.save(update_fields=["undone_at", "undone_by"])
    logger.info("Drift merge %s undone in %s by %s", merge_id, territory.schema_name, _actor_label(actor))
    return merge


# --- Presentation: labels and values in French ---------------------------------------------------------------
def _field_label(section: KitSection | None, item: dict[str, Any] | None, path: tuple[str, ...]) -> str:
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    name = path[-1]
    for label in section.models[:1] if section else ():
        try:
            return str(apps.get_model(label)._meta.get_field(name).verbose_name)
        except (LookupError, FieldDoesNotExist):
            break
    return name.replace("_", " ")


def item_label(section: KitSection | None, item: ItemDrift, path: tuple[str, ...] = ()) -> str:
    """The French name of a drifting item (path empty) or of one of its values."""
    values = item.theirs or item.ours or item.base
    if section is not None and section.describe is not None:
        return section.describe(item.key, values, path)
    if not path:
        title = (values or {}).get("title") or (values or {}).get("name") or (values or {}).get("label") or item.key
        return f"{section.label if section else item.section} : « {title} »"
    return _field_label(section, values, path)


_SPACES = re.compile(r"\s+")


def value_display(section: KitSection | None, item: ItemDrift, path: tuple[str, ...], value: Any) -> str:
    """A value as a person reads it: text without markup, yes/no, lists joined, mappings as « name : value »;
    never a Python representation."""
    values = item.theirs or item.ours or item.base
    if section is not None and section.display is not None:
        shown = section.display(item.key, values, path, value)
        if shown is not None:
            return shown
    if not isinstance(value, list | dict):
        return _scalar_display(value)
    if not value:
        return "(vide)"
    if isinstance(value, list):
        return " ; ".join(value_display(section, item, path, entry) for entry in value)
    if isinstance(value, dict):
        shown = []
        for name, entry in value.items():
            if name in ("type", "id") and isinstance(entry, str) and path[-1:] != (name,):
                continue
            label = item_label(section, item, (*path, name)) if section and section.describe else name
            shown.append(f"{_short(label)} : {value_display(section, item, (*path, name), entry)}")
        return " ; ".join(shown)
    return str(value)


def _scalar_display(value: Any) -> str:
    if value is None or value == "":
        return "(vide)"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return str(value).replace(".", ",")
    return _SPACES.sub(" ", strip_tags(str(value))).strip() or "(vide)"


def _short(label: str) -> str:
    """The last part of a label (« Transition “X” : libellé » -> « libellé »), inside a mapping's display."""
    return label.rsplit(" : ", 1)[-1]


def change_rows(drift: TerritoryDrift, item: ItemDrift) -> list[dict[str, Any]]:
    section = drift.sections.get(item.section)
    return [
        {
            "ident": change.ident,
            "label": item_label(section, item, change.path) if change.path else "l'élément entier",
            "base": value_display(section, item, change.path, change.base),
            "ours": value_display(section, item, change.path, change.ours),
            "theirs": value_display(section, item, change.path, change.theirs),
            "conflict": change.conflict,
            "change": change,
        }
        for change in item.changes
    ]


def drift_rows(drift: TerritoryDrift) -> dict[str, list[dict[str, Any]]]:
    """The drift as rows for a screen: `updates`, `conflicts` and `local`, each row an item with its French
    label and its changed values (base, territory, template) in French."""
    rows: dict[str, list[dict[str, Any]]] = {"updates": [], "conflicts": [], "local": []}
    by_status = {UPDATE: "updates", CONFLICT: "conflicts", LOCAL: "local"}
    for item in drift.items:
        rows[by_status[item.status]].append(
            {
                "item": item,
                "ident": item.ident,
                "label": drift.label(item),
                "section": drift.labels.get(item.section, item.section),
                "status": STATUS_LABELS[item.status],
                "fields": change_rows(drift, item),
            }
        )
    return rows


def drift_resolutions(drift: TerritoryDrift, data: Any) -> tuple[set[str], dict[str, str]]:
    """The updates to pull and the conflicts settled in a submitted drift form (`pull` checkboxes,
    `resolve:<ident>` radio buttons for a whole item, `resolve:<ident>|<path>` for one conflict)."""
    pull = set(data.getlist("pull"))
    resolutions = {}
    for item in drift.conflicts:
        for name in [item.ident, *(f"{item.ident}|{change.ident}" for change in item.conflicts)]:
            if data.get(f"resolve:{name}") in CHOICES:
                resolutions[name] = data[f"resolve:{name}"]
    return pull, resolutions


__all__ = ["Change", "kit_merge_list", "kit_merge_undo", "territory_drift_get", "territory_drift_merge"]
