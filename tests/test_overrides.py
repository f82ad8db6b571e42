"""Scenario overrides (SPEC §5): set/scale/add on normalised tables, key lists, row order, validation."""
import json
import subprocess
import sys

import pytest

from planner.issues import InputError
from planner.overrides import apply_scenario
from planner.run import solve_plan
from planner.inputs import load
from tests.conftest import write_input
from tests.test_validation import VALID

SCENARIOS = [{"scenario": "base", "probability": 0.5}, {"scenario": "tight", "probability": 0.5}]


def scenario_data(tmp_path, overrides, scenario="tight"):
    loaded = load(write_input(tmp_path / "in", dict(VALID, Scenarios=SCENARIOS, Overrides=overrides)))
    data, _ = apply_scenario(loaded.data, scenario)
    return loaded.data, data


def override(operation, value, sheet="Supply", column="capacity_t", **keys):
    return {"scenario": "tight", "sheet": sheet, "column": column, "operation": operation, "value": value, **keys}


@pytest.mark.parametrize("operation, value, expected", [("set", 7, 7), ("scale", 0.5, 25), ("add", -10, 40)])
def test_set_scale_add_on_expanded_periods(tmp_path, operation, value, expected):
    base, data = scenario_data(tmp_path, [override(operation, value, source="China", period="2027")])
    capacity = data["Supply"].set_index(["source", "period"])["capacity_t"]
    assert capacity["China", "2027"] == expected
    assert capacity["China", "2026"] == 50  # the `*` row was expanded first; only 2027 changed
    assert base["Supply"].set_index(["source", "period"])["capacity_t"]["China", "2027"] == 50  # base untouched


def test_key_cells_may_list_values(tmp_path):
    _, data = scenario_data(tmp_path, [override("set", 1, source="China; MP")])
    assert set(data["Supply"]["capacity_t"]) == {1}


def test_rows_apply_in_order(tmp_path):
    _, data = scenario_data(tmp_path, [override("set", 10, source="China"), override("scale", 3, source="China"),
                                       override("add", 1, source="China")])
    assert set(data["Supply"].query("source == 'China'")["capacity_t"]) == {31}


def test_base_case_has_no_overrides(tmp_path):
    base, data = scenario_data(tmp_path, [override("set", 0)], scenario="base")
    assert data["Supply"].equals(base["Supply"])


def test_override_changes_the_optimum(tmp_path):
    # the licence allows 80 × 0.6 = 48 t of Dy a period; EV needs 30 t. Approval 0.25 → 20 t: 10 t short.
    loaded = load(write_input(tmp_path / "in", dict(VALID, Scenarios=SCENARIOS, Overrides=[
        override("set", 0.25, sheet="Licences", column="approval_rate", material="Dy oxide")])))
    base = solve_plan(loaded, "base").result.sheets["Shortfall"]
    tight = solve_plan(loaded, "tight").result.sheets["Shortfall"]
    assert base["unmet_t"].sum() == pytest.approx(0)
    assert tight["unmet_t"].sum() == pytest.approx(20)


@pytest.mark.parametrize("row, message", [
    (override("set", 1, sheet="Nowhere"), "Overrides row 2, column sheet: 'Nowhere' is not a sheet an override can change"),
    (override("set", 1, column="colour"), "Overrides row 2, column column: 'colour' is not a column of Supply an "
                                          "override can change"),
    (override("halve", 1), "Overrides row 2, column operation: 'halve' is not one of set, scale, add"),
    (override("set", 1, sector="EV"), "Overrides row 2, column sector: sheet Supply has no column sector to match on"),
    (override("set", 1, material="Unobtainium"), "Overrides row 2, column material: unknown material 'Unobtainium' "
                                                 "(not on sheet Materials)"),
    (override("scale", 1, column="accepts_controlled", sheet="Sectors"),
     "Overrides row 2, column value: scale needs a numeric column; accepts_controlled is not"),
])
def test_bad_override_rows(tmp_path, row, message):
    with pytest.raises(InputError) as caught:
        load(write_input(tmp_path / "in", dict(VALID, Scenarios=SCENARIOS, Overrides=[row])))
    assert message in [str(p) for p in caught.value.problems]


def test_override_that_breaks_a_bound_is_refused(tmp_path):
    with pytest.raises(InputError) as caught:
        scenario_data(tmp_path, [override("scale", 2, sheet="Licences", column="approval_rate")])
    assert [str(p) for p in caught.value.problems] == [
        "Overrides row 2, column value: makes approval_rate invalid: 1.2 is outside [0, 1]"]


def test_cli_scenario_and_all_scenarios(tmp_path):
    inp = write_input(tmp_path / "in", dict(VALID, Scenarios=SCENARIOS, Overrides=[
        override("set", 0.25, sheet="Licences", column="approval_rate")]))
    run = lambda *a: subprocess.run([sys.executable, "-m", "planner", *a], cwd=tmp_path, capture_output=True, text=True)
    one = run("solve", str(inp), "--scenario", "TIGHT")
    assert one.returncode == 0, one.stderr
    assert "EV: Dy oxide 20.00 t" in one.stdout
    assert (tmp_path / "results" / "in-tight-solve.xlsx").exists()  # named as the Scenarios sheet spells it
    unknown = run("solve", str(inp), "--scenario", "nope")
    assert unknown.returncode == 2 and "unknown scenario 'nope'" in unknown.stderr
    every = run("solve", str(inp), "--all-scenarios", "--json", "all.json")
    assert every.returncode == 0, every.stderr
    import pandas as pd
    table = pd.read_excel(tmp_path / "results" / "in-all-scenarios-solve.xlsx", sheet_name="Unmet")
    unmet = table.set_index(["scenario", "sector", "material"])["unmet_t"]
    assert unmet["base", "EV", "Dy oxide"] == pytest.approx(0)
    assert unmet["tight", "EV", "Dy oxide"] == pytest.approx(20)
    payload = json.loads((tmp_path / "all.json").read_text())
    assert [s["scenario"] for s in payload["scenarios"]] == ["base", "tight"]
    assert payload["scenarios"][1]["unmet_t"] == {"EV": {"Dy oxide": pytest.approx(20)}}
