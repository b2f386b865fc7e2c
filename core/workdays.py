"""French working days: weekends and the public holidays of the territory's département (the `holidays`
package knows them by subdivision: Alsace-Moselle's Good Friday and Saint-Stephen's day, the abolition of
slavery in the overseas départements...). Without a département, metropolitan France's."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays

# Département code → the `holidays.France` subdivision whose public holidays differ from metropolitan France.
SUBDIVISIONS = {
    "57": "57", "67": "6AE", "68": "6AE",  # Moselle; Bas-Rhin and Haut-Rhin (Alsace)
    "971": "971", "972": "972", "973": "973", "974": "974", "976": "976",
    "975": "PM", "977": "BL", "978": "MF", "986": "WF", "987": "PF", "988": "NC",
}  # fmt: skip


def subdivision_of(departement: str | None) -> str | None:
    return SUBDIVISIONS.get((departement or "").strip().upper())


@functools.cache
def _holidays(year: int, subdivision: str | None = None) -> frozenset[date]:
    return frozenset(holidays.France(years=year, subdiv=subdivision))


def _current_departement() -> str | None:
    """The département code of the territory whose schema the connection is in (None in the public schema)."""
    from django.db import connection

    return getattr(getattr(connection, "tenant", None), "code", None)


def is_working_day(day: date, *, departement: str | None = None) -> bool:
    """Whether `day` is worked in `departement` (default: the current territory's)."""
    if departement is None:
        departement = _current_departement()
    return day.weekday() < 5 and day not in _holidays(day.year, subdivision_of(departement))


def working_days_add(start: date, days: int, *, departement: str | None = None) -> date:
    """The date `days` working days after `start` (`start` itself is not counted), in `departement` (default:
    the current territory's)."""
    if departement is None:
        departement = _current_departement()
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, departement=departement):
            remaining -= 1
    return day
