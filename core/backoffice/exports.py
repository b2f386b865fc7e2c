"""CSV and XLSX exports of a filtered list of cases (columns: the case, then its data by field label).

Streamed, so that an export of a territory's 100,000 cases holds a few thousand of them in memory at a time:
the data columns come from one query (every data key of the exported cases, labelled by the fields of their
workflow versions, in the forms' order); the cases are then read in chunks (`EXPORT_CHUNK`, their assignees'
names in one query per chunk). The CSV goes out as it is written; the XLSX is written by XlsxWriter in constant-memory
mode to a temporary file, which is then sent.
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from django.db.models import F, Func
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.models import Case
from core.selectors.case_work import field_specs, value_display
from workflows.engine import compiled_version

FIXED_COLUMNS = ["Référence", "Type de dossier", "État", "Structure", "Chargés du dossier", "Ouvert le",
                 "Échéance", "Clôturé le"]  # fmt: skip
EXPORT_CHUNK = 2000
CSV_BATCH = 500  # rows per chunk of the streamed CSV


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas in exported text (CSV/formula injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _data_columns(cases) -> dict[str, str]:
    """Data key → column title: the keys the exported cases hold, in the order of their versions' forms (the
    opening form's first), then the keys no form knows, by name."""
    plain = cases.order_by()
    keys = set(
        plain.annotate(key=Func(F("data"), function="jsonb_object_keys")).values_list("key", flat=True).distinct()
    )
    columns: dict[str, str] = {}
    for version_id in sorted(plain.values_list("workflow_version_id", flat=True).distinct()):
        for code, spec in field_specs(compiled_version(version_id)).items():
            if code in keys:
                columns.setdefault(code, spec.label)
    columns.update({code: code for code in sorted(keys - columns.keys())})
    return columns


def cases_export(cases, *, typed: bool = False) -> tuple[list[str], Iterator[list[Any]]]:
    """The header of an export of `cases` and an iterator over its rows (read from the database in chunks).
    With `typed`, numbers, amounts and dates stay numbers and dates (`typed_value`) for a spreadsheet;
    otherwise every cell is the text a person reads."""
    columns = _data_columns(cases)
    return FIXED_COLUMNS + list(columns.values()), _rows(cases, list(columns), typed=typed)


def typed_value(spec, value: Any) -> Any:
    """A stored value as a spreadsheet cell: int for integers, Decimal for decimals and amounts, date for
    dates, naive local datetime for date-times; anything else (or a value that does not read as its type)
    as the text a person reads."""
    kind = spec.type if spec else ""
    try:
        if kind == "integer" and not isinstance(value, bool):
            return int(value)
        if kind in ("decimal", "money") and not isinstance(value, bool):
            return Decimal(str(value))
        if kind == "date" and isinstance(value, str) and (day := parse_date(value)):
            return day
        if kind == "datetime" and isinstance(value, str) and (moment := parse_datetime(value)):
            return timezone.localtime(moment).replace(tzinfo=None) if timezone.is_aware(moment) else moment
    except (TypeError, ValueError, InvalidOperation):
        pass
    return _text(value_display(spec, value))


def _text(value: Any) -> str:
    return "" if value == "—" else _cell(str(value))


EXPORTED = ("pk", "reference", "workflow__name", "workflow_version_id", "state", "structure__name",
            "structure__commune", "created_at", "due_at", "closed_at", "data")  # fmt: skip


def _with_assignees(cases) -> Iterator[tuple[tuple, list[str]]]:
    """The exported columns of each case (`EXPORTED`, no model instance built) with its assignees' names, read
    with one query per chunk of cases (a prefetch would build a queryset per case: a third of an export's
    time, measured on bench/volume.py's data)."""
    rows = cases.prefetch_related(None).values_list(*EXPORTED).iterator(chunk_size=EXPORT_CHUNK)
    links = Case.assignees.through.objects
    while chunk := list(islice(rows, EXPORT_CHUNK)):
        names: dict[int, list[str]] = defaultdict(list)
        for case_id, first, last, username in (
            links.filter(case_id__in=[row[0] for row in chunk])
            .order_by("case_id", "user__last_name", "user__first_name")
            .values_list("case_id", "user__first_name", "user__last_name", "user__username")
        ):
            names[case_id].append(f"{first} {last}".strip() or username)
        for row in chunk:
            yield row, names.get(row[0], [])


def _rows(cases, codes: list[str], *, typed: bool = False) -> Iterator[list[Any]]:
    specs_by_version: dict[int, Any] = {}
    day = (lambda moment: timezone.localtime(moment).date()) if typed else (lambda moment: moment.date().isoformat())
    for values, assignees in _with_assignees(cases):
        _pk, reference, workflow, version_id, state, structure, commune, created_at, due_at, closed_at, data = values
        compiled = compiled_version(version_id)
        specs = specs_by_version.get(version_id)
        if specs is None:
            specs = specs_by_version[version_id] = field_specs(compiled)
        row: list[Any] = [
            reference,
            workflow,
            compiled.state_label(state),
            f"{structure} ({commune})" if structure is not None else "",
            ", ".join(assignees),
        ]
        row = [_text(value) for value in row] + [
            day(created_at),
            (due_at if typed else due_at.isoformat()) if due_at else "",
            day(closed_at) if closed_at else "",
        ]
        data = data or {}
        for code in codes:
            if code not in data or data[code] in (None, "", [], {}):
                row.append("")
            elif typed:
                row.append(typed_value(specs.get(code), data[code]))
            else:
                row.append(_text(value_display(specs.get(code), data[code])))
        yield row


class _Line:
    """A file-like object whose write returns what it was given: csv.writer then formats one line at a time."""

    def write(self, value: str) -> str:
        return value


def cases_csv_stream(cases) -> Iterator[bytes]:
    """The CSV export (`;`-separated, UTF-8 with a BOM so that spreadsheets read it as UTF-8), in chunks."""
    header, rows = cases_export(cases)
    writer = csv.writer(_Line(), delimiter=";")
    yield ("\ufeff" + writer.writerow(header)).encode("utf-8")
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow(row))
        if len(batch) >= CSV_BATCH:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


def xlsx_workbook(output, **options):
    """An XlsxWriter workbook writing to `output`, whose texts stay texts: never a formula (a value beginning
    with « = » typed by anyone), a link or a number. Every XLSX export of the product is written by one."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        output, {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False, **options}
    )


def cases_xlsx_file(cases):
    """The XLSX export, written by XlsxWriter in constant-memory mode (a row at a time) to a temporary file
    (returned open, at its start; it disappears when closed). Empty cells are not written: most data columns
    belong to another workflow than the row's (four cells in five, measured on bench/volume.py's data)."""
    header, rows = cases_export(cases, typed=True)
    output = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the response, which closes it)
    workbook = xlsx_workbook(output, constant_memory=True)
    sheet = workbook.add_worksheet("Dossiers")
    for index, title in enumerate(header):
        sheet.set_column(index, index, max(12, min(40, len(title) + 4)))
    sheet.freeze_panes(1, 0)
    bold = workbook.add_format({"bold": True})
    for index, title in enumerate(header):
        sheet.write_string(0, index, title, bold)
    formats = {
        date: workbook.add_format({"num_format": "DD/MM/YYYY"}),
        datetime: workbook.add_format({"num_format": "DD/MM/YYYY HH:MM"}),
        Decimal: workbook.add_format({"num_format": "#,##0.00"}),
    }
    for line, row in enumerate(rows, start=1):
        for index, value in enumerate(row):
            kind = type(value)
            if kind is str:
                if value:
                    sheet.write_string(line, index, value)
            elif kind is date or kind is datetime:
                sheet.write_datetime(line, index, value, formats[kind])
            elif kind is Decimal:
                sheet.write_number(line, index, float(value), formats[Decimal])
            elif kind is bool:
                sheet.write_boolean(line, index, value)
            elif value is not None:
                sheet.write_number(line, index, value)
    workbook.close()
    output.seek(0)
    return output
