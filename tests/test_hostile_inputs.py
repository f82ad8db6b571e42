"""Hostile and broken inputs (issue 11): one test per class, through the command line and the files.

Every case: exit 0, 2 or 3 for anything in an input file (1 only outside it), no traceback, the input
unchanged, and no output file unless the run succeeded.
"""
import hashlib
import os
import stat
from pathlib import Path

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
