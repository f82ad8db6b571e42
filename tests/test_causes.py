"""ShortfallCauses (SPEC §4): the binding limits behind each shortfall, checked on paper and against re-solves."""
import numpy as np
import pytest

from models.causes import shortfall_causes
from models.sensitivity import Direction, response
from planner.run import solve_plan
from planner.inputs import load
from tests.conftest import BASE, write_input

approx = pytest.approx


def three_limits():
    """One period, no discounting. EV needs 100 t of magnets 'mag' (penalty 200 per unmet t).

    - CN (controlled) sells mag at 10 under a licence of 40 t;
    - US (free) sells mag at 60, capacity 30 t;
    - process 'mm' makes 0.5 t mag from 1 t oxide 'ox' at cost 2 a unit, capacity 20 units; US sells ox at 5
      (capacity 1000 t).
    Wind needs 10 t of 'ym', sold by US at 300 (capacity 1000): dearer than its penalty of 200.

    Plan: CN 40, US 30, mm 20 units → 10 t: EV is short 100 − 80 = 20 t; wind short 10 t.
    Easing, the basis kept, serves the EV shortfall:
      licence cap   +1 t  → 1 t more from CN:       1 t per t,   value 200 − 10 = 190
      US capacity   +1 t  → 1 t more from US:       1 t per t,   value 200 − 60 = 140
      mm capacity   +1 unit → 0.5 t more mag:       0.5 t per unit, value 0.5·200 − 5 − 2 = 93
    Each rate holds until the 20 t shortfall is gone (or the limit's own flow reaches 0 going down):
      licence 40 + 20 = 60 → [0, 60];  US capacity 30 + 20 = 50 → [0, 50];
      mm capacity: 20 t / 0.5 t per unit = 40 more units, 20 + 40 = 60 → [0, 60].
    Wind's shortfall has no limit behind it: serving it costs 300 a tonne, more than its penalty.
    """
    return {
        "Periods": [{"period": "P1"}],
        "Materials": [{"material": "mag", "export_controlled": "TRUE"}, {"material": "ox"}, {"material": "ym"}],
        "Sources": BASE["Sources"],
        "Supply": [{"source": "CN", "material": "mag", "capacity_t": 1000, "price": 10},
                   {"source": "US", "material": "mag", "capacity_t": 30, "price": 60},
                   {"source": "US", "material": "ox", "capacity_t": 1000, "price": 5},
                   {"source": "US", "material": "ym", "capacity_t": 1000, "price": 300}],
        "Licences": [{"source": "CN", "material": "mag", "requested_t": 40}],
        "Processes": [{"process": "mm", "capacity": 20, "cost": 2}],
        "Recipes": [{"process": "mm", "material": "ox", "input_t": 1}, {"process": "mm", "material": "mag", "output_t": 0.5}],
        "Sectors": [{"sector": "EV", "shortfall_penalty": 200}, {"sector": "wind", "shortfall_penalty": 200}],
        "Demand": [{"sector": "EV", "material": "mag", "demand_t": 100}, {"sector": "wind", "material": "ym", "demand_t": 10}],
    }


def test_hand_solved_causes_rates_ranges_and_order(solve_case):
    _, _, sol = solve_case(three_limits())
    assert sol.objective == approx(40 * 10 + 30 * 60 + 20 * (5 + 2) + 20 * 200 + 10 * 200)
    causes = shortfall_causes(sol)
    ev = causes[causes["sector"] == "EV"]
    assert list(ev["family"]) == ["licence", "supply_capacity", "process_capacity"]  # by t served per unit, then value
    assert list(ev["served_t_per_unit"]) == approx([1, 1, 0.5])
    assert list(ev["shadow_price"]) == approx([190, 140, 93])
    assert list(ev["limit_t"]) == approx([40, 30, 20])
    assert list(ev["holds_from"]) == approx([0, 0, 0])
    assert list(ev["holds_to"]) == approx([60, 50, 60])
    assert list(ev["unmet_t"]) == approx([20, 20, 20])
    wind = causes[causes["sector"] == "wind"]
    assert len(wind) == 1 and wind["family"].iloc[0] == "" and wind["unmet_t"].iloc[0] == approx(10)


def test_rates_from_one_inverse_row_equal_single_limit_responses(solve_case):
    """The B⁻¹-row shortcut gives the same rate as moving each limit alone (models.sensitivity.response)."""
    _, _, sol = solve_case(three_limits())
    causes = shortfall_causes(sol)
    status = (sol.arrays["col_status"], sol.arrays["row_status"])
    short = sol.compiled.columns["short"].start  # EV / mag / P1 is the first demand row
    for row, rate in zip(causes["limit_row"], causes["served_t_per_unit"]):
        if row < 0:
            continue
        d_lower, d_upper = np.zeros(sol.compiled.lp.num_row), np.zeros(sol.compiled.lp.num_row)
        d_upper[row] = 1.0
        assert -response(sol.live, Direction(d_lower, d_upper), status).dx[short] == approx(rate)


def test_rates_agree_with_re_solving_on_the_baseline():
    """On the baseline, easing a cause of a shortfall by a small step (within its range) serves rate × step tonnes."""
    from models.causes import INITIAL_STOCK
    from models.solve import Solver
    from planner.inputs import bundled_input

    sol = solve_plan(load(bundled_input())).solution
    causes = shortfall_causes(sol)
    picked = causes[causes["rank"] >= 1].drop_duplicates("family").head(4)
    assert len(picked) >= 2
    lp = sol.compiled.lp
    short = sol.compiled.columns["short"].start
    for r in picked.itertuples(index=False):
        sign = -1 if r.family in ("min_take", "stock_min", "stock_end") else 1
        room = (r.limit_t - r.holds_from) if sign < 0 else (r.holds_to - r.limit_t)
        step = min(0.01, room / 2)
        lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
        if r.family == INITIAL_STOCK:
            lower[r.limit_row] += step
            upper[r.limit_row] += step
        elif sign > 0:
            upper[r.limit_row] += step
        else:
            lower[r.limit_row] -= step
        solver = Solver(lp.with_numbers(row_lower=lower, row_upper=upper))
        solver.run()
        k = sol.compiled.structure.demand.index((r.sector, r.material, r.period))
        served = sol.arrays["col_value"][short + k] - solver.values()[0][short + k]
        assert served == approx(r.served_t_per_unit * step, rel=1e-5, abs=1e-9), r.family


def test_causes_sheet_in_planner_words(tmp_path):
    loaded = load(write_input(tmp_path / "in", three_limits()))
    causes = solve_plan(loaded).result.sheets["ShortfallCauses"]
    assert list(causes["limit"]) == [
        "licence cap CN / mag / P1", "capacity of US for mag in P1", "capacity of process mm in P1",
        "no limit: serving it would cost more than its penalty"]
    assert list(causes["unit"]) == ["t", "t", "unit", ""]


@pytest.mark.parametrize("seed", range(6))
def test_highs_ranging_equals_the_ratio_test_for_every_kind_of_limit(tmp_path, seed):
    """The holds_from/holds_to interval is HiGHS's row-bound ranging; check it against the ratio test
    (models.causes.limit_range) on generated plans with minimum takes, stock floors and end levels binding."""
    from models.causes import candidate_limits, limit_range
    from tests.test_shadow_price_property import generated_sheets

    sheets = generated_sheets(seed)
    for row in sheets["Supply"]:
        if row["source"] in ("US", "AU"):
            row["min_take_t"] = row["capacity_t"] / 2
    for row in sheets["Stockpiles"]:
        row.update(initial_t=15, min_level_t=5, end_min_t=10)
    sol = solve_plan(load(write_input(tmp_path / "g", sheets))).solution
    low, high = sol.arrays["row_bound_dn"], sol.arrays["row_bound_up"]
    families = set()
    for limit in candidate_limits(sol):
        expected = limit_range(sol, limit)
        got = (-np.inf if low[limit.row] <= -1e20 else low[limit.row], np.inf if high[limit.row] >= 1e20 else high[limit.row])
        for e, g in zip(expected, got):
            assert e == g or e == approx(g, rel=1e-7, abs=1e-7), (limit, expected, got)
        families.add(limit.family)
    assert len(families) >= 3


def test_on_a_very_large_plan_the_largest_shortfalls_are_explained_first(solve_case):
    # EV is short 20 t at 200 (4,000), wind 10 t at 200 (2,000): with room for one, EV is explained
    _, _, sol = solve_case(three_limits())
    causes = shortfall_causes(sol, max_shortfalls=1)
    assert list(causes.loc[causes["sector"] == "wind", "limit_row"]) == [-2]
    assert (causes.loc[causes["sector"] == "EV", "limit_row"] >= 0).all()


def test_a_floor_that_holds_stock_back_is_a_cause_eased_downwards(solve_case):
    """One period. EV needs 20 t of 'mag' (penalty 100); US sells 5 t at 10; stockpile S holds 10 t and must end
    with at least 8 t (end_min_t), so only 2 t may be released: EV is short 20 − 5 − 2 = 13 t.

    Causes, each serving 1 t of the shortfall per unit:
      initial stock of S  +1 t → 1 t more released   value 100, holds for initial_t in [8, 23]
                          (down to 8, where nothing is released; up to 10 + 13, where nothing is short)
      end level of S      −1 t → 1 t more released   value 100, holds for end_min_t in [0, 10]
                          (down to 0, where the level itself reaches 0; up to 10, where nothing is released)
      US capacity         +1 t → 1 t more bought     value 100 − 10 = 90, holds for capacity in [0, 18]
    (the end level is a ≥ limit: easing it lowers it, and the rate is still t served per t eased.)
    """
    _, _, sol = solve_case({
        "Periods": [{"period": "P1"}], "Materials": [{"material": "mag"}], "Sources": BASE["Sources"][1:],
        "Supply": [{"source": "US", "material": "mag", "capacity_t": 5, "price": 10}],
        "Sectors": [{"sector": "EV", "shortfall_penalty": 100}],
        "Demand": [{"sector": "EV", "material": "mag", "demand_t": 20}],
        "Stockpiles": [{"stockpile": "S", "material": "mag", "initial_t": 10, "end_min_t": 8}],
    })
    causes = shortfall_causes(sol)
    assert list(causes["family"]) == ["initial_stock", "stock_end", "supply_capacity"]
    assert list(causes["served_t_per_unit"]) == approx([1, 1, 1])
    assert list(causes["shadow_price"]) == approx([100, 100, 90])
    assert list(causes["holds_from"]) == approx([8, 0, 0])
    assert list(causes["holds_to"]) == approx([23, 10, 18])
    # and by re-solving with the end level one tonne lower: one tonne less short
    lp = sol.compiled.lp
    lower = lp.row_lower.copy()
    row = int(causes.loc[causes["family"] == "stock_end", "limit_row"].iloc[0])
    lower[row] -= 1
    from models.solve import Solver

    solver = Solver(lp.with_numbers(row_lower=lower))
    solver.run()
    assert solver.values()[0][sol.compiled.columns["short"].start] == approx(12)


def test_rates_by_limit_equal_rates_by_shortfall(tmp_path):
    """The two ways to read B⁻¹ (a row per shortfall, a solve per limit) give the same rates."""
    from models.causes import _rates, candidate_limits
    from planner.inputs import load
    from tests.test_shadow_price_property import generated_sheets

    checked = 0
    for seed in range(6):
        sol = solve_plan(load(write_input(tmp_path / f"g{seed}", generated_sheets(seed)))).solution
        short = sol.compiled.columns["short"]
        basic = {int(j): p for p, j in enumerate(sol.live.basic_variables()) if j >= 0}
        positions = [basic.get(short.start + int(k)) for k in np.flatnonzero(sol.arrays["col_value"][short] > 1e-9)]
        limits = candidate_limits(sol)
        rows = np.array([lim.row for lim in limits], dtype=int)
        signs = np.array([lim.sign for lim in limits], dtype=float)
        by_shortfall = _rates(sol.live, positions, rows, signs, by_limit=False)
        by_limit = _rates(sol.live, positions, rows, signs, by_limit=True)
        for (hit_a, rate_a), (hit_b, rate_b) in zip(by_shortfall, by_limit):
            order = np.argsort(hit_b)
            assert list(hit_a) == list(hit_b[order]) and rate_a == approx(rate_b[order])
            checked += len(hit_a)
    assert checked > 0
