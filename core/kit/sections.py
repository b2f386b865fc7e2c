"""The core's own kit sections (catalogue, pole settings, roles and groups) and the list of all sections."""

from __future__ import annotations

from django.db import connection

from core.hookspecs import KitFiles, KitItems, KitSection

# Rows of these models are configuration of the framework itself: a clone always keeps them.
FRAMEWORK_MODELS = ("contenttypes.ContentType", "auth.Permission")


# --- Catalogue ----------------------------------------------------------------------------------------------
_CATALOGUE_FIELDS = ("pole", "title", "summary", "description", "audience", "is_active", "shipped_checksum")


def catalogue_export() -> tuple[KitItems, KitFiles]:
    from core.models import CatalogueService

    items = {
        service.code: {name: getattr(service, name) for name in _CATALOGUE_FIELDS}
        for service in CatalogueService.objects.order_by("code")
    }
    return items, {}


def catalogue_apply(items: KitItems, files: KitFiles) -> None:
    from core.models import CatalogueService

    CatalogueService.objects.exclude(code__in=list(items)).delete()
    existing = {service.code: service for service in CatalogueService.objects.all()}
    for code, values in items.items():
        fields = {name: values[name] for name in _CATALOGUE_FIELDS if name in values}
        service = existing.get(code)
        if service is None:
            CatalogueService.objects.create(code=code, **fields)
        elif any(getattr(service, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(service, name, value)
            service.save()


# --- Pole switches and settings (rows of the public schema, for the current territory) ----------------------
def _current_territory():
    from tenants.models import Territory

    return Territory.objects.get(schema_name=connection.schema_name)


def poles_export() -> tuple[KitItems, KitFiles]:
    from core.plugins import poles
    from tenants.models import TerritoryPole

    rows = {row.pole: row for row in TerritoryPole.objects.filter(territory=_current_territory())}
    items: KitItems = {}
    for code in sorted(set(poles()) | set(rows)):
        row = rows.get(code)
        items[code] = {"enabled": row.enabled if row else True, "settings": row.settings if row else {}}
    return items, {}


def poles_apply(items: KitItems, files: KitFiles) -> None:
    from tenants.models import TerritoryPole

    territory = _current_territory()
    TerritoryPole.objects.filter(territory=territory).exclude(pole__in=list(items)).delete()
    for code, values in items.items():
        TerritoryPole.objects.update_or_create(
            territory=territory,
            pole=code,
            defaults={"enabled": bool(values.get("enabled", True)), "settings": values.get("settings") or {}},
        )
    if hasattr(connection.tenant, "_ppe_disabled_poles"):
        del connection.tenant._ppe_disabled_poles


# --- Roles and groups ---------------------------------------------------------------------------------------
def roles_export() -> tuple[KitItems, KitFiles]:
    from django.contrib.auth.models import Group

    items: KitItems = {}
    for group in Group.objects.prefetch_related("permissions__content_type").order_by("name"):
        permissions = sorted(f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all())
        items[group.name] = {"permissions": permissions}
    return items, {}


def roles_apply(items: KitItems, files: KitFiles) -> None:
    from django.contrib.auth.models import Group, Permission

    Group.objects.exclude(name__in=list(items)).delete()
    by_key = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.values_list("pk", "content_type__app_label", "codename")
    }
    for name, values in items.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = values.get("permissions") or []
        # A permission of a model this installation does not have is skipped (an optional pole not installed).
        group.permissions.set([by_key[key] for key in wanted if key in by_key])


CORE_SECTIONS = (
    KitSection(
        code="catalogue",
        label="Catalogue de services",
        version=1,
        export=catalogue_export,
        apply=catalogue_apply,
        models=("core.CatalogueService",),
        order=20,
    ),
    KitSection(
        code="poles",
        label="Pôles activés et leurs réglages",
        version=1,
        export=poles_export,
        apply=poles_apply,
        order=10,
    ),
    KitSection(
        code="roles",
        label="Rôles et groupes",
        version=1,
        export=roles_export,
        apply=roles_apply,
        models=("auth.Group",),
        order=5,
    ),
)


def kit_sections_all() -> list[KitSection]:
    """The core's sections and those every installed plugin contributes (`kit_sections` hook), by `order`.

    Poles switched off in a territory are asked too: their configuration stays the territory's while they
    are off (the switch itself travels in the `poles` section). Raises ValueError when two sections share a
    code (a programming error of a plugin)."""
    from core.plugins import plugin_manager

    sections = list(CORE_SECTIONS)
    for contributed in plugin_manager().hook.kit_sections():
        sections.extend(contributed or [])
    codes = [section.code for section in sections]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"Kit sections declared twice: {', '.join(duplicates)}")
    return sorted(sections, key=lambda section: (section.order, section.code))
