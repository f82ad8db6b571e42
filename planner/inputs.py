"""The planner's input: a workbook or CSV folder read and validated into normalised tables (SPEC §2)."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from models.data import PlanData
from planner.issues import InputError, Problem
from planner.reader import read_input
from planner.validate import validate


def bundled_input(name: str = "baseline") -> Path:
    """Data shipped inside the package: `baseline` (the default input) or `example` (a small teaching case)."""
    return Path(str(resources.files("inputs") / name))


@dataclass
class Loaded:
    path: Path
    data: PlanData
    warnings: list[Problem]
    sha256: str


def load(path: str | Path) -> Loaded:
    """Read and validate; raise InputError listing every problem."""
    raw = read_input(path)
    data, problems = validate(raw)
    if data is None:
        raise InputError(problems)
    return Loaded(Path(path), data, [p for p in problems if p.severity != "error"], raw.sha256())
