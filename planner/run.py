"""One planning run: read and validate an input, build and solve the LP, explain a missing plan."""
from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from models.conflicts import Conflict, find_conflicts
from models.data import PlanData
from models.compiled import compile_plan
from models.plan import PlanModel
from models.solve import Solution, solve
from planner import __version__
from planner.issues import InputError, Problem
from planner.overrides import BASE, apply_scenario
from planner.reader import read_input
from planner.results import PlanResult, RunInfo, build_result
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


class NoPlan(Exception):
    """The user's hard limits contradict each other."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        super().__init__(describe_conflicts(conflicts))


@dataclass
class Outcome:
    solution: Solution
    result: PlanResult
    warnings: list[Problem]


def solve_plan(loaded: Loaded, scenario: str = BASE) -> Outcome:
    """Apply the scenario's overrides, build and solve; raise NoPlan naming the conflicting limits."""
    started = time.perf_counter()
    data, warnings = apply_scenario(loaded.data, scenario)
    plan = PlanModel(data)
    compiled = compile_plan(plan)
    built = time.perf_counter()
    solution = solve(compiled)
    if not solution.optimal:
        raise NoPlan(find_conflicts(data, plan.structure))
    run = RunInfo(__version__, str(loaded.path), loaded.sha256, scenario,
                  wall_seconds=time.perf_counter() - started, build_seconds=built - started)
    return Outcome(solution, build_result(data, solution, run), warnings)


_CONFLICT_WORDS = {
    "supply_capacity": "capacity of {source} for {material} in {period}: capacity_t = {limit:g} t",
    "min_take": "minimum take of {material} from {source} in {period}: min_take_t = {limit:g} t",
    "licence": "licence cap on {material} from {source} in {period}{for_end_use}: {limit:g} t "
               "(requested × approval_rate)",
    "process_capacity": "capacity of process {process} in {period}: {limit:g} units",
    "stock_min": "floor of stockpile {stockpile} ({material}) in {period}: min_level_t = {limit:g} t",
    "stock_max": "ceiling of stockpile {stockpile} ({material}) in {period}: max_level_t = {limit:g} t",
    "stock_end": "end level of stockpile {stockpile} ({material}): end_min_t = {limit:g} t",
    "release_cap": "release limit of stockpile {stockpile} ({material}) in {period}: max_release_t = {limit:g} t",
    "acquire_cap": "acquisition limit of stockpile {stockpile} ({material}) in {period}: max_acquire_t = {limit:g} t",
    "size_cap": "size limit of stockpile {stockpile} ({material}): max_size_t = {limit:g} t",
}


def describe_conflict(conflict: Conflict) -> str:
    end_use = conflict.keys.get("end_use")
    text = _CONFLICT_WORDS[conflict.family].format(limit=conflict.limit, for_end_use=f" for {end_use}" if end_use else "",
                                                   **conflict.keys)
    if conflict.violation > 0:
        text += f" — cannot hold: misses by {conflict.violation:,.3g}"
    return text


def describe_conflicts(conflicts: list[Conflict]) -> str:
    lines = ["No plan exists: these limits cannot all hold together:"]
    lines += [f"  - {describe_conflict(c)}" for c in conflicts]
    return "\n".join(lines)
