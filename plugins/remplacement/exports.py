"""Monthly exports of validated hours as CSV (French Excel: semicolon, decimal comma, UTF-8 with BOM) and XLSX
(openpyxl): `lines` (one line per mission and per shift, with the real times and the totals per substitute,
per structure and overall), `substitute` (payroll totals) and `structure` (billing totals)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

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


def _bold_row(sheet) -> None:
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def hours_xlsx(hours: MonthHours, *, by: str, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if by == "lines":
        sheet.title = f"Détail {title}"[:31]
        sheet.append(LINE_HEADERS)
        _bold_row(sheet)
        for line in hours.lines:
            sheet.append([*_line_values(line), float(line.hours)])
        for line in sheet.iter_rows(min_row=2, min_col=13, max_col=13):
            line[0].number_format = "0.00"
        for letter, width in zip("ABCDEFGHIJKLM", (18, 30, 18, 24, 28, 28, 11, 9, 9, 9, 9, 10, 9), strict=True):
            sheet.column_dimensions[letter].width = width
        for name, rows in (("Par remplaçant·e", hours.by_substitute), ("Par structure", hours.by_structure)):
            totals = workbook.create_sheet(name[:31])
            totals.append(TOTAL_HEADERS["substitute" if rows is hours.by_substitute else "structure"])
            _bold_row(totals)
            for row in rows:
                totals.append([row.key, row.label, row.missions, float(row.hours)])
            missions, total = _total(rows)
            totals.append(["", "Total", missions, float(total)])
            _bold_row(totals)
    else:
        rows = hours.by_substitute if by == "substitute" else hours.by_structure
        sheet.title = title[:31]
        sheet.append(TOTAL_HEADERS[by])
        _bold_row(sheet)
        for row in rows:
            sheet.append([row.key, row.label, row.missions, float(row.hours)])
        missions, total = _total(rows)
        sheet.append(["", "Total", missions, float(total)])
        _bold_row(sheet)
        for line in sheet.iter_rows(min_row=2, min_col=4, max_col=4):
            line[0].number_format = "0.00"
        for column, width in zip("ABCD", (28, 36, 10, 10), strict=True):
            sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
