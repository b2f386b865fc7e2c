"""A kit section for a pole's configuration table whose rows are keyed by a unique `code` (shipped rules,
document templates...): every concrete field travels except the primary key and timestamps."""

from __future__ import annotations

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder

from core.hookspecs import KitFiles, KitItems, KitSection

_SKIPPED = {"id", "updated_at", "created_at"}


def _fields(model) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.attname not in _SKIPPED and field.name != "code" and not field.is_relation
    ]


def coded_model_section(*, code: str, label: str, model: str, order: int = 70) -> KitSection:
    """A section that makes the current schema's rows of `model` exactly the kit's, keyed by `code`."""

    def export() -> tuple[KitItems, KitFiles]:
        model_class = apps.get_model(model)
        encoder = DjangoJSONEncoder()
        items: KitItems = {}
        for row in model_class.objects.order_by("code"):
            values = {name: getattr(row, name) for name in _fields(model_class)}
            items[row.code] = {
                name: value
                if isinstance(value, str | int | float | bool | list | dict | None)
                else encoder.default(value)
                for name, value in values.items()
            }
        return items, {}

    def apply(items: KitItems, files: KitFiles) -> None:
        model_class = apps.get_model(model)
        names = set(_fields(model_class))
        for row_code, item in items.items():
            model_class.objects.update_or_create(
                code=row_code, defaults={name: value for name, value in item.items() if name in names}
            )
        model_class.objects.exclude(code__in=list(items)).delete()

    return KitSection(code=code, label=label, version=1, export=export, apply=apply, models=(model,), order=order)
