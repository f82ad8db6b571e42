"""Sampled scenarios from the Uncertainty sheet (SPEC §5).

Each Uncertainty row draws one number per scenario — uniform(low, high), triangular(low, mode, high) or
bernoulli (with `probability` the row's `value`, else no change) — and applies it to `column` of the
matching rows with `operation`, like an override. Scenario k (named sample-000k) draws from its own
stream, spawned from the seed (`numpy.random.SeedSequence(seed).spawn`), so the same seed gives the same
scenarios whatever the number of workers or the order they are built in.
"""
from __future__ import annotations

import numpy as np

from models.data import PlanData
from planner import schema as S
from planner.issues import InputError, Problem
from planner.overrides import KEY_COLUMNS, Change, apply_change, change_target, invalid_result

SHEET = "Uncertainty"
NEEDS = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"), "bernoulli": ("probability", "value")}


def check_uncertainty_rows(rows: list[tuple[int, dict]]) -> list[Problem]:
    """Problems in Uncertainty rows that can be found without drawing."""
    problems: list[Problem] = []
    for row, r in rows:
        change_target(SHEET, row, r, numeric_only=True, who="a draw", problems=problems)
        missing = [c for c in NEEDS[r["distribution"]] if r.get(c) is None]
        for column in missing:
            problems.append(Problem(SHEET, row, column, f"a {r['distribution']} draw needs {column}"))
        if missing or r["distribution"] == "bernoulli":
            continue
        low, high = r["low"], r["high"]
        mode = r.get("mode") if r["distribution"] == "triangular" else None
        if low > high:
            problems.append(Problem(SHEET, row, "high", f"high {high:g} is below low {low:g}"))
        elif mode is not None and not low <= mode <= high:
            problems.append(Problem(SHEET, row, "mode", f"mode {mode:g} is outside [low {low:g}, high {high:g}]"))
    return problems


def scenario_names(n: int) -> list[str]:
    return [f"sample-{k:04d}" for k in range(1, n + 1)]


def draws(rows: list[dict], n: int, seed: int) -> np.ndarray:
    """n × rows matrix of draws (NaN where a bernoulli row leaves the data unchanged)."""
    out = np.full((n, len(rows)), np.nan)
    for k, stream in enumerate(np.random.SeedSequence(seed).spawn(n)):
        rng = np.random.default_rng(stream)
        for i, r in enumerate(rows):
            kind = r["distribution"]
            if kind == "uniform":
                out[k, i] = rng.uniform(r["low"], r["high"])
            elif kind == "triangular":
                out[k, i] = r["low"] if r["low"] == r["high"] else rng.triangular(r["low"], r["mode"], r["high"])
            elif rng.random() < r["probability"]:
                out[k, i] = r["value"]
    return out


def sample_scenarios(data: PlanData, n: int, seed: int) -> list[tuple[str, PlanData]]:
    """n equally likely scenarios drawn from the Uncertainty sheet, applied to the base tables."""
    rows = data["Uncertainty"].to_dict("records") if "Uncertainty" in data.tables else []
    if not rows:
        raise InputError([Problem(SHEET, None, None, "--sample needs an Uncertainty sheet with at least one row")])
    values = draws(rows, n, seed)
    out, problems = [], []
    for name, drawn in zip(scenario_names(n), values):
        case = data.copy()
        for r, value in zip(rows, drawn):
            if np.isnan(value):
                continue
            keys = {key: r[key] for key in KEY_COLUMNS if isinstance(r.get(key), tuple) and r[key]}
            change = Change(_sheet(r), _column(r), r["operation"], float(value), keys)
            mask = apply_change(case, change)
            if not mask.any():
                problems.append(Problem(SHEET, r["_row"], None, f"matches no row of {change.sheet}"))
                continue
            message = invalid_result(case.tables[change.sheet].loc[mask, change.column], change.schema_column)
            if message:
                problems.append(Problem(SHEET, r["_row"], "operation", f"in {name} the draw {value:g} {message}"))
        if problems:
            raise InputError(problems[:20])
        out.append((name, case))
    return out


def _sheet(r: dict) -> str:
    return next(s.name for s in S.SHEETS if s.name.lower() == r["sheet"].strip().lower())


def _column(r: dict) -> str:
    return r["column"].strip().lower()
