"""`reeplan sweep` and `reeplan stockpile` as an analyst runs them: files, JSON keys, exit codes."""
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import write_input
from tests.test_stockpile import paper_case
from tests.test_sweep import paper_case as sweep_case

BASELINE = Path(__file__).resolve().parents[1] / "inputs" / "baseline"


def reeplan(*args, cwd):
    return subprocess.run([sys.executable, "-m", "planner", *args, "--quiet"], cwd=cwd, capture_output=True,
                          text=True)


def test_sweep_writes_points_breakpoints_and_json(tmp_path):
    folder = write_input(tmp_path / "case", sweep_case(150))
    done = reeplan("sweep", str(folder), "--sheet", "licences", "--column", "approval_rate", "--values", "0:1:0.1",
                   "--source", "CN", "--exact", "--json", "sweep.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    payload = json.loads((tmp_path / "sweep.json").read_text())
    assert set(payload) == {"parameter", "points", "breakpoints"}
    assert payload["parameter"] == {"sheet": "Licences", "column": "approval_rate", "operation": "set",
                                    "keys": {"source": "CN"}}
    assert len(payload["points"]) == 11
    point = payload["points"][3]  # ρ = 0.3: cap 45, US 30, 25 t short: 450 + 1,800 + 5,000
    assert point["value"] == pytest.approx(0.3) and point["objective"] == pytest.approx(7_250)
    assert point["unmet_t"] == {"EV": {"mag": pytest.approx(25)}}
    assert point["licence_shadow_prices"][0]["shadow_price"] == pytest.approx(190)
    assert [b["value"] for b in payload["breakpoints"]] == pytest.approx([7 / 15, 2 / 3])
    workbook = openpyxl.load_workbook(tmp_path / "results" / "case-sweep.xlsx")
    assert {"Sweep", "Points", "LicenceShadowPrices", "Breakpoints"} <= set(workbook.sheetnames)


def test_sweep_refuses_what_it_cannot_do(tmp_path):
    folder = write_input(tmp_path / "case", sweep_case(100))
    price = reeplan("sweep", str(folder), "--sheet", "Supply", "--column", "price", "--values", "1,2",
                    "--operation", "scale", "--exact", cwd=tmp_path)
    assert price.returncode == 2 and "changes costs or coefficients" in price.stderr
    unknown = reeplan("sweep", str(folder), "--sheet", "Supply", "--column", "colour", "--values", "1", cwd=tmp_path)
    assert unknown.returncode == 2 and "is not a numeric column of Supply" in unknown.stderr
    invalid = reeplan("sweep", str(folder), "--sheet", "Licences", "--column", "approval_rate", "--values", "0:1.5:0.5",
                      cwd=tmp_path)
    assert invalid.returncode == 2 and "outside [0, 1]" in invalid.stderr
    assert "Traceback" not in price.stderr + unknown.stderr + invalid.stderr
    assert not (tmp_path / "results").exists()


def test_stockpile_writes_sizes_and_json(tmp_path):
    folder = write_input(tmp_path / "case", paper_case())
    done = reeplan("stockpile", str(folder), "--json", "stock.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    payload = json.loads((tmp_path / "stock.json").read_text())
    assert {"objective", "sizes", "expected_unmet_t", "worst_unmet_t", "cvar_unmet_t", "rp", "ws", "eev", "vss",
            "evpi", "scenarios", "sizing_curve"} <= set(payload)
    assert payload["objective"] == pytest.approx(5_000) and payload["vss"] == pytest.approx(1_600)
    assert payload["sizes"][0]["level_t"] == pytest.approx(50)
    assert [s["scenario"] for s in payload["scenarios"]] == ["calm", "crisis"]
    assert "RP 5,000" in done.stdout
    assert (tmp_path / "results" / "case-stockpile.xlsx").exists()


def test_baseline_sweeps_every_china_approval_rate_on_a_grid_and_exactly(tmp_path):
    done = reeplan("sweep", str(BASELINE), "--sheet", "Licences", "--column", "approval_rate", "--values",
                   "0:1:0.05", "--source", "China licensed", "--exact", "--json", "b.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    payload = json.loads((tmp_path / "b.json").read_text())
    objective = [p["objective"] for p in payload["points"]]
    assert len(objective) == 21 and all(b <= a for a, b in zip(objective, objective[1:]))
    breakpoints = payload["breakpoints"]
    assert len(breakpoints) > 10
    assert all(b["slope_left"] <= b["slope_right"] + 1e-6 * abs(b["slope_left"]) for b in breakpoints)  # convex
