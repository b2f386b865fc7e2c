"""CSV and XLSX exports of a filtered list of cases (columns: the case, then its data by field label)."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from core.selectors.case_work import field_specs, value_display
from workflows.engine import compiled_version

FIXED_COLUMNS = ["Référence", "Type de dossier", "État", "Structure", "Chargés du dossier", "Ouvert le",
                 "Échéance", "Clôturé le"]  # fmt: skip


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas in exported text (CSV/formula injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def cases_table(cases) -> tuple[list[str], list[list[str]]]:
    """Header and rows of an export; data columns are the fields' labels of the cases' workflow versions."""
    cases = list(cases)
    columns: dict[str, str] = {}
    specs_by_version: dict[int, Any] = {}
    for case in cases:
        if case.workflow_version_id not in specs_by_version:
            specs_by_version[case.workflow_version_id] = field_specs(compiled_version(case.workflow_version_id))
        for code in case.data or {}:
            spec = specs_by_version[case.workflow_version_id].get(code)
            columns.setdefault(code, spec.label if spec else code)
    header = FIXED_COLUMNS + list(columns.values())
    rows = []
    for case in cases:
        compiled = compiled_version(case.workflow_version_id)
        specs = specs_by_version[case.workflow_version_id]
        row = [
            case.reference,
            case.workflow.name,
            compiled.state_label(case.state),
            str(case.structure) if case.structure_id else "",
            ", ".join(u.get_full_name() or u.get_username() for u in case.assignees.all()),
            case.created_at.date().isoformat(),
            case.due_at.isoformat() if case.due_at else "",
            case.closed_at.date().isoformat() if case.closed_at else "",
        ]
        data = case.data or {}
        row += [value_display(specs.get(code), data[code]) if code in data else "" for code in columns]
        rows.append(["" if value == "—" else _cell(str(value)) for value in row])
    return header, rows


def cases_csv(cases) -> bytes:
    header, rows = cases_table(cases)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: spreadsheets read it as UTF-8


def cases_xlsx(cases) -> bytes:
    header, rows = cases_table(cases)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Dossiers"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for index, title in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(12, min(40, len(title) + 4))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
