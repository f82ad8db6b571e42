"""Read an input workbook (.xlsx) or a folder of `<Sheet>.csv` files into raw tables.

Nothing is interpreted here beyond finding sheets and headers (case-insensitive, trimmed): cells
stay as the spreadsheet holds them, each row tagged with its Excel row number, so that validation
can name sheet, row and column.
"""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from planner.issues import InputError, Problem
from planner.schema import SHEETS


class NoSavedValue:
    """A formula cell whose computed value was never saved (workbook never opened in a spreadsheet)."""

    def __init__(self, formula: str):
        self.formula = formula

    def __repr__(self):
        return f"NoSavedValue({self.formula!r})"


@dataclass
class RawTable:
    sheet: str  # canonical sheet name from the schema
    headers: dict[str, str]  # canonical (lower-case, trimmed) column name -> header as written
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)  # (Excel row, cells)


@dataclass
class RawInput:
    path: Path
    tables: dict[str, RawTable]
    ignored: list[str] = field(default_factory=list)  # sheets (or CSV files) that are no input table, as named

    def sha256(self) -> str:
        return file_sha256(self.path)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, or of a folder's CSV files in name order."""
    digest = hashlib.sha256()
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


def _canonical(name) -> str:
    return str(name).strip().lower() if name is not None else ""


_SHEET_BY_LOWER = {s.name.lower(): s.name for s in SHEETS}


def read_input(path: str | Path) -> RawInput:
    """Read a workbook or CSV folder; raise InputError for a file that cannot be read at all."""
    path = Path(path)
    if not path.exists():
        raise InputError([Problem(str(path), None, None, "file or folder not found")])
    ignored: list[str] = []
    if path.is_dir():
        return RawInput(path, _read_csv_folder(path, ignored), ignored)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputError([Problem(path.name, None, None,
                                  "old .xls workbooks are not supported: save it as .xlsx (Excel Workbook) and retry")])
    if suffix not in (".xlsx", ".xlsm"):
        raise InputError([Problem(path.name, None, None,
                                  "expected an .xlsx workbook or a folder of CSV files")])
    return RawInput(path, _read_workbook(path, ignored), ignored)


def _read_workbook(path: Path, ignored: list[str]) -> dict[str, RawTable]:
    try:
        values = openpyxl.load_workbook(path, data_only=True, read_only=True)
        formulas = openpyxl.load_workbook(path, data_only=False, read_only=True)
    except Exception as exc:  # a corrupt or non-Excel file: report it, never a traceback
        raise InputError([Problem(path.name, None, None, f"cannot be read as an .xlsx workbook ({exc})")]) from None
    tables = {}
    try:
        for ws in values.worksheets:
            sheet = _SHEET_BY_LOWER.get(_canonical(ws.title))
            if sheet is None:
                ignored.append(ws.title)
                continue  # planners keep notes on sheets of their own
            formula_ws = formulas[ws.title]
            for sheet_ws in (ws, formula_ws):
                sheet_ws.reset_dimensions()  # stored dimensions can be wrong in files written by programs
            value_rows = ws.iter_rows(values_only=True)
            formula_rows = formula_ws.iter_rows(values_only=True)
            tables[sheet] = _table(sheet, _merge_formulas(value_rows, formula_rows))
    finally:
        values.close()
        formulas.close()
    return tables


def _merge_formulas(value_rows, formula_rows):
    """Yield value rows, marking formula cells that have no cached value."""
    for vals, forms in zip(value_rows, formula_rows):
        yield [NoSavedValue(f) if v is None and isinstance(f, str) and f.startswith("=") else v
               for v, f in zip(vals, forms)]


def _read_csv_folder(folder: Path, ignored: list[str]) -> dict[str, RawTable]:
    tables = {}
    for file in sorted(folder.glob("*.csv")):
        sheet = _SHEET_BY_LOWER.get(_canonical(file.stem))
        if sheet is None:
            ignored.append(file.stem)
            continue
        with file.open(newline="", encoding="utf-8-sig") as fh:
            tables[sheet] = _table(sheet, ([c if c != "" else None for c in row] for row in csv.reader(fh)))
    return tables


def _table(sheet: str, rows) -> RawTable:
    rows = iter(rows)
    header = next(rows, None) or []
    positions = {}
    headers = {}
    for i, name in enumerate(header):
        key = _canonical(name)
        if key and key not in positions:
            positions[key] = i
            headers[key] = str(name).strip()
    table = RawTable(sheet, headers)
    for excel_row, cells in enumerate(rows, start=2):
        record = {key: (cells[i] if i < len(cells) else None) for key, i in positions.items()}
        record = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in record.items()}
        if any(v is not None for v in record.values()):
            table.rows.append((excel_row, record))
    return table
