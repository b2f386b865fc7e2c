from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import Territory, TerritoryPole


def territory_list(*, include_templates: bool = False, include_drafts: bool = True) -> QuerySet[Territory]:
    qs = Territory.objects.exclude(schema_name="public").prefetch_related("domains")
    if not include_templates:
        qs = qs.filter(is_template=False)
    if not include_drafts:  # a draft's site is not public yet
        qs = qs.filter(published_at__isnull=False)
    return qs.order_by("code", "name")


def territory_get(*, schema_name: str) -> Territory:
    return Territory.objects.get(schema_name=schema_name)


def territory_disabled_poles(*, territory: Territory) -> set[str]:
    """The poles switched off in a territory (a pole with no row is on)."""
    return set(TerritoryPole.objects.filter(territory=territory, enabled=False).values_list("pole", flat=True))
