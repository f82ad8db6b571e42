"""Write workbooks that planners read, filter and print: tables, notes and native charts, all or nothing.

Result, comparison and study workbooks all go through `Book`, which writes with XlsxWriter to a file
staged by `planner.outputs` (renamed into place with the command's other outputs, all or nothing):

    with Book(target, footer=footer_text(input_name, scenario)) as book:
        book.table("Procurement", frame, notes={"price": "price per t"}, highlight={"bought_t": AMBER})
        book.charts("Charts", [Chart("Unmet Dy oxide (t)", pivot, kind="column_stacked", unit="t")])

What every table sheet gets:
- the header in row 1, bold, frozen, with filters, right-aligned over numeric columns, and a comment
  on a column where `notes` gives one (meaning, unit, currency);
- one number format per column (`number_format(name)` guesses it from the name, `formats` overrides),
  set on the column, not on each cell; widths fitted to the content;
- text written as text (never as a formula, a URL or a number), blanks for NaN and infinities;
- print setup: the header row repeated on every page, fit to one page wide, landscape where the
  table is wide, and a footer naming the input, the scenario, the sheet and the page.

`Book.sheet` hands out a bare worksheet (with the same print setup) for free layouts such as a
summary; `Book.formats` are the shared cell formats for it. Charts are native Excel charts, each on
its own printed page of a chart sheet, their data on a data sheet with number formats.
XlsxWriter cannot read: openpyxl stays the reader, and edits the template and validation report
(`planner.openpyxl_sheets`).
"""
from __future__ import annotations

import json
import math
import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_col_to_name

from planner.outputs import staged

TONNES = "#,##0.0"
TONNES_FINE = "[=0]0;[<1]0.000;#,##0.0#"  # precision that fits the magnitude: 0, 0.044, 2.46, 930.7
MONEY = "#,##0"
PERCENT = "0.0%"
RATE = "0.000"
SECONDS = "0.00"
INTEGER = "0"
BOOLEAN = '"TRUE";"TRUE";"FALSE"'
RED, AMBER, GREEN = "#FFC7CE", "#FFEB9C", "#C6EFCE"
MARKED = "#000000"  # chart markers of points that matter (breakpoints, a chosen level): black, unlike any series
# XlsxWriter: user text stays text
SAFE_TEXT = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
WIDE = 110  # characters of column width above which a sheet prints landscape
MAX_WIDTH = 60
PAGE_ROWS = 32  # rows of default height per landscape page of a chart sheet
CHART_SIZE = (920, 560)  # px: fits one landscape page (Letter or A4) without scaling
MAX_CELL_TEXT = 32767  # Excel's limit on the characters of one cell
ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # control characters XML cannot hold


def number_format(column: str) -> str | None:
    """The Excel number format a result column is shown in, guessed from its name."""
    if column in ("service_level", "probability", "unmet_share", "controlled_share") or column.startswith("share"):
        return PERCENT
    if column.startswith(("allowable_", "range_")) or column in ("holds_from", "holds_to", "limit_value", "rhs", "slack"):
        return TONNES_FINE
    if column.endswith("_t") or column in ("activity", "value_t"):
        return TONNES
    if column in ("served_t_per_unit",):
        return RATE
    if column in ("price", "shadow_price", "objective", "cost", "reduced_cost", "marginal_value") or \
            column.endswith(("_cost", "_value", "_price", "_spend", "_penalty")) or column.startswith("objective"):
        return MONEY
    if column in ("rank", "row"):
        return INTEGER
    return None


def footer_text(input_name: str, scenario: str) -> str:
    """Print footer: input and scenario on the left, the sheet name in the middle, page of pages on the right."""
    left = f"{input_name} · scenario {scenario}" if scenario else input_name
    left = left.replace("&", "&&")[:120]
    return f"&L&8{left}&C&8&A&R&8page &P of &N"


def safe_text(text: str) -> str:
    """Text a workbook can hold: control characters replaced, at most Excel's 32,767 characters."""
    return ILLEGAL_CHARACTERS.sub("\ufffd", text)[:MAX_CELL_TEXT]


def cell_value(value):
    """A value a cell can hold: no NaN or infinities (left blank), plain Python types, safe text."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return cell_value(value.item())
    return value


@dataclass
class Chart:
    """One native chart: `data`'s first column is the category axis, every other column a series.

    `kind="scatter"`: the first column is a numeric x axis (values may be unevenly spaced), each series
    drawn with straight lines; a blank cell is skipped (the line joins its neighbours), so series with
    different x values share one data block. `styles` per series: "line" (markers joined, the default),
    "curve" (a line without markers), "reference" (a dashed line, e.g. an expected value to read the
    others against), "points" (markers only, e.g. breakpoints or a chosen level)."""

    title: str
    data: pd.DataFrame
    kind: str = "line"  # line, column, column_stacked, bar, scatter
    unit: str = ""  # y axis title
    number_format: str = TONNES
    x_title: str = ""
    note: str = ""  # one line under the chart's data block
    styles: dict[str, str] = field(default_factory=dict)  # scatter: series -> line, curve, reference or points
    x_format: str | None = None  # scatter: number format of the x values
    x_range: tuple[float, float] | None = None  # scatter: x axis from … to (default: fitted by the reader)
    y_range: tuple[float, float] | None = None  # scatter: y axis from … to (e.g. not from 0 for a cost curve)


@dataclass
class TableInfo:
    name: str
    rows: int
    columns: list[str]
    first_row: int = 0  # 0-based row of the header

    def column_letter(self, column: str) -> str:
        return xl_col_to_name(self.columns.index(column))


class Book:
    """An XlsxWriter workbook written to a staged file (planner.outputs), put in place on `close()`."""

    def __init__(self, target: Path, *, footer: str = "", constant_memory: bool = False):
        self.target = Path(target)
        self._staging = ExitStack()
        self.tmp = self._staging.enter_context(staged(self.target))
        self.footer = footer
        self.wb = xlsxwriter.Workbook(str(self.tmp), {**SAFE_TEXT, "constant_memory": constant_memory})
        self._formats: dict[tuple, object] = {}
        self.tables: dict[str, TableInfo] = {}

    # -- life cycle
    def __enter__(self) -> "Book":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()

    def close(self) -> None:
        try:
            self.wb.close()
        except BaseException as exc:
            self._staging.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._staging.close()

    def discard(self) -> None:
        self._staging.__exit__(RuntimeError, RuntimeError("discarded"), None)

    # -- formats
    def format(self, **props):
        """A shared cell format (XlsxWriter properties), made once per distinct set of properties."""
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def number(self, code: str | None):
        return self.format(num_format=code) if code else None

    # -- sheets
    def sheet(self, name: str, *, landscape: bool = False, fit_height: int = 0):
        """A bare worksheet with the book's print setup (fit to width; `fit_height` pages tall if > 0)."""
        ws = self.wb.add_worksheet(name)
        self._print_setup(ws, landscape=landscape, fit_height=fit_height)
        return ws

    def _print_setup(self, ws, *, landscape: bool, fit_height: int = 0, repeat_row: int | None = None):
        ws.set_paper(9)  # A4; Letter printers scale it
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
        if landscape:
            ws.set_landscape()
        ws.fit_to_pages(1, fit_height)
        if repeat_row is not None:
            ws.repeat_rows(repeat_row)
        if self.footer:
            ws.set_footer(self.footer)

    def table(self, name: str, frame: pd.DataFrame, *, formats: dict[str, str] | None = None,
              notes: dict[str, str] | None = None, widths: dict[str, float] | None = None,
              highlight: dict[str, str] | None = None, landscape: bool | None = None, wrap: tuple[str, ...] = (),
              ws=None, first_row: int = 0, print_setup: bool = True) -> TableInfo:
        """Write `frame` as a filtered table with its header at `first_row` (0-based) of sheet `name`.

        `formats`: number format per column (default `number_format(name)`); `notes`: header comments;
        `widths`: column widths in characters (default fitted); `highlight`: fill colour of cells > 0;
        `wrap`: text columns wrapped within their width (long notes) instead of running past the page."""
        formats = formats or {}
        notes = notes or {}
        columns = [str(c) for c in frame.columns]
        codes = [formats.get(c, number_format(c)) for c in columns]
        values = [_column_values(frame.iloc[:, j]) for j in range(len(columns))]
        kinds = [kind for kind, _ in values]
        width = [widths.get(c) if widths and c in widths else _fit_width(c, frame.iloc[:, j], codes[j], kinds[j])
                 for j, c in enumerate(columns)]
        own_sheet = ws is None
        if own_sheet:
            ws = self.wb.add_worksheet(name, worksheet_class=_TableSheet)
        if print_setup:
            wide = sum(width) > WIDE if landscape is None else landscape
            self._print_setup(ws, landscape=wide, repeat_row=first_row)
        after_number = [j > 0 and kinds[j - 1] in ("number", "mixed", "bool") for j in range(len(columns))]
        column_formats = []
        for j, c in enumerate(columns):
            top = {"valign": "top"} if wrap else {}  # with wrapped rows, every cell starts at the top line
            if kinds[j] == "text":  # text left-aligned, a little away from a number column on its left
                fmt = self.format(num_format="@", indent=1 if after_number[j] else 0, text_wrap=c in wrap, **top)
            elif kinds[j] == "bool":  # TRUE/FALSE in Excel and LibreOffice alike
                fmt = self.format(num_format=BOOLEAN, align="center", **top)
            elif codes[j] == INTEGER:  # ranks and counts: short, centred under their header
                fmt = self.format(num_format=INTEGER, align="center", **top)
            else:
                fmt = self.format(**({"num_format": codes[j]} if codes[j] else {}), **top) if (codes[j] or top) \
                    else None
            ws.set_column(j, j, width[j], fmt)
            column_formats.append(fmt)
        header_text = self.format(bold=True, bottom=1, valign="bottom")
        header_indent = self.format(bold=True, bottom=1, valign="bottom", indent=1)
        header_number = self.format(bold=True, bottom=1, align="right", valign="bottom")
        header_center = self.format(bold=True, bottom=1, align="center", valign="bottom")
        for j, c in enumerate(columns):
            header = {"number": header_center if codes[j] == INTEGER else header_number, "mixed": header_number,
                      "bool": header_center}.get(kinds[j], header_indent if after_number[j] else header_text)
            ws.write_string(first_row, j, c, header)
            if c in notes:
                ws.write_comment(first_row, j, notes[c], {"x_scale": 2.2, "y_scale": 1.4})
        ws.freeze_panes(first_row + 1, 0)
        n = len(frame)
        if columns:
            ws.autofilter(first_row, 0, first_row + max(n, 1), len(columns) - 1)
        wrapped = [(values[j][1], max(width[j] - 2, 5)) for j, c in enumerate(columns) if c in wrap]
        # spreadsheets do not grow rows on opening: give wrapped text the lines it needs
        heights = [15 * max(math.ceil(len(str(column[i] or "")) / chars) for column, chars in wrapped)
                   for i in range(n)] if wrapped else [0] * n
        if own_sheet and n:  # the data rows in bulk, after the header XlsxWriter writes
            ws.bulk_rows(first_row + 1, values, [f._get_xf_index() if f else 0 for f in column_formats], heights)
        else:
            writers = {"number": ws.write_number, "text": ws.write_string, "bool": ws.write_boolean,
                       "mixed": lambda r, c, v: _write_any(ws, r, c, v)}
            plan = [(j, writers[kinds[j]], values[j][1]) for j in range(len(columns))]
            for i in range(n):
                r = first_row + 1 + i
                if heights[i] > 15:
                    ws.set_row(r, heights[i])
                for j, write, column in plan:
                    v = column[i]
                    if v is not None:
                        write(r, j, v)
        for column, color in (highlight or {}).items():
            if column in columns and n:
                j = columns.index(column)
                ws.conditional_format(first_row + 1, j, first_row + n, j, {
                    "type": "cell", "criteria": ">", "value": 0.0001, "format": self.format(bg_color=color)})
        info = TableInfo(name, n, columns, first_row)
        self.tables[name] = info
        return info

    def charts(self, name: str, charts: list[Chart], *, data_sheet: str, empty_note: str = "") -> None:
        """A chart sheet with one chart per printed page, and the charts' data (formatted) on `data_sheet`."""
        ws = self.sheet(name, landscape=True)
        ws.hide_gridlines(2)
        data = self.wb.add_worksheet(data_sheet)
        self._print_setup(data, landscape=False)
        title = self.format(bold=True, font_size=12)
        if not charts:
            ws.write_string(0, 0, empty_note or "nothing to chart", title)
        top = 0
        breaks = []
        widths = [12.0]
        for n, spec in enumerate(charts):
            frame = spec.data
            data.write_string(top, 0, spec.title, title)
            header = top + 1
            columns = [str(c) for c in frame.columns]
            bold = self.format(bold=True, bottom=1)
            bold_right = self.format(bold=True, bottom=1, align="right")
            fmt = self.number(spec.number_format)
            x_fmt = self.number(spec.x_format)
            for j, c in enumerate(columns):
                data.write_string(header, j, c, bold if j == 0 else bold_right)
                if j < len(widths):
                    widths[j] = max(widths[j], len(c) + 2)
                else:
                    widths.append(max(12.0, len(c) + 2.0))
            for i, row in enumerate(frame.itertuples(index=False), start=1):
                for j, v in enumerate(row):
                    v = cell_value(v)
                    if j == 0 and spec.kind == "scatter":  # a numeric x axis
                        if v is not None:
                            data.write_number(header + i, 0, float(v), x_fmt)
                    elif j == 0:
                        data.write_string(header + i, 0, safe_text(str(v)))
                        widths[0] = max(widths[0], len(str(v)) + 2)
                    elif v is not None:
                        data.write_number(header + i, j, float(v), fmt)
            last = header + len(frame)
            if spec.note:
                data.write_string(last + 1, 0, spec.note)
            chart = self._chart(spec, data_sheet, header, last, columns)
            anchor = n * PAGE_ROWS
            ws.insert_chart(anchor, 0, chart, {"x_offset": 10, "y_offset": 10})
            if n:
                breaks.append(anchor)
            top = last + 3
        for j, w in enumerate(widths):
            data.set_column(j, j, min(w, MAX_WIDTH))
        if breaks:
            ws.set_h_pagebreaks(breaks)
        ws.print_area(0, 0, max(len(charts), 1) * PAGE_ROWS - 1, 15)
        ws.fit_to_pages(1, 0)

    def _chart(self, spec: Chart, sheet: str, header: int, last: int, columns: list[str]):
        if spec.kind == "scatter":
            return self._scatter(spec, sheet, header, last, columns)
        n_columns = len(columns)
        kind, subtype = {"line": ("line", None), "column": ("column", None),
                         "column_stacked": ("column", "stacked"), "bar": ("bar", None)}[spec.kind]
        chart = self.wb.add_chart({"type": kind, **({"subtype": subtype} if subtype else {})})
        for j in range(1, n_columns):
            series = {"name": [sheet, header, j], "categories": [sheet, header + 1, 0, last, 0],
                      "values": [sheet, header + 1, j, last, j]}
            if spec.kind == "line":
                series["marker"] = {"type": "circle", "size": 4}
            chart.add_series(series)
        chart.set_title({"name": spec.title, "name_font": {"size": 12}})
        value_axis = {"name": spec.unit, "num_format": spec.number_format, "major_gridlines": {"visible": True}}
        category_axis = {"name": spec.x_title} if spec.x_title else {}
        if spec.kind == "bar":
            chart.set_x_axis(value_axis)
            chart.set_y_axis({**category_axis, "reverse": True, "crossing": "max"})  # first at top, values below
        else:
            chart.set_y_axis(value_axis)
            chart.set_x_axis({**category_axis, "num_font": {"rotation": -45}} if last - header > 8 else category_axis)
        chart.set_legend({"position": "bottom"} if n_columns > 2 else {"none": True})
        chart.set_size({"width": CHART_SIZE[0], "height": CHART_SIZE[1]})
        return chart

    def _scatter(self, spec: Chart, sheet: str, header: int, last: int, columns: list[str]):
        """Straight lines through numeric (x, y) points; blanks skipped; markers-only series for marked points."""
        chart = self.wb.add_chart({"type": "scatter", "subtype": "straight"})
        for j, name in enumerate(columns[1:], start=1):
            style = spec.styles.get(name, "line")
            series = {"name": [sheet, header, j], "categories": [sheet, header + 1, 0, last, 0],
                      "values": [sheet, header + 1, j, last, j]}
            if style == "points":  # marked points stand out from the lines in a colour of their own
                series["line"] = {"none": True}
                series["marker"] = {"type": "diamond", "size": 8, "fill": {"color": MARKED},
                                    "border": {"color": MARKED}}
            elif style == "curve":
                series["marker"] = {"type": "none"}
                series["line"] = {"width": 2.25}
            elif style == "reference":  # a level to read the others against, e.g. the expected cost
                series["marker"] = {"type": "none"}
                series["line"] = {"width": 1.5, "dash_type": "dash"}
            else:
                series["marker"] = {"type": "circle", "size": 4}
            chart.add_series(series)
        chart.show_blanks_as("span")  # a series with no value at some x joins its neighbours
        chart.set_title({"name": spec.title, "name_font": {"size": 12}})
        y_axis = {"name": spec.unit, "num_format": spec.number_format, "major_gridlines": {"visible": True}}
        if spec.y_range is not None and spec.y_range[1] > spec.y_range[0]:
            y_axis.update(min=spec.y_range[0], max=spec.y_range[1])
        chart.set_y_axis(y_axis)
        x_axis = {"name": spec.x_title, "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
                  "label_position": "low"}  # values under the plot, even where the y axis runs below 0
        if spec.x_format:
            x_axis["num_format"] = spec.x_format
        if spec.x_range is not None and spec.x_range[1] > spec.x_range[0]:
            x_axis.update(min=spec.x_range[0], max=spec.x_range[1])
        chart.set_x_axis(x_axis)
        chart.set_legend({"position": "bottom"} if len(columns) > 2 else {"none": True})
        chart.set_size({"width": CHART_SIZE[0], "height": CHART_SIZE[1]})
        return chart


class _TableSheet(xlsxwriter.worksheet.Worksheet):
    """A worksheet that holds one table: XlsxWriter writes the header and everything else; the data rows are
    rendered to sheet XML in bulk (`bulk_rows`) and written after XlsxWriter's own rows, which is ten times
    faster than a call per cell for the large result sheets. Cells are the same: a number, an inline string
    (text stays text) or a boolean, each with its column's style; empty cells are left out."""

    def __init__(self):
        super().__init__()
        self._bulk: list[str] = []

    def bulk_rows(self, first: int, values: list[tuple[str, list]], styles: list[int], heights: list[float]) -> None:
        """Rows first, first + 1, … (0-based) from per-column (kind, values); `styles`: xf index per column."""
        n = len(values[0][1])
        rows = range(first + 1, first + 1 + n)  # Excel's 1-based row numbers
        cells = [_render_column(xl_col_to_name(j), f' s="{style}"' if style else "", kind, column, rows)
                 for j, ((kind, column), style) in enumerate(zip(values, styles))]
        tall = [f' ht="{h}" customHeight="1"' if h > 15 else "" for h in heights]
        self._bulk = [f'<row r="{r}"{t}>{"".join(row)}</row>' for r, t, row in zip(rows, tall, zip(*cells))]
        self.dim_rowmax = max(self.dim_rowmax or 0, first + n - 1)
        self.dim_colmax = max(self.dim_colmax or 0, len(values) - 1)

    def _write_rows(self) -> None:  # XlsxWriter's rows (the header), then the bulk rows below them
        super()._write_rows()
        self.fh.write("".join(self._bulk))


def _render_column(letter: str, style: str, kind: str, column: list, rows: range) -> list[str]:
    """Each cell of one column as sheet XML ('' where empty)."""
    if kind == "number":
        return [f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>' if v is not None else "" for r, v in zip(rows, column)]
    if kind == "bool":
        return [f'<c r="{letter}{r}"{style} t="b"><v>{int(v)}</v></c>' for r, v in zip(rows, column)]
    out = []
    for r, v in zip(rows, column):
        if v is None:
            out.append("")
        elif isinstance(v, bool):
            out.append(f'<c r="{letter}{r}"{style} t="b"><v>{int(v)}</v></c>')
        elif isinstance(v, (int, float)):
            out.append(f'<c r="{letter}{r}"{style}><v>{v!r}</v></c>')
        else:
            text = escape(safe_text(str(v)))
            space = ' xml:space="preserve"' if text != text.strip() else ""
            out.append(f'<c r="{letter}{r}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return out


def _column_values(series: pd.Series) -> tuple[str, list]:
    """(kind, values) with NaN and infinities as None; kind is number, bool, text or mixed."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool", [bool(v) for v in series.tolist()]
    if pd.api.types.is_numeric_dtype(dtype):
        array = series.to_numpy(dtype=float, na_value=np.nan)
        finite = np.isfinite(array)
        values = array.tolist()
        if not finite.all():
            values = [v if ok else None for v, ok in zip(values, finite.tolist())]
        return "number", values
    values = series.tolist()
    kinds = {type(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))}
    if kinds <= {str}:
        return "text", [None if v is None or (isinstance(v, float) and math.isnan(v)) else safe_text(v)
                        for v in values]
    return "mixed", [cell_value(v) for v in values]


def _write_any(ws, row: int, col: int, value) -> None:
    if isinstance(value, bool):
        ws.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value)
    elif isinstance(value, str):
        ws.write_string(row, col, safe_text(value))
    elif value is not None:
        ws.write_string(row, col, safe_text(str(value)))


def _fit_width(column: str, series: pd.Series, code: str | None, kind: str) -> float:
    sample = series.head(300).tolist()
    if kind == "number":
        finite = [abs(v) for v in sample if isinstance(v, (int, float)) and math.isfinite(v)]
        largest = max(finite, default=0.0)
        digits = len(f"{largest:,.0f}") + (4 if code in (TONNES_FINE, RATE) else 2 if code == TONNES else 0)
        if code == PERCENT:
            digits = 7
        content = digits + 1
    else:
        content = max((len(str(v)) for v in sample if v is not None), default=0)
    return float(min(max(content, len(column) + 3, 8) + 1, MAX_WIDTH))


def write_tables(sheets: dict[str, pd.DataFrame], target: Path, *, footer: str = "",
                 notes: dict[str, dict[str, str]] | None = None) -> None:
    """Every table on its own sheet, nothing else (the simplest use of `Book`)."""
    with Book(target, footer=footer) as book:
        for name, frame in sheets.items():
            book.table(name, frame, notes=(notes or {}).get(name))


def write_json(payload: dict, target: Path) -> None:
    """JSON with null for what is infinite or missing; indented when small, compact (and fast) when large."""
    text = json.dumps(payload, allow_nan=False, default=_json_default)
    if len(text) < 2**20:
        text = json.dumps(payload, indent=2, allow_nan=False, default=_json_default)
    with staged(Path(target)) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


__all__ = ["AMBER", "Book", "Chart", "GREEN", "MONEY", "PERCENT", "RED", "TONNES", "TONNES_FINE", "cell_value",
           "footer_text", "number_format", "safe_text", "write_json", "write_tables"]
