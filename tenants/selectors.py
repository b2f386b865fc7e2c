from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from tenants.models import Territory, TerritoryPole
from tenants.table_cache import TableCache


def territory_list(*, include_templates: bool = False, include_drafts: bool = True) -> QuerySet[Territory]:
    qs = Territory.objects.exclude(schema_name="public").prefetch_related("domains")
    if not include_templates:
        qs = qs.filter(is_template=False)
    if not include_drafts:  # a draft's site is not public yet
        qs = qs.filter(published_at__isnull=False)
    return qs.order_by("code", "name")


def territory_get(*, schema_name: str) -> Territory:
    return Territory.objects.get(schema_name=schema_name)


def _poles_load(**filters: Any) -> dict[str, tuple[bool, dict[str, Any]]]:
    return {
        pole: (enabled, settings or {})
        for pole, enabled, settings in TerritoryPole.objects.filter(**filters).values_list(
            "pole", "enabled", "settings"
        )
    }


# The current territory's pole rows, kept in each process (no query per request; see tenants.table_cache and
# PPE_POLE_CACHE_CHECK_MS): forgotten in this process whenever a row is written, whatever the schema it is
# written from (a clone or a kit import writes them from the public schema).
_current_poles = TableCache(
    TerritoryPole, lambda: _poles_load(territory__schema_name=connection.schema_name),
    check_setting="PPE_POLE_CACHE_CHECK_MS", shared=True,
)  # fmt: skip
_current_poles.connect()


def territory_poles(*, territory: Territory) -> dict[str, tuple[bool, dict[str, Any]]]:
    """Each pole row of a territory, by pole code: (switched on, its stored settings). A pole with no row is
    on, with its default settings."""
    if territory.schema_name == connection.schema_name:
        return _current_poles.get()
    return _poles_load(territory=territory)


def territory_disabled_poles(*, territory: Territory) -> set[str]:
    """The poles switched off in a territory (a pole with no row is on)."""
    return {pole for pole, (enabled, _) in territory_poles(territory=territory).items() if not enabled}
