"""Write result tables to an .xlsx workbook safely: through `planner.outputs` (temporary file, rename)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from planner.outputs import staged

atomic_path = staged  # the earlier name: every file reeplan writes is staged by planner.outputs

TONNES = "#,##0.0"
MONEY = "#,##0.00"
PERCENT = "0.0%"
HEADER_FONT = Font(bold=True)


def number_format(column: str) -> str | None:
    """The Excel number format a result column is shown in."""
    if column.endswith("_t") or column in ("activity", "value_t"):
        return TONNES
    if column in ("service_level", "probability") or column.startswith("share"):
        return PERCENT
    if column in ("price", "shadow_price", "rhs", "slack", "objective", "cost", "marginal_value"):
        return MONEY
    return None


def cell_value(value):
    """A value Excel can hold: no NaN or infinities (left blank), plain Python types."""
    if value is None:
        return None
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


def save_workbook(wb, target: Path) -> None:
    """Save a workbook reeplan made through planner.outputs (every workbook writer ends here)."""
    with staged(target) as tmp:
        wb.save(tmp)


def write_json(payload: dict, target: Path) -> None:
    with staged(target) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, allow_nan=False), encoding="utf-8")
