"""Monthly exports of validated hours as CSV (French Excel: semicolon, decimal comma, UTF-8 with BOM) and XLSX
(XlsxWriter, as the case list's export: a text is always written as text, never as a formula): `lines` (one line
per mission and per shift, with the real times and the totals per substitute, per structure and overall),
`substitute` (payroll totals) and `structure` (billing totals)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from core.backoffice.exports import xlsx_workbook
from plugins.remplacement.selectors import HoursRow, MonthHours

TOTAL_HEADERS = {
    "substitute": ["Courriel", "Remplaçant·e", "Missions", "Heures"],
    "structure": ["SIRET ou identifiant", "Structure", "Missions", "Heures"],
}
LINE_HEADERS = [
    "Dossier", "Structure", "SIRET ou identifiant", "Remplaçant·e", "Courriel", "Qualification", "Jour",
    "Prévu de", "Prévu à", "Arrivée", "Départ", "Pause (min)", "Heures",
]  # fmt: skip


def _total(rows: list[HoursRow]) -> tuple[int, Decimal]:
    return sum(r.missions for r in rows), sum((r.hours for r in rows), Decimal("0"))


def _fr(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _line_values(line) -> list:
    return [
        line.reference, line.structure, line.structure_key, line.substitute, line.substitute_email,
        line.qualification, line.started_at.strftime("%d/%m/%Y"), line.planned_start.strftime("%H:%M"),
        line.planned_end.strftime("%H:%M"), line.started_at.strftime("%H:%M"), line.ended_at.strftime("%H:%M"),
        line.break_minutes,
    ]  # fmt: skip


def hours_csv(hours: MonthHours, *, by: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    if by == "lines":
        writer.writerow(LINE_HEADERS)
        for line in hours.lines:
            writer.writerow([*_line_values(line), _fr(line.hours)])
        writer.writerow([])
        for title, rows in (
            ("Total par remplaçant·e", hours.by_substitute),
            ("Total par structure", hours.by_structure),
        ):
            writer.writerow([title])
            for row in rows:
                writer.writerow(["", row.label, row.key, f"{row.missions} mission(s)", "", "", "", "", "", "", "", "",
                                 _fr(row.hours)])  # fmt: skip
        missions, total = _total(hours.by_structure)
        writer.writerow(["Total du mois", "", "", f"{missions} mission(s)", "", "", "", "", "", "", "", "", _fr(total)])
    else:
        rows = hours.by_substitute if by == "substitute" else hours.by_structure
        writer.writerow(TOTAL_HEADERS[by])
        for row in rows:
            writer.writerow([row.key, row.label, row.missions, _fr(row.hours)])
        missions, total = _total(rows)
        writer.writerow(["", "Total", missions, _fr(total)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


class _Sheet:
    """A worksheet written a row after the other: texts as texts, numbers as numbers (hours, the Decimals, with
    two decimals), a row in bold (headers, totals), the columns' widths."""

    def __init__(self, workbook, name: str, widths: tuple[int, ...], formats: dict) -> None:
        self.sheet = workbook.add_worksheet(name[:31])
        self.formats = formats
        self.row = 0
        for column, width in enumerate(widths):
            self.sheet.set_column(column, column, width)

    def append(self, values: list, *, bold: bool = False) -> None:
        for column, value in enumerate(values):
            if isinstance(value, Decimal):
                self.sheet.write_number(self.row, column, float(value), self.formats["bold_hours" if bold else "hours"])
            elif isinstance(value, str):
                if value:
                    self.sheet.write_string(self.row, column, value, self.formats["bold"] if bold else None)
            elif value is not None:
                self.sheet.write_number(self.row, column, float(value), self.formats["bold"] if bold else None)
        self.row += 1


def hours_xlsx(hours: MonthHours, *, by: str, title: str) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsx_workbook(buffer, in_memory=True)
    formats = {
        "bold": workbook.add_format({"bold": True}),
        "hours": workbook.add_format({"num_format": "0.00"}),
        "bold_hours": workbook.add_format({"bold": True, "num_format": "0.00"}),
    }
    if by == "lines":
        sheet = _Sheet(workbook, f"Détail {title}", (18, 30, 18, 24, 28, 28, 11, 9, 9, 9, 9, 10, 9), formats)
        sheet.append(LINE_HEADERS, bold=True)
        for line in hours.lines:
            sheet.append([*_line_values(line), line.hours])
        for name, rows, kind in (
            ("Par remplaçant·e", hours.by_substitute, "substitute"),
            ("Par structure", hours.by_structure, "structure"),
        ):
            totals = _Sheet(workbook, name, (28, 36, 10, 10), formats)
            _totals_write(totals, rows, kind)
    else:
        rows = hours.by_substitute if by == "substitute" else hours.by_structure
        _totals_write(_Sheet(workbook, title, (28, 36, 10, 10), formats), rows, by)
    workbook.close()
    return buffer.getvalue()


def _totals_write(sheet: _Sheet, rows: list[HoursRow], kind: str) -> None:
    sheet.append(TOTAL_HEADERS[kind], bold=True)
    for row in rows:
        sheet.append([row.key, row.label, row.missions, row.hours])
    missions, total = _total(rows)
    sheet.append(["", "Total", missions, total], bold=True)
