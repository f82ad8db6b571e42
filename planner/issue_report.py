"""`reeplan validate INPUT --report OUT.xlsx`: a copy of the input with every problem marked.

Problem cells are filled red (warnings amber) and carry the message as a comment; an `Issues` sheet
lists every problem with a hyperlink to its cell. The input file itself is only read.
"""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from planner.issues import WARNING, Problem
from planner.reader import open_workbook_safely, read_input
from planner.openpyxl_sheets import save_workbook, write_table
from planner.workbook import cell_value, safe_text

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")


def _copy_of_input(path: Path) -> tuple[openpyxl.Workbook, frozenset]:
    """The input as a workbook, and the planner's own formulas in it (which stay formulas in the report)."""
    if path.is_dir():  # a CSV folder becomes a workbook with one sheet per file, cells as written (text)
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, table in read_input(path).tables.items():
            ws = wb.create_sheet(name)
            headers = list(table.headers)
            ws.append([cell_value(table.headers[h]) for h in headers])
            for row, cells in table.rows:
                for i, h in enumerate(headers, start=1):
                    ws.cell(row=row, column=i, value=cell_value(cells.get(h)))
        return wb, frozenset()
    with open_workbook_safely(path):
        wb = openpyxl.load_workbook(path)
    return wb, frozenset((ws.title, c.coordinate) for ws in wb.worksheets for c in ws._cells.values()
                         if c.data_type == "f")


def _sheet(wb, name: str):
    return next((ws for ws in wb.worksheets if ws.title.strip().lower() == name.lower()), None)


def _column_index(ws, column: str | None) -> int | None:
    if not column:
        return None
    for cell in ws[1]:
        if cell.value is not None and str(cell.value).strip().lower() == column.strip().lower():
            return cell.column
    return None


def write_issue_report(path: Path, problems: list[Problem], target: Path) -> None:
    wb, formulas = _copy_of_input(path)
    rows = []
    for p in problems:
        ws = _sheet(wb, p.sheet)
        address = None
        if ws is not None and p.row is not None:
            col = _column_index(ws, p.column) or 1
            cell = ws.cell(row=p.row, column=col)
            cell.fill = WARNING_FILL if p.severity == WARNING else ERROR_FILL
            text = p.message if cell.comment is None else cell.comment.text + "\n" + p.message
            cell.comment = Comment(safe_text(text), "reeplan", width=300, height=100)
            address = f"'{ws.title}'!{get_column_letter(col)}{p.row}"
        rows.append({"severity": p.severity, "sheet": p.sheet, "row": p.row, "column": p.column,
                     "message": p.message, "go to": "go to cell" if address else "", "_address": address})
    issues = wb.create_sheet("Issues", 0)
    frame = pd.DataFrame(rows, columns=["severity", "sheet", "row", "column", "message", "go to", "_address"])
    write_table(issues, frame.drop(columns="_address"))
    for i, address in enumerate(frame["_address"], start=2):
        if address:
            link = issues.cell(row=i, column=6)
            link.hyperlink = f"#{address}"
            link.font = Font(color="0563C1", underline="single")
    save_workbook(wb, target, keep_formulas=formulas)
