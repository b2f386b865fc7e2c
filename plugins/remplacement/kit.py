"""The remplacement pole's configuration in the territory kit: the qualifications (diplomas) and which ones
may replace which. Substitutes, requests, offers and timesheets are the territory's data and never cross."""

from __future__ import annotations

from core.hookspecs import KitFiles, KitItems, KitSection

_FIELDS = ("label", "short_label", "is_qualified_staff", "order")


def qualifications_export() -> tuple[KitItems, KitFiles]:
    from plugins.remplacement.models import Qualification

    items: KitItems = {}
    for qualification in Qualification.objects.prefetch_related("satisfies").order_by("code"):
        item = {name: getattr(qualification, name) for name in _FIELDS}
        item["satisfies"] = sorted(other.code for other in qualification.satisfies.all())
        items[qualification.code] = item
    return items, {}


def qualifications_apply(items: KitItems, files: KitFiles) -> None:
    """Create or update the kit's qualifications; one the kit lacks stays (substitutes may hold it)."""
    from plugins.remplacement.models import Qualification

    by_code = {}
    for code, item in items.items():
        by_code[code], _ = Qualification.objects.update_or_create(
            code=code, defaults={name: item[name] for name in _FIELDS if name in item}
        )
    known = {q.code: q for q in Qualification.objects.all()}
    for code, item in items.items():
        by_code[code].satisfies.set([known[other] for other in item.get("satisfies") or [] if other in known])


SECTIONS = [
    KitSection(
        code="remplacement_qualifications",
        label="Remplacement : qualifications",
        version=1,
        export=qualifications_export,
        apply=qualifications_apply,
        models=("remplacement.Qualification",),
        order=60,
    )
]
