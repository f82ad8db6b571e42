"""Hostile and broken inputs (issue 11): one test per class, through the command line and the files.

Every case: exit 0, 2 or 3 for anything in an input file (1 only outside it), no traceback, the input
unchanged, and no output file unless the run succeeded.
"""
import hashlib
import os
import stat
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import planner.cli
import planner.outputs
from planner.cli import cli
from tests.conftest import write_input
from tests.test_validation import VALID

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example"


def run_cli(*args, env=None):
    """Run `reeplan ARGS` in this process; an exception other than SystemExit is a bug."""
    result = CliRunner(env=env).invoke(cli, [str(a) for a in args], catch_exceptions=True)
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
    ["-o", "plan/supply.CSV"],  # read as Supply by a planner on a case-insensitive disk
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
    assert f"--json {Path(json_path)}: is also the -o output same.xlsx" in done.stderr
    assert not (tmp_path / "same.xlsx").exists()


def test_template_never_writes_over_the_data_it_copies(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bundled = write_input(tmp_path / "bundled", VALID)
    monkeypatch.setattr(planner.cli, "bundled_input", lambda: bundled)
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
    monkeypatch.setattr(planner.cli, "write_json", full_disk)
    (tmp_path / "old.xlsx").write_bytes(b"an earlier result")
    listing = files_in(tmp_path)
    done = run_cli("solve", plan, "-o", "results/new/out.xlsx", "--json", "old.xlsx")
    assert done.exit_code == 1
    assert "cannot write old.xlsx: No space left on device" in done.stderr and "Traceback" not in done.output
    assert (tmp_path / "old.xlsx").read_bytes() == b"an earlier result"  # earlier files untouched
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
