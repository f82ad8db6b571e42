"""Property: on generated instances every licence shadow price lies between the one-sided derivatives
of the optimal cost in that cap (SPEC §7), and inside its reported range the cost moves linearly.

The optimal cost f(cap) of an LP is convex and piecewise linear in a right-hand side, so for any step h
    (f(c) − f(c−h))/h ≤ f'₋(c) ≤ f'₊(c) ≤ (f(c+h) − f(c))/h,
and the shadow price (value of one more licensed tonne, −∂f) must satisfy
    −(f(c+h) − f(c))/h ≤ shadow ≤ −(f(c) − f(c−h))/h.
"""
import random

import pytest

from models.compiled import compile_plan
from models.plan import PlanModel
from models.solve import Solver, solve
from planner.inputs import load
from tests.conftest import write_input

STEP = 1e-3


def generated_sheets(seed: int) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    periods = [f"T{i}" for i in range(rng.randint(1, 3))]
    materials = [{"material": "ox", "export_controlled": rng.choice(["TRUE", "FALSE"])},
                 {"material": "dy", "export_controlled": "TRUE"},
                 {"material": "mag", "export_controlled": "TRUE"}]
    sources = [{"source": "CN", "controlled": "TRUE"}, {"source": "CN2", "controlled": "TRUE"},
               {"source": "US", "controlled": "FALSE"}, {"source": "AU", "controlled": "FALSE"}]
    supply = [{"source": s["source"], "material": m["material"], "period": t,
               "capacity_t": rng.choice([0, 5, 20, 50, 120]), "price": rng.randint(1, 60)}
              for s in sources for m in materials for t in periods if rng.random() < 0.7]
    licences = [{"source": s, "material": m, "period": rng.choice(periods + ["*"]),
                 "requested_t": rng.choice([0, 10, 30, 80]), "approval_rate": rng.choice([0.25, 0.6, 1]),
                 "lead_time": rng.choice([0, 0, 1])}
                for s in ("CN", "CN2") for m in ("dy", "mag", "ox") if rng.random() < 0.8]
    # keys must be unique: keep the first licence per (source, material, period)
    licences = list({(r["source"], r["material"], r["period"]): r for r in licences}.values())
    sectors = [{"sector": "defense", "shortfall_penalty": rng.randint(200, 900), "accepts_controlled": "FALSE"},
               {"sector": "EV", "shortfall_penalty": rng.randint(50, 300)},
               {"sector": "wind", "shortfall_penalty": rng.randint(50, 300), "accepts_controlled": rng.choice(["y", "n"])}]
    demand = [{"sector": k["sector"], "material": m, "period": t, "demand_t": rng.choice([0, 10, 40, 90])}
              for k in sectors for m in ("mag", "dy") for t in periods if rng.random() < 0.7]
    sheets = {
        "Settings": [{"key": "discount_rate", "value": rng.choice([0, 0.05])}],
        "Periods": [{"period": t} for t in periods], "Materials": materials, "Sources": sources,
        "Supply": supply, "Licences": licences, "Sectors": sectors, "Demand": demand,
        "Processes": [{"process": "mm", "period": "*", "capacity": rng.choice([10, 40]), "cost": rng.randint(1, 9)}],
        "Recipes": [{"process": "mm", "material": "ox", "input_t": 2}, {"process": "mm", "material": "dy",
                                                                        "input_t": 0.1},
                    {"process": "mm", "material": "mag", "output_t": 1}],
        "Stockpiles": [{"stockpile": "NDS", "material": "mag", "initial_t": rng.choice([0, 15]),
                        "reserved_for": "defense", "max_release_t": rng.choice([5, ""]),
                        "holding_cost": rng.choice([0, 1]), "max_acquire_t": rng.choice([0, 10])}],
    }
    return {name: rows for name, rows in sheets.items() if rows}


def optimal_cost(compiled, solver, row, cap):
    """Re-solve warm with licence row `row` at `cap`: new numbers through the compiled model's Param map."""
    caps = compiled.values["licence_cap_t"].copy()
    caps[row] = cap
    solver.update(compiled.numbers({**compiled.values, "licence_cap_t": caps}))
    assert solver.run() == "optimal"
    return solver.objective


@pytest.mark.parametrize("seed", range(12))
def test_licence_shadow_price_between_one_sided_derivatives(tmp_path, seed):
    data = load(write_input(tmp_path / "case", generated_sheets(seed))).data
    compiled = compile_plan(PlanModel(data))
    solution = solve(compiled)
    assert solution.optimal
    licences = solution.rows["licence"].merge(solution.licence_ranges)
    assert not licences.empty
    solver = Solver(compiled.lp)
    checked = 0
    for row in licences.itertuples():
        cap, shadow, base = row.rhs, row.shadow_price, solution.objective
        tol = 1e-6 * max(1.0, abs(base))
        assert shadow >= 0
        right = (optimal_cost(compiled, solver, row.Index, cap + STEP) - base) / STEP
        assert -right <= shadow + tol / STEP
        if cap >= STEP:  # a cap cannot go below 0
            left = (base - optimal_cost(compiled, solver, row.Index, cap - STEP)) / STEP
            assert shadow <= -left + tol / STEP
        # inside the reported range the cost moves by exactly shadow × change
        if row.range_high_t < float("inf") and row.range_high_t > cap + 1e-6:
            target = (cap + row.range_high_t) / 2
            assert optimal_cost(compiled, solver, row.Index, target) == pytest.approx(
                base - shadow * (target - cap), rel=1e-6, abs=1e-6)
        checked += 1
    assert checked == len(licences)
