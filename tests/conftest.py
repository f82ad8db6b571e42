"""Shared helpers: write small inputs as CSV folders and solve them through the real reading path."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from models.plan import PlanModel
from models.solve import solve
from planner.inputs import load

BASE = {
    "Periods": [{"period": "P1"}],
    "Materials": [{"material": "mag", "export_controlled": "TRUE"}],
    "Sources": [{"source": "CN", "controlled": "TRUE"}, {"source": "US", "controlled": "FALSE"}],
}


def write_input(folder: Path, sheets: dict[str, list[dict]]) -> Path:
    """Write each sheet as <Sheet>.csv (columns from the union of the rows' keys, in order); [] = no sheet."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        if not rows:
            continue
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with (folder / f"{name}.csv").open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return folder


def solve_sheets(folder: Path, sheets: dict[str, list[dict]]):
    """Load, build and solve; return (data, plan, solution)."""
    loaded = load(write_input(folder, sheets))
    plan = PlanModel(loaded.data)
    return loaded.data, plan, solve(plan)


@pytest.fixture
def solve_case(tmp_path):
    return lambda sheets: solve_sheets(tmp_path / "case", sheets)
