"""`reeplan template`: the input workbook a planner fills in, written from the schema.

Every sheet of the schema with a bold, commented, frozen header; styled input cells; drop-down lists
for names defined on other sheets, booleans and choices; numeric checks where the schema has bounds;
an About sheet documenting every column. Without --blank it holds the bundled data.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from planner import schema as S
from planner.cells import CellError, parse_cell
from planner.reader import RawInput
from planner.openpyxl_sheets import save_workbook, write_table

INPUT_FILL = PatternFill("solid", fgColor="FFF8E1")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_ROWS = 500  # rows styled and validated below the header
KIND_WORDS = {
    S.ID: "name", S.REF: "name from another sheet", S.PERIOD: "period name, * or blank = every period",
    S.REF_LIST: "names separated by ;", S.QUANTITY: "number ≥ 0", S.RATE: "number in [0, 1]",
    S.COUNT: "whole number ≥ 0", S.FACTOR: "number > 0", S.NUMBER: "number", S.BOOL: "TRUE or FALSE",
    S.TEXT: "text", S.CHOICE: "one of the listed words", S.VALUE: "number or text",
}


def about_rows() -> list[dict]:
    rows = []
    for sheet in S.SHEETS:
        rows.append({"sheet": sheet.name, "column": "", "required": "yes" if sheet.required else "no",
                     "type": "sheet", "unit": "", "default": "", "meaning": sheet.meaning, "example": ""})
        for c in sheet.columns:
            kind = KIND_WORDS[c.kind] + (f": {', '.join(c.choices)}" if c.choices else "")
            if c.refers_to:
                kind += f" (from {c.refers_to})"
            rows.append({"sheet": sheet.name, "column": c.name, "required": "yes" if c.required else "no",
                         "type": kind, "unit": c.unit, "default": c.default_text, "meaning": c.meaning,
                         "example": "" if c.example is None else c.example})
    rows.append({"sheet": "(any)", "column": "reference / notes", "required": "no", "type": "text", "unit": "",
                 "default": "", "meaning": "kept silently: cite the source of every number here", "example": "[S16]"})
    rows.append({"sheet": "(any)", "column": "(every number)", "required": "", "type": "number", "unit": "",
                 "default": "", "meaning": f"finite, between -{S.MAX_MAGNITUDE:g} and {S.MAX_MAGNITUDE:g} (the solver "
                 "reads 1e20 as infinity); where the default is 'no limit', leave the cell blank or write inf. "
                 f"Discount factors, given or from discount_rate, at most {S.MAX_DISCOUNT_FACTOR:g}",
                 "example": 1e9})
    return rows


def _typed(column: S.Column | None, value):
    """A CSV text cell as the spreadsheet should hold it (numbers as numbers, booleans as booleans)."""
    if column is None or value is None or column.kind in (S.PERIOD, S.ID, S.REF, S.TEXT, S.REF_LIST, S.CHOICE):
        return value
    if column.kind == S.VALUE:  # Settings and Overrides values: a number where the text is one
        try:
            return float(value)
        except ValueError:
            return value
    try:
        parsed = parse_cell(column, value)
    except CellError:
        return value
    return None if parsed == S.INF else parsed


def _validation(column: S.Column, id_ranges: dict[str, str]) -> DataValidation | None:
    if column.kind in (S.REF, S.PERIOD, S.REF_LIST) and column.refers_to in id_ranges:
        # a period may also be * and a list cell may hold a;b: warn rather than stop outside the list
        return DataValidation(type="list", formula1=id_ranges[column.refers_to], allow_blank=True,
                              errorStyle="stop" if column.kind == S.REF else "warning")
    if column.kind == S.BOOL:
        return DataValidation(type="list", formula1='"TRUE,FALSE"', allow_blank=True)
    if column.kind == S.CHOICE:
        return DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
    if column.kind == S.RATE:
        return DataValidation(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True)
    if column.kind == S.COUNT:
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    if column.kind == S.QUANTITY:
        return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    return None


def write_template(target: Path, raw: RawInput | None) -> None:
    """Write the template; `raw` (the bundled data) fills it unless None (--blank)."""
    wb = Workbook()
    about = wb.active
    about.title = "About"
    write_table(about, pd.DataFrame(about_rows()))
    id_ranges = {}
    for sheet in S.SHEETS:
        if sheet.id_column is not None:
            letter = get_column_letter(sheet.columns.index(sheet.id_column) + 1)
            id_ranges[sheet.name] = f"'{sheet.name}'!${letter}$2:${letter}${INPUT_ROWS + 1}"
    for sheet in S.SHEETS:
        ws = wb.create_sheet(sheet.name)
        table = raw.tables.get(sheet.name) if raw else None
        extra = [h for k, h in (table.headers.items() if table else []) if sheet.column(k) is None]
        headers = [c.name for c in sheet.columns] + extra
        ws.append(headers)
        if table:
            for _, cells in table.rows:
                ws.append([_typed(sheet.column(h.lower()), cells.get(h.lower())) for h in headers])
        _style_sheet(ws, sheet, headers, id_ranges)
    save_workbook(wb, target)


def _style_sheet(ws, sheet: S.Sheet, headers: list[str], id_ranges: dict[str, str]) -> None:
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"  # print setup: header on every page, one page wide, landscape when wide
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if len(headers) > 7:
        ws.page_setup.orientation = "landscape"
    ws.oddFooter.center.text = "&A"
    ws.oddFooter.right.text = "page &P of &N"
    for i, name in enumerate(headers, start=1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        column = sheet.column(name)
        if column is not None:
            text = f"{column.meaning}\nType: {KIND_WORDS[column.kind]}"
            text += f"\nUnit: {column.unit}" if column.unit else ""
            text += "\nRequired" if column.required else (f"\nDefault: {column.default_text}" if column.default_text else "")
            cell.comment = Comment(text, "reeplan", width=300, height=120)
            validation = _validation(column, id_ranges)
            if validation is not None:
                validation.add(f"{letter}2:{letter}{INPUT_ROWS + 1}")
                ws.add_data_validation(validation)
        for row in range(2, INPUT_ROWS + 2):
            ws.cell(row=row, column=i).fill = INPUT_FILL
        width = max([len(name)] + [len(str(c.value)) for (c,) in ws.iter_rows(min_row=2, min_col=i, max_col=i)
                                   if c.value is not None])
        ws.column_dimensions[letter].width = min(width + 3, 60)
