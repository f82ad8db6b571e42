"""KeptBasisSolver: a case that only moves fixed columns keeps its basis without a HiGHS run where that basis
stays optimal, and gives what a fresh solve gives (a stockpile scenario at several first-stage plans)."""
import random

import numpy as np
import pytest

from models.compiled import LinearProgram, compile_plan
from models.plan import PlanModel
from models.solve import BASIC, OPTIMAL, KeptBasisSolver, Solver
from planner.inputs import load
from tests.conftest import write_input
from tests.test_shadow_price_property import generated_sheets


@pytest.fixture
def kept(monkeypatch):
    """Record, per run, whether the kept basis was used."""
    used = []
    holds = KeptBasisSolver._kept_basis_holds

    def spy(self):
        used.append(holds(self))
        return used[-1]

    monkeypatch.setattr(KeptBasisSolver, "_kept_basis_holds", spy)
    return used


def stock_lp(stock: float) -> LinearProgram:
    """Columns s (the starting stock, fixed), b (buy at 10, at most 100), u (unmet at 50); one row
    s + b + u ≥ 60."""
    one = np.ones(3)
    return LinearProgram(col_cost=np.array([0.0, 10.0, 50.0]), col_lower=np.array([stock, 0.0, 0.0]),
                         col_upper=np.array([stock, 100.0, np.inf]), row_lower=np.array([60.0]),
                         row_upper=np.array([np.inf]), a_start=np.array([0, 1, 2, 3]), a_index=np.zeros(3, int),
                         a_value=one)


def test_moves_of_a_fixed_column_on_paper(kept):
    """s = 20: buy 40, cost 400 (b basic, the row at its bound). s = 30: the same basis holds (b = 30 ≥ 0):
    cost 300 with no HiGHS run; s's reduced cost −10 both times (a tonne of stock saves a bought tonne).
    s = 70: b would be −10, so HiGHS re-solves: buy nothing, cost 0, the row basic (70 > 60), reduced cost 0.
    s = 10: that basis would leave the row at 10 < 60, so HiGHS re-solves: buy 50, cost 500."""
    solver = KeptBasisSolver(stock_lp(20))
    assert solver.run() == OPTIMAL
    assert solver.objective == pytest.approx(400) and solver.column_values()[1] == pytest.approx(40)
    expected = {30: (300, 30, -10, True), 70: (0, 0, 0, False), 10: (500, 50, -10, False)}
    for stock, (objective, bought, reduced_cost, kept_basis) in expected.items():
        solver.update(stock_lp(stock))
        assert solver.run() == OPTIMAL
        assert kept[-1] is kept_basis, stock
        assert solver.objective == pytest.approx(objective), stock
        assert solver.column_values() == pytest.approx([stock, bought, 0]), stock
        assert solver.reduced_costs()[0] == pytest.approx(reduced_cost), stock
        assert solver.values()[1] == pytest.approx([stock + bought]), stock  # the row's activity


def test_a_bound_gone_to_infinity_or_crossed_is_left_to_highs(kept):
    """The kept basis is only for finite, consistent new bounds: otherwise HiGHS gives the verdict."""
    solver = KeptBasisSolver(stock_lp(20))
    solver.run()
    crossed = stock_lp(30)
    crossed = crossed.with_numbers(col_lower=np.array([31.0, 0.0, 0.0]), col_upper=np.array([30.0, 100.0, np.inf]))
    solver.update(crossed)
    assert solver.run() == Solver(crossed).run() and kept == [False]


def test_a_new_basis_or_new_row_bounds_mean_a_real_run(kept):
    solver = KeptBasisSolver(stock_lp(20))
    solver.run()
    basis = solver.highs.getBasis()
    solver.update(stock_lp(25))
    solver.set_highs_basis(basis)
    solver.run()
    lp = stock_lp(30)
    solver.update(lp.with_numbers(row_lower=np.array([70.0])))
    solver.run()
    assert kept == [] and solver.objective == pytest.approx(400)


def test_kept_basis_equals_a_fresh_solve_on_generated_plans(tmp_path, kept):
    """Fix a few columns that are nonbasic at a bound in the optimum, then move them at random (small and
    large moves): the objective equals a fresh solve, and a kept plan satisfies every bound and row."""
    rng = random.Random(3)
    compared = 0
    for seed in range(12):
        data = load(write_input(tmp_path / f"g{seed}", generated_sheets(seed))).data
        lp = compile_plan(PlanModel(data)).lp
        first = Solver(lp)
        if first.run() != OPTIMAL:
            continue
        x, (col_status, _) = first.column_values(), first.basis()
        candidates = [j for j in range(lp.num_col) if col_status[j] != BASIC and np.isfinite(x[j])]
        fixed = np.array(rng.sample(candidates, min(3, len(candidates))))
        lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
        lower[fixed] = upper[fixed] = x[fixed]
        solver = KeptBasisSolver(lp.with_numbers(col_lower=lower, col_upper=upper))
        assert solver.run() == OPTIMAL
        for _ in range(8):
            scale = rng.choice([0.01, 0.5])
            value = x[fixed] + np.array([rng.uniform(-1, 1) for _ in fixed]) * scale * np.maximum(1, np.abs(x[fixed]))
            value = np.clip(value, lp.col_lower[fixed], lp.col_upper[fixed])
            lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
            lower[fixed] = upper[fixed] = value
            moved = lp.with_numbers(col_lower=lower, col_upper=upper)
            solver.update(moved)
            fresh = Solver(moved)
            status = solver.run()
            assert status == fresh.run(), seed
            if status != OPTIMAL:
                continue
            assert solver.objective == pytest.approx(fresh.objective, rel=1e-9, abs=1e-6), seed
            col, row, _, _ = solver.values()
            activity = np.zeros(lp.num_row)
            for j in range(lp.num_col):
                span = slice(lp.a_start[j], lp.a_start[j + 1])
                activity[lp.a_index[span]] += lp.a_value[span] * col[j]
            assert row == pytest.approx(activity, abs=1e-6)
            assert np.all(col >= moved.col_lower - 1e-7) and np.all(col <= moved.col_upper + 1e-7)
            assert np.all(row >= moved.row_lower - 1e-7) and np.all(row <= moved.row_upper + 1e-7)
            compared += 1
    assert compared >= 30 and True in kept and False in kept  # both ways were taken
