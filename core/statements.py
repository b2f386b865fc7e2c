"""Statements written once per process from the models' metadata, for the reads asked at every request.

The ORM compiles a queryset's SQL again at each evaluation: for a lookup by key with a few joins, measured in
bench/api.py's profile, that is more time than the round trip itself. The few reads on every request's path
(an API token and its user, a case by its reference) are written here once, and their rows turned into the
instances the ORM would have built: the same columns, the same converters (JSON, for one), related instances
in their cache as `select_related` leaves them.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model


def quoted(name: str) -> str:
    return connection.ops.quote_name(name)


class ModelColumns:
    """A model's concrete columns under a table alias of a statement, and its instances from those columns."""

    def __init__(self, model: type[Model], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = [field for field in model._meta.concrete_fields if not field.generated]  # (as Case.objects)
        self.attnames = [field.attname for field in self.fields]
        self._pk_index = self.attnames.index(model._meta.pk.attname)
        self._converters: list[tuple[int, list]] | None = None

    def column(self, name: str) -> str:
        """`alias."column"` of the field `name`."""
        return f"{self.alias}.{quoted(self.model._meta.get_field(name).column)}"

    @property
    def select(self) -> str:
        return ", ".join(f"{self.alias}.{quoted(field.column)}" for field in self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def converters(self) -> list[tuple[int, list]]:
        """The converters the ORM applies to each column read (backend's, then field's), by position."""
        if self._converters is None:
            found = []
            for index, field in enumerate(self.fields):
                col = field.get_col(self.alias)
                functions = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if functions:
                    found.append((index, [(function, col) for function in functions]))
            self._converters = found
        return self._converters

    def instance(self, values: tuple | list) -> Model | None:
        """The instance of these columns' values (None for a LEFT JOIN that found nothing)."""
        values = list(values)
        if values[self._pk_index] is None:
            return None
        for index, functions in self.converters():
            value = values[index]
            for function, col in functions:
                value = function(value, col, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self.attnames, values)


def row_split(row: tuple, *parts: ModelColumns) -> list[Any]:
    """The instances of `parts` from a row that selected their columns in that order, then the rest of the row."""
    found, offset = [], 0
    for part in parts:
        found.append(part.instance(row[offset : offset + len(part)]))
        offset += len(part)
    return [*found, *row[offset:]]
