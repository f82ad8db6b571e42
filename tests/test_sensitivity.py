"""Basis-kept responses and ratio tests (models/sensitivity.py) against cases known on paper and HiGHS's ranging."""
import numpy as np
import pytest

from models.sensitivity import Direction, response, step_limit
from tests.conftest import BASE

approx = pytest.approx


def licence_case(requested):
    """CN (controlled) up to 100 t at 10 under one licence; US (free) 30 t at 60; EV needs 100 t (penalty 200)."""
    return {
        **BASE,
        "Supply": [{"source": "CN", "material": "mag", "capacity_t": 100, "price": 10},
                   {"source": "US", "material": "mag", "capacity_t": 30, "price": 60}],
        "Licences": [{"source": "CN", "material": "mag", "requested_t": requested}],
        "Sectors": [{"sector": "EV", "shortfall_penalty": 200}],
        "Demand": [{"sector": "EV", "material": "mag", "demand_t": 100}],
    }


def ease(solution, family, key_index=0, amount=1.0):
    """Row-bound direction that eases row `key_index` of `family` (raises a ≤ limit)."""
    compiled = solution.compiled
    d_lower = np.zeros(compiled.lp.num_row)
    d_upper = np.zeros(compiled.lp.num_row)
    row = compiled.rows[family].start + key_index
    d_upper[row] = amount
    return row, d_lower, d_upper


def test_easing_the_cap_serves_the_shortfall_until_it_is_gone(solve_case):
    # cap 40: 30 t short; each licensed tonne serves one tonne of shortfall up to cap 70 (HiGHS: range [0, 70])
    _, _, sol = solve_case(licence_case(40))
    row, d_lower, d_upper = ease(sol, "licence")
    status = (sol.arrays["col_status"], sol.arrays["row_status"])
    up = Direction(d_lower, d_upper)
    move = response(sol.live, up, status)
    short = sol.compiled.columns["short"].start
    buy = sol.compiled.columns["buy"].start
    assert move.dx[short] == approx(-1) and move.dx[buy] == approx(1)
    step = step_limit(sol.compiled.lp, sol.arrays["col_value"], sol.arrays["row_value"], move, up, status)
    assert 40 + step.length == approx(70)  # the shortfall column hits 0
    assert step.column == short
    # backwards: down to cap 0, where the licensed flow hits 0
    down = up.reversed()
    back = response(sol.live, down, status)
    step = step_limit(sol.compiled.lp, sol.arrays["col_value"], sol.arrays["row_value"], back, down, status)
    assert 40 - step.length == approx(0)


def test_ratio_test_agrees_with_highs_ranging_on_generated_cases(tmp_path):
    from models.compiled import compile_plan
    from models.plan import PlanModel
    from models.solve import solve
    from planner.inputs import load
    from tests.conftest import write_input
    from tests.test_shadow_price_property import generated_sheets

    checked = 0
    for seed in range(8):
        data = load(write_input(tmp_path / f"g{seed}", generated_sheets(seed))).data
        sol = solve(compile_plan(PlanModel(data)))
        status = (sol.arrays["col_status"], sol.arrays["row_status"])
        ranges = sol.licence_ranges
        for k, (cap, low, high) in enumerate(zip(sol.rows["licence"]["rhs"], ranges["range_low_t"],
                                                 ranges["range_high_t"])):
            row = sol.compiled.rows["licence"].start + k
            if status[1][row] == 1:  # basic: HiGHS's figures are not an rhs range (see Solver.upper_ranges)
                continue
            d = np.zeros(sol.compiled.lp.num_row)
            d[row] = 1.0
            raise_cap = Direction(np.zeros_like(d), d)
            lower_cap = raise_cap.reversed()
            up = step_limit(sol.compiled.lp, sol.arrays["col_value"], sol.arrays["row_value"],
                            response(sol.live, raise_cap, status), raise_cap, status)
            down = step_limit(sol.compiled.lp, sol.arrays["col_value"], sol.arrays["row_value"],
                              response(sol.live, lower_cap, status), lower_cap, status)
            assert cap + up.length == approx(high, rel=1e-7, abs=1e-7)
            assert cap - down.length == approx(max(low, -np.inf), rel=1e-7, abs=1e-7) or (low == -np.inf and
                                                                                           down.length == np.inf)
            checked += 1
    assert checked >= 10
