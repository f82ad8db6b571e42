"""Read an input workbook (.xlsx) or a folder of `<Sheet>.csv` files into raw tables.

Nothing is interpreted here beyond finding sheets and headers (case-insensitive, trimmed): cells
stay as the spreadsheet holds them, each row tagged with its Excel row number, so that validation
can name sheet, row and column.
"""
from __future__ import annotations

import csv
import hashlib
import io
import warnings
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from planner.issues import WARNING, InputError, Problem
from planner.schema import SHEETS


class UnreadableInput(InputError):
    """The input cannot be read at all (missing, damaged, not a workbook): there is nothing to mark up."""


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
    problems: list[Problem] = field(default_factory=list)  # found while reading; validation reports them
    ignored: list[str] = field(default_factory=list)  # sheets (or CSV files) that are no input table, as named

    def sha256(self) -> str:
        return file_sha256(self.path)


def csv_files(folder: Path) -> list[Path]:
    """The .csv files of a folder (any case of the suffix), in name order."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, or of a folder's CSV files in name order."""
    digest = hashlib.sha256()
    files = csv_files(path) if path.is_dir() else [path]
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
        raise UnreadableInput([Problem(str(path), None, None, "file or folder not found")])
    if path.is_dir():
        return RawInput(path, *_read_csv_folder(path))
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise UnreadableInput([Problem(path.name, None, None,
                                  "old .xls workbooks are not supported: save it as .xlsx (Excel Workbook) and retry")])
    if suffix not in (".xlsx", ".xlsm"):
        raise UnreadableInput([Problem(path.name, None, None,
                                  "expected an .xlsx workbook or a folder of CSV files")])
    return RawInput(path, *_read_workbook(path))


OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted .xlsx is an OLE compound file
MAX_UNPACKED_BYTES = 256 * 2**20  # an input workbook larger than this unpacked is refused (a zip bomb)


def _unreadable(path: Path, message: str) -> UnreadableInput:
    return UnreadableInput([Problem(path.name, None, None, message)])


@contextmanager
def open_workbook_safely(path: Path):
    """Turn everything a hostile or broken .xlsx can raise, while it is opened or read, into a named problem.

    XML is parsed by defusedxml (openpyxl uses it when installed): entity declarations are refused.
    """
    with path.open("rb") as fh:
        head = fh.read(len(OLE_SIGNATURE))
    if head == OLE_SIGNATURE:
        raise _unreadable(path, "password-protected or encrypted workbook: remove the password in Excel and save "
                                "again as .xlsx (an old .xls file renamed to .xlsx looks the same: save it as .xlsx)")
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise _unreadable(path, f"unpacks to {unpacked / 2**20:,.0f} MB, more than reeplan reads "
                                    f"({MAX_UNPACKED_BYTES // 2**20} MB): is it really a planning workbook?")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on unsupported extensions mean nothing to a planner
            yield
    except UnreadableInput:
        raise
    except Exception as exc:  # noqa: BLE001 - any flaw of a file that is not what it claims to be
        raise _unreadable(path, _why_unreadable(exc)) from None


def _why_unreadable(exc: BaseException) -> str:
    from defusedxml import DefusedXmlException

    for _ in range(10):  # openpyxl wraps the parser's error in its own: look for the first cause
        following = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if isinstance(exc, DefusedXmlException) or following is None:
            break
        exc = following
    if isinstance(exc, DefusedXmlException):
        return ("contains XML entity or DTD declarations, which no spreadsheet writes (an XML 'entity "
                "expansion' bomb?): refused; save it again from Excel")
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError, OSError)):
        return "cannot be read as .xlsx (the file is damaged or truncated, or is not an Excel workbook)"
    return f"cannot be read as .xlsx (the file is damaged: {type(exc).__name__}: {str(exc)[:200]})"


def _openpyxl():
    """openpyxl, imported when a workbook is first read (CSV inputs and `--help` never need it), with its cast
    of a numeric cell made lenient: NaN, inf or junk written by a program come back as a value (a float or
    the text) for validation to name by sheet, row and column, not as an exception (openpyxl 3.1's private
    `_cast_number`; without it such a cell makes the file "damaged", still exit 2)."""
    import openpyxl
    import openpyxl.worksheet._reader as sheet_reader

    strict = getattr(sheet_reader, "_cast_number", None)
    if strict is not None and not getattr(strict, "lenient", False):
        def lenient(text: str):
            try:
                return strict(text)
            except ValueError:
                try:
                    return float(text)
                except ValueError:
                    return text
        lenient.lenient = True
        sheet_reader._cast_number = lenient
    return openpyxl


def _read_workbook(path: Path) -> tuple[dict[str, RawTable], list[Problem], list[str]]:
    with open_workbook_safely(path):
        return _read_sheets(path)


def _read_sheets(path: Path) -> tuple[dict[str, RawTable], list[Problem], list[str]]:
    openpyxl = _openpyxl()
    values = openpyxl.load_workbook(path, data_only=True, read_only=True)
    formulas = openpyxl.load_workbook(path, data_only=False, read_only=True)
    tables, problems, titles, ignored = {}, [], {}, []
    try:
        for ws in values.worksheets:
            sheet = _SHEET_BY_LOWER.get(_canonical(ws.title))
            if sheet is None:
                ignored.append(ws.title)
                continue  # planners keep notes on sheets of their own
            if sheet in titles:
                problems.append(Problem(sheet, None, None, f"sheets '{titles[sheet]}' and '{ws.title}' are both "
                                                           f"read as {sheet} (names match ignoring case and spaces): "
                                                           "keep one"))
                continue
            titles[sheet] = ws.title
            formula_ws = formulas[ws.title]
            for sheet_ws in (ws, formula_ws):
                sheet_ws.reset_dimensions()  # stored dimensions can be wrong in files written by programs
            value_rows = ws.iter_rows(values_only=True)
            formula_rows = formula_ws.iter_rows(values_only=True)
            tables[sheet] = _table(sheet, _merge_formulas(value_rows, formula_rows), problems)
    finally:
        values.close()
        formulas.close()
    return tables, problems, ignored


def _merge_formulas(value_rows, formula_rows):
    """Yield value rows, marking formula cells that have no cached value."""
    for vals, forms in zip(value_rows, formula_rows):
        yield [NoSavedValue(f) if v is None and isinstance(f, str) and f.startswith("=") else v
               for v, f in zip(vals, forms)]


def _read_csv_folder(folder: Path) -> tuple[dict[str, RawTable], list[Problem], list[str]]:
    """Every `<Sheet>.csv` of the folder; files that cannot be parsed are all reported together."""
    tables, problems, files, unreadable, ignored = {}, [], {}, [], []
    for file in csv_files(folder):
        sheet = _SHEET_BY_LOWER.get(_canonical(file.stem))
        if sheet is None:
            ignored.append(file.stem)
            continue
        if sheet in files:
            problems.append(Problem(sheet, None, None, f"files {files[sheet]} and {file.name} are both read as "
                                                       f"{sheet} (names match ignoring case and spaces): keep one"))
            continue
        files[sheet] = file.name
        try:
            text, warning = decode_csv(file)
            records = csv_records(file.name, text)
        except UnreadableInput as exc:
            unreadable += exc.problems
            continue
        problems += [warning] if warning else []
        problems += _stray_cells(file.name, records)
        tables[sheet] = _table(sheet, ([c if c != "" else None for c in cells] for _, cells in records), problems)
    if unreadable:
        raise UnreadableInput(unreadable + problems)
    return tables, problems, ignored


def decode_csv(file: Path) -> tuple[str, Problem | None]:
    """A CSV file's text: UTF-8 (with or without BOM), else Windows-1252 with a warning naming the file."""
    data = file.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise UnreadableInput([Problem(file.name, None, None, "is UTF-16 text or not text at all (it holds NUL "
                                       "bytes): save it as 'CSV UTF-8 (Comma delimited)'")])
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UnreadableInput([Problem(f"{file.name} line {line}", None, None,
                                       f"byte 0x{data[exc.start]:02X} is neither UTF-8 nor Windows-1252 text: "
                                       "save the file as 'CSV UTF-8 (Comma delimited)'")]) from None
    return text, Problem(file.name, None, None, "not UTF-8: read as Windows-1252 (Excel's 'CSV (Comma "
                                                "delimited)'); check accented names, or save it as 'CSV UTF-8'",
                         WARNING)


def csv_records(name: str, text: str) -> list[tuple[int, list[str]]]:
    """Strictly parsed records with the line each starts on; a broken quote is an error naming the line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                where, message = start, ("a quote opened here is never closed — the rest of the file would be "
                                         "read as one cell")
            elif "field larger than field limit" in str(exc):
                where, message = start, ("a cell starting here is longer than 131,072 characters: a quote is "
                                         "probably never closed")
            else:
                where, message = reader.line_num, f"{exc}: check the quotes"
                if start != where:
                    message += f" (the quoted cell begun on line {start} runs to here: is a quote never closed?)"
            raise UnreadableInput([Problem(f"{name} line {where}", None, None, message)]) from None
        records.append((start, cells))


def _stray_cells(name: str, records: list[tuple[int, list[str]]]) -> list[Problem]:
    """Cells right of the last named column (a stray comma shifts values), and cells that swallowed rows."""
    if not records:
        return []
    header = records[0][1]
    width = max((i + 1 for i, h in enumerate(header) if h.strip()), default=0)
    problems = []
    for line, cells in records[1:]:
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            problems.append(Problem(f"{name} line {line}", None, None,
                                    f"{len(cells)} cells but the header names {width} columns: a stray comma "
                                    "shifts the values that follow (put a cell that holds a comma in quotes)"))
        for cell in cells:
            rows_inside = [part for part in cell.split("\n")[1:] if part.count(",") >= max(width - 1, 1)]
            if rows_inside:
                problems.append(Problem(f"{name} line {line}", None, None,
                                        f"a quoted cell holds {len(rows_inside)} line(s) that look like rows: "
                                        "check for a quote that is never closed", WARNING))
    return problems


def _table(sheet: str, rows, problems: list[Problem]) -> RawTable:
    """Headers matched trimmed and case-insensitively (a repeated one is a problem); rows with their Excel row."""
    rows = iter(rows)
    header = next(rows, None) or []
    positions = {}
    headers = {}
    for i, name in enumerate(header):
        key = _canonical(name)
        if key and key in positions:
            problems.append(Problem(sheet, 1, headers[key], f"appears twice (columns {column_letter(positions[key])} "
                                                            f"and {column_letter(i)}): keep one"))
        elif key:
            positions[key] = i
            headers[key] = str(name).strip()
    table = RawTable(sheet, headers)
    for excel_row, cells in enumerate(rows, start=2):
        record = {key: (cells[i] if i < len(cells) else None) for key, i in positions.items()}
        record = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in record.items()}
        if any(v is not None for v in record.values()):
            table.rows.append((excel_row, record))
    return table


def column_letter(index: int) -> str:
    """Excel's letters of the 0-based column `index` (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
