"""Monthly exports of validated hours, per substitute (payroll) and per structure (billing), as CSV (French
Excel: semicolon, decimal comma, UTF-8 with BOM) and XLSX (openpyxl)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from plugins.remplacement.selectors import HoursRow

HEADERS = {
    "substitute": ["Courriel", "Remplaçant·e", "Missions", "Heures"],
    "structure": ["SIRET ou identifiant", "Structure", "Missions", "Heures"],
}


def _total(rows: list[HoursRow]) -> tuple[int, Decimal]:
    return sum(r.missions for r in rows), sum((r.hours for r in rows), Decimal("0"))


def hours_csv(rows: list[HoursRow], *, by: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS[by])
    for row in rows:
        writer.writerow([row.key, row.label, row.missions, f"{row.hours:.2f}".replace(".", ",")])
    missions, hours = _total(rows)
    writer.writerow(["", "Total", missions, f"{hours:.2f}".replace(".", ",")])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def hours_xlsx(rows: list[HoursRow], *, by: str, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(HEADERS[by])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.key, row.label, row.missions, float(row.hours)])
    missions, hours = _total(rows)
    sheet.append(["", "Total", missions, float(hours)])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for line in sheet.iter_rows(min_row=2, min_col=4, max_col=4):
        line[0].number_format = "0.00"
    for column, width in zip("ABCD", (28, 36, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
