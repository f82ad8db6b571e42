"""One planning run: read and validate an input, build and solve the LP, explain a missing plan."""
from __future__ import annotations

import time
from dataclasses import dataclass

from models.conflicts import Conflict, find_conflicts
from models.data import PlanData
from models.compiled import compile_plan
from models.plan import FAMILIES, PlanModel
from models.structure import end_use_class
from models.solve import Solution, solve
from planner import __version__
from planner.inputs import Loaded
from planner.issues import NoPlan, Problem
from planner.overrides import apply_scenario
from planner.results import PlanResult, RunInfo, build_result
from planner.schema import BASE
from planner.words import period_span


@dataclass
class Outcome:
    solution: Solution
    result: PlanResult
    warnings: list[Problem]


def solve_plan(loaded: Loaded, scenario: str = BASE, *, log: bool = False, all_causes: bool = False,
               data: PlanData | None = None) -> Outcome:
    """Apply the scenario's overrides (or take the scenario's `data`, e.g. a sampled one), build and solve;
    raise NoPlan naming the conflicting limits.

    `log`: HiGHS's own log on standard error; `all_causes`: explain every shortfall even on a very large plan."""
    started = time.perf_counter()
    data, warnings = (data, []) if data is not None else apply_scenario(loaded.data, scenario)
    plan = PlanModel(data)
    compiled = compile_plan(plan)
    built = time.perf_counter()
    solution = solve(compiled, log=log)
    if not solution.optimal:
        conflicts = find_conflicts(data, plan.structure)
        raise NoPlan(describe_conflicts(conflicts, data), conflicts)
    run = RunInfo(__version__, str(loaded.path), loaded.sha256, scenario_name(loaded, scenario),
                  build_seconds=built - started)
    result = build_result(data, solution, run, all_causes=all_causes)
    run.wall_seconds = time.perf_counter() - started
    result.sheets["Run"].loc[result.sheets["Run"]["item"] == "wall time (s)", "value"] = round(run.wall_seconds, 3)
    return Outcome(solution, result, warnings)


def scenario_name(loaded: Loaded, scenario: str) -> str:
    """The scenario as the Scenarios sheet spells it (names are matched case-insensitively)."""
    names = {s.casefold(): s for s in loaded.data["Scenarios"]["scenario"]}
    return names.get(scenario.casefold(), scenario)


_LIMIT_COLUMN = {
    "supply_capacity": "capacity_t = {limit} t", "min_take": "min_take_t = {limit} t",
    "licence": "{limit} t (requested × approval_rate)", "process_capacity": "{limit} units",
    "stock_min": "min_level_t = {limit} t", "stock_max": "max_level_t = {limit} t", "stock_end": "end_min_t = {limit} t",
    "release_cap": "max_release_t = {limit} t", "acquire_cap": "max_acquire_t = {limit} t",
    "size_cap": "max_size_t = {limit} t",
}
_CONFLICT_WORDS = {
    "supply_capacity": "capacity of {source} for {material}{in_period}",
    "min_take": "minimum take of {material} from {source}{in_period}",
    "licence": "licence cap on {material} from {source}{in_period}{for_end_use}",
    "process_capacity": "capacity of process {process}{in_period}",
    "stock_min": "floor of stockpile {stockpile} ({material}){in_period}",
    "stock_max": "ceiling of stockpile {stockpile} ({material}){in_period}",
    "stock_end": "end level of stockpile {stockpile} ({material})",
    "release_cap": "release limit of stockpile {stockpile} ({material}){in_period}",
    "acquire_cap": "acquisition limit of stockpile {stockpile} ({material}){in_period}",
    "size_cap": "size limit of stockpile {stockpile} ({material})",
}


def describe_conflict(conflict: Conflict) -> str:
    """One limit, e.g. 'minimum take of Dy oxide from China in 2026: min_take_t = 40 t'."""
    return _describe(conflict.family, conflict.keys, [conflict.keys.get("period")], [conflict.limit], None)


def _describe(family: str, keys: dict, periods: list, limits: list[float], order: list[str] | None) -> str:
    end_use = keys.get("end_use")
    periods = [p for p in periods if p]
    if not periods:
        where = ""
    elif len(set(periods)) == 1:
        where = f" in {periods[0]}"
    else:
        where = f" in {len(set(periods))} periods {period_span(periods, order or sorted(set(periods)))}"
    low, high = min(limits), max(limits)
    amount = f"{low:g}" if low == high else f"{low:g}–{high:g}"
    text = _CONFLICT_WORDS[family].format(in_period=where, for_end_use=f" for {end_use}" if end_use else "",
                                          **{k: v for k, v in keys.items() if k != "period"})
    return text + ": " + _LIMIT_COLUMN[family].format(limit=amount) + (" each" if len(set(periods)) > 1 and
                                                                       low == high else "")


def input_rows(family: str, keys: dict, periods: list[str], data: PlanData | None) -> str:
    """The input rows that set a limit, as 'Supply row 3' or 'Licences rows 2, 5'."""
    if data is None:
        return ""
    sheet, rows = None, []
    if family in ("supply_capacity", "min_take"):
        sheet, t = "Supply", data["Supply"]
        hit = t[(t["source"] == keys["source"]) & (t["material"] == keys["material"]) & t["period"].isin(periods)]
        rows = hit["_row"].tolist()
    elif family == "licence":
        sheet, t = "Licences", data["Licences"]
        if len(t):
            index = {p: i for i, p in enumerate(data.periods)}
            arrival = t["period"].map(index) + t["lead_time"]
            wanted = {index[p] for p in periods if p in index}
            sectors = data["Sectors"]
            accepting = set(sectors.loc[sectors["accepts_controlled"].astype(bool), "sector"])
            classes = t["end_use"].map(lambda e: end_use_class(e or "", accepting, list(sectors["sector"])))
            hit = t[(t["source"] == keys["source"]) & (t["material"] == keys["material"]) & arrival.isin(wanted)
                    & (classes == keys.get("end_use", ""))]
            rows = hit["_row"].tolist()
        if not rows:
            return "no licence row delivers then: the cap is 0"
    elif family == "process_capacity":
        sheet, t = "Processes", data["Processes"]
        rows = t[(t["process"] == keys["process"]) & t["period"].isin(periods)]["_row"].tolist()
    else:
        sheet, t = "Stockpiles", data["Stockpiles"]
        rows = t[(t["stockpile"] == keys["stockpile"]) & (t["material"] == keys["material"])]["_row"].tolist()
    rows = sorted(set(int(r) for r in rows))
    if not rows:
        return ""
    return f"{sheet} row{'s' if len(rows) > 1 else ''} {row_list(rows)}"


def row_list(rows: list[int]) -> str:
    """2, 5, 7–30."""
    parts, start, prev = [], None, None
    for r in rows:
        if start is None:
            start = prev = r
        elif r == prev + 1:
            prev = r
        else:
            parts.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = r
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}–{prev}")
    return ", ".join(parts)


def describe_conflicts(conflicts: list[Conflict], data: PlanData | None = None) -> str:
    """Conflicting sets grouped: sets of the same limits in different periods are one group, and within a
    group the limits of one family and keys are one line listing their periods, with the input rows."""
    order = data.periods if data is not None else None
    sets: dict[int, list[Conflict]] = {}
    for c in conflicts:
        sets.setdefault(c.group, []).append(c)

    def pattern(members):
        rank = {name: i for i, name in enumerate(FAMILIES)}
        pairs = {(c.family, tuple((k, v) for k, v in c.keys.items() if k != "period")) for c in members}
        return tuple(sorted(pairs, key=lambda pair: (rank[pair[0]], str(pair[1]))))

    groups: dict[tuple, list[list[Conflict]]] = {}
    for members in sets.values():
        groups.setdefault(pattern(members), []).append(members)
    lines = ["No plan exists: these limits cannot all hold together (easing any one limit of a group resolves "
             "that group):"]
    for n, (pat, member_sets) in enumerate(groups.items(), start=1):
        every = [c for members in member_sets for c in members]
        if len(member_sets) > 1:
            periods = [c.keys.get("period") for c in every if c.keys.get("period")]
            lines.append(f"  {n}. the same conflict in {len(member_sets)} separate cases"
                         + (f" ({period_span(periods, order or sorted(set(periods)))}):" if periods else ":"))
        else:
            lines.append(f"  {n}.")
        for family, key in pat:
            same = [c for c in every if c.family == family and tuple((k, v) for k, v in c.keys.items()
                                                                      if k != "period") == key]
            periods = [c.keys.get("period") for c in same]
            text = _describe(family, same[0].keys, periods, [c.limit for c in same], order)
            missed = sum(c.violation for c in same)
            if missed > TOLERANCE_TEXT:
                text += f" — misses by {missed:,.3g} in total"
            where = input_rows(family, same[0].keys, [p for p in periods if p], data)
            lines.append(f"     - {text}" + (f" ({where})" if where else ""))
    return "\n".join(lines)


TOLERANCE_TEXT = 1e-7
