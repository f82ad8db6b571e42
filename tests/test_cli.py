"""The command line as a planner meets it: exit codes, messages, files written and not written."""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.conftest import write_input
from tests.test_validation import VALID

SHEET_COLUMNS = {
    "Summary": [],
    "Procurement": ["source", "material", "period", "bought_t", "capacity_t", "licence_cap_t", "price", "controlled",
                    "reduced_cost"],
    "Allocation": ["sector", "material", "channel", "period", "used_t"],
    "Shortfall": ["sector", "material", "period", "demand_t", "served_t", "unmet_t", "service_level"],
    "Stockpiles": ["stockpile", "material", "period", "level_t", "acquired_t", "released_t"],
    "Processes": ["process", "channel", "period", "activity"],
    "LicenceShadowPrices": ["source", "material", "period", "end_use", "cap_t", "flow_t", "shadow_price", "range_low_t",
                            "range_high_t", "allowable_increase_t", "allowable_decrease_t", "binding"],
    "MaterialPrices": ["material", "channel", "period", "shadow_price", "set_by"],
    "ShadowPrices": ["constraint", "family", "keys", "slack", "shadow_price"],
    "ShortfallCauses": ["sector", "material", "period", "unmet_t", "limit", "family", "keys", "shadow_price",
                        "served_t_per_unit", "holds_from", "holds_to"],
    "Run": ["item", "value"],
}


def reeplan(*args, cwd):
    return subprocess.run([sys.executable, "-m", "planner", *args], cwd=cwd, capture_output=True, text=True)


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example"


def test_solve_default_is_the_bundled_baseline(tmp_path):
    done = reeplan("solve", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "US baseline 2026-2030" in done.stdout
    assert (tmp_path / "results" / "baseline-solve.xlsx").exists()


def test_solve_example_writes_workbook_json_and_summary(tmp_path):
    done = reeplan("solve", "--example", "--json", "out.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "most valuable licence of each material" in done.stdout
    assert "NdFeB magnet: China licensed / 2026: 16,782" in done.stdout  # 65,782 US-made − 49,000 Chinese
    assert "Running HiGHS" not in done.stdout  # solver banner kept off standard output
    result = tmp_path / "results" / "example-solve.xlsx"
    wb = openpyxl.load_workbook(result)
    assert wb.sheetnames[:len(SHEET_COLUMNS)] == list(SHEET_COLUMNS)
    for sheet, columns in SHEET_COLUMNS.items():
        if sheet == "Summary":
            continue
        frame = pd.read_excel(result, sheet_name=sheet)
        assert set(columns) <= set(frame.columns), sheet
        assert wb[sheet].freeze_panes == "A2"
    payload = json.loads((tmp_path / "out.json").read_text())
    assert {"status", "objective", "scenario", "licence_shadow_prices", "shortfall", "procurement", "material_prices",
            "stockpiles"} <= set(payload)
    assert payload["status"] == "optimal" and payload["scenario"] == "base"
    assert set(payload["licence_shadow_prices"][0]) >= {
        "source", "material", "period", "end_use", "cap_t", "flow_t", "shadow_price", "range_low_t", "range_high_t",
        "allowable_increase_t", "allowable_decrease_t"}
    assert set(payload["shortfall"][0]) >= {"sector", "material", "period", "demand_t", "served_t", "unmet_t"}
    assert set(payload["procurement"][0]) >= {"source", "material", "period", "bought_t", "price"}
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert float(summary["objective"]) == pytest.approx(payload["objective"])


def test_solve_named_output(tmp_path):
    inp = write_input(tmp_path / "case", VALID)
    done = reeplan("solve", str(inp), "-o", "mine.xlsx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mine.xlsx").exists()
    assert not (tmp_path / "results").exists()


def test_invalid_input_exits_2_lists_every_problem_writes_nothing(tmp_path):
    sheets = dict(VALID, Licences=[dict(VALID["Licences"][0], approval_rate=1.4)],
                  Supply=[dict(VALID["Supply"][0], capacity_t="1,000"), VALID["Supply"][1]])
    inp = write_input(tmp_path / "case", sheets)
    before = digest(inp)
    done = reeplan("solve", str(inp), "--json", "out.json", cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Licences row 2, column approval_rate: 1.4 is outside [0, 1]" in done.stderr
    assert "Supply row 2, column capacity_t: '1,000' is not a number" in done.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "out.json").exists()
    assert digest(inp) == before


def test_validate_command_exit_codes(tmp_path):
    good = write_input(tmp_path / "good", VALID)
    assert reeplan("validate", str(good), cwd=tmp_path).returncode == 0
    bad = write_input(tmp_path / "bad", dict(VALID, Supply=[dict(VALID["Supply"][0], material="nope")]))
    done = reeplan("validate", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert "Supply row 2, column material: unknown material 'nope'" in done.stderr


def test_missing_input_file_exits_2(tmp_path):
    done = reeplan("solve", "nowhere.xlsx", cwd=tmp_path)
    assert done.returncode == 2
    assert "file or folder not found" in done.stderr and "Traceback" not in done.stderr


def test_output_over_the_input_is_refused(tmp_path):
    (tmp_path / "results").mkdir()
    inp = tmp_path / "results" / "in-solve.xlsx"
    inp.write_bytes(b"not really a workbook")
    done = reeplan("solve", str(inp), cwd=tmp_path)  # default output would be results/in-solve.xlsx
    assert done.returncode == 2
    assert inp.read_bytes() == b"not really a workbook"


def test_conflicting_hard_limits_exit_3_and_name_them(tmp_path):
    # min take 40 t of Dy oxide from China, but the licence allows only 80 × 0.25 = 20 t: in both periods
    sheets = dict(VALID, Supply=[dict(VALID["Supply"][0], min_take_t=40), VALID["Supply"][1]],
                  Licences=[dict(VALID["Licences"][0], approval_rate=0.25)])
    inp = write_input(tmp_path / "case", sheets)
    done = reeplan("solve", str(inp), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "No plan exists" in done.stderr and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[1] == "  1. the same conflict in 2 separate cases (2026, 2027):"
    assert lines[2:] == [
        "     - minimum take of Dy oxide from China in 2 periods 2026, 2027: min_take_t = 40 t each — misses by 40 in total "
        "(Supply row 2)",
        "     - licence cap on Dy oxide from China in 2 periods 2026, 2027: 20 t (requested × approval_rate) each "
        "(Licences row 2)"]
    assert not (tmp_path / "results").exists()


# -- SPEC §6: names, flags, files (issue "Results a planner can act on", points 2 and 9)

SCENARIOS = [{"scenario": "base"}, {"scenario": "tight"}]
TIGHT = [{"scenario": "tight", "sheet": "Licences", "column": "approval_rate", "operation": "set", "value": 0.25}]


def test_two_scenario_runs_write_two_files(tmp_path):
    inp = write_input(tmp_path / "plan", dict(VALID, Scenarios=SCENARIOS, Overrides=TIGHT))
    assert reeplan("solve", str(inp), cwd=tmp_path).returncode == 0
    assert reeplan("solve", str(inp), "--scenario", "tight", cwd=tmp_path).returncode == 0
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["plan-solve.xlsx", "plan-tight-solve.xlsx"]
    wb = openpyxl.load_workbook(tmp_path / "results" / "plan-tight-solve.xlsx")
    title = [c.value for c in wb["Summary"]["A"][:2]]
    assert title[0] == "plan" and "scenario tight" in title[1] and "input plan" in title[1]


def test_incompatible_flags_and_wrong_suffixes_are_refused_with_exit_2(tmp_path):
    inp = write_input(tmp_path / "plan", dict(VALID, Scenarios=SCENARIOS, Overrides=TIGHT))
    for args, words in [(("--all-scenarios", "--scenario", "tight"), "exclude each other"),
                        (("-o", "out.csv"), "must end in .xlsx"),
                        (("--json", "out.xlsx"), "must end in .json")]:
        done = reeplan("solve", str(inp), *args, cwd=tmp_path)
        assert done.returncode == 2 and words in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    done = reeplan("solve", str(inp), "--example", cwd=tmp_path)
    assert done.returncode == 2 and "give no INPUT" in done.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "out.csv").exists()


def test_template_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"my filled-in plan")
    done = reeplan("template", "plan.xlsx", cwd=tmp_path)
    assert done.returncode == 2 and "--force" in done.stderr
    assert target.read_bytes() == b"my filled-in plan"
    assert reeplan("template", "plan.xlsx", "--force", cwd=tmp_path).returncode == 0
    assert openpyxl.load_workbook(target).sheetnames[0] == "About"


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_output_files_get_the_mode_the_umask_allows(tmp_path, umask):
    import os

    inp = write_input(tmp_path / "plan", VALID)
    done = subprocess.run([sys.executable, "-c", f"import os, sys; os.umask({umask}); from planner.cli import main; "
                           f"sys.argv = ['reeplan', 'solve', {str(inp)!r}, '--json', 'out.json']; main()"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for path in (tmp_path / "results" / "plan-solve.xlsx", tmp_path / "out.json"):
        assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_all_scenarios_writes_json_and_the_example_runs_from_anywhere(tmp_path):
    done = reeplan("solve", "--example", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "results" / "example-solve.xlsx").exists()


def test_log_shows_the_solver_log_on_standard_error_only(tmp_path):
    inp = write_input(tmp_path / "plan", VALID)
    done = reeplan("solve", str(inp), "--log", cwd=tmp_path)
    assert done.returncode == 0
    assert "HiGHS run time" in done.stderr and "Objective value" in done.stderr
    assert "HiGHS run time" not in done.stdout and "Objective value" not in done.stdout


@pytest.mark.parametrize("command", ["solve", "validate", "template", "compare"])
def test_help_has_examples_defaults_and_exit_codes(tmp_path, command):
    done = reeplan(command, "--help", cwd=tmp_path)
    assert done.returncode == 0
    assert "Examples:" in done.stdout and f"reeplan {command}" in done.stdout
    assert "Exit codes: 0" in done.stdout and "3 no plan exists" in done.stdout
    if command == "solve":
        assert "[default: results/<input>[-<scenario>]-solve.xlsx]" in " ".join(done.stdout.split())
