"""Typed values: what a case's JSON data means, field by field, for CEL and for exports.

A case stores JSON (`workflows.forms`: dates in ISO 8601, decimals and amounts as strings, files as
`{name, path, size, content_type}`). A CEL `Context` holds only plain values, and a guard such as
`data.montant > 1000.0` needs a number, not the string "1500.00". `cel_data` turns the stored (or just
cleaned) values into plain CEL values by the type of the field that holds them:

| field type | CEL value |
|---|---|
| integer | int |
| decimal, money | double |
| date | timestamp (midnight UTC of that day) |
| datetime | timestamp |
| boolean | bool |
| multichoice | list of strings |
| file | map `{name, size, content_type}` (never the bytes, never the storage path) |
| group | list of maps, each typed by the group's own fields |
| anything else | string |

A value that cannot be read as its type becomes `null`; a key no field declares is made plain (numbers as
numbers, dates as timestamps, files as maps). Every evaluation path goes through here (guards, visibility
conditions, tests), so no Python object ever reaches the CEL runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone


def _file_map(value: Any) -> dict[str, Any] | None:
    if isinstance(value, UploadedFile):
        return {"name": value.name or "", "size": int(value.size or 0), "content_type": value.content_type or ""}
    if isinstance(value, Mapping):
        return {
            "name": str(value.get("name") or ""),
            "size": int(value.get("size") or 0),
            "content_type": str(value.get("content_type") or ""),
        }
    return None


def day_timestamp(day: date) -> datetime:
    """A date as a CEL timestamp: midnight UTC of that day (so `data.debut < today` compares days)."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _as_date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return day_timestamp(value.date())
    if isinstance(value, date):
        return day_timestamp(value)
    try:
        return day_timestamp(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return day_timestamp(value)
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(UTC)


def _as_number(value: Any, *, integer: bool) -> int | float | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    if integer:
        return int(number) if number == number.to_integral_value() else None
    return float(number)


def plain(value: Any) -> Any:  # noqa: PLR0911
    """Any value (JSON, Decimal, date, uploaded file, nested) as a plain CEL value, types guessed."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return _as_datetime(value)
    if isinstance(value, date):
        return day_timestamp(value)
    if isinstance(value, UploadedFile):
        return _file_map(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return str(value)


def cel_value(kind: str, value: Any, subfields: Mapping[str, Any] | None = None) -> Any:  # noqa: PLR0911
    """One stored value of a field of type `kind` as a CEL value (`subfields`: a group's fields by code)."""
    if value is None or (value == "" and kind not in ("text", "textarea")):
        return None
    if kind == "integer":
        return _as_number(value, integer=True)
    if kind in ("decimal", "money"):
        return _as_number(value, integer=False)
    if kind == "date":
        return _as_date(value)
    if kind == "datetime":
        return _as_datetime(value)
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "multichoice":
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    if kind == "file":
        return _file_map(value)
    if kind == "group":
        if not isinstance(value, (list, tuple)):
            return []
        return [cel_data(item, subfields or {}) if isinstance(item, Mapping) else plain(item) for item in value]
    if isinstance(value, (list, dict)):
        return plain(value)
    return str(value)


def cel_data(data: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """A case's data as CEL values. `fields`: field code → FieldSpec (or anything with `type` and `fields`)."""
    typed: dict[str, Any] = {}
    for code, value in (data or {}).items():
        spec = fields.get(code)
        if spec is None:
            typed[code] = plain(value)
        else:
            subfields = {f.code: f for f in spec.fields} if spec.fields else None
            typed[code] = cel_value(spec.type, value, subfields)
    return typed


def cel_today() -> datetime:
    """`today` in CEL: the territory's current day as a timestamp (midnight UTC)."""
    return day_timestamp(timezone.localdate())


# --- functions every guard and condition may call ---------------------------------------------------------------


def cel_date(text: str) -> datetime:
    """`date("2025-01-31")` (or "31/01/2025"): a day as a CEL timestamp, to compare with a date field or `today`."""
    text = str(text).strip()
    try:
        if "-" in text:
            day = date.fromisoformat(text[:10])
        else:
            day_, month, year = (int(part) for part in text.split("/"))
            day = date(year, month, day_)
    except ValueError:
        raise ValueError(f"date « {text} » illisible (AAAA-MM-JJ attendu)") from None
    return day_timestamp(day)


def days_between(start: Any, end: Any) -> int:
    """`days_between(data.debut, today)`: whole days from `start` to `end` (negative when `end` is earlier)."""
    first, last = _as_date(start), _as_date(end)
    if first is None or last is None:
        raise ValueError("date absente ou illisible")
    return (last - first).days


ENGINE_FUNCTIONS = {"date": cel_date, "days_between": days_between}
