"""The private Pyomo/HiGHS attributes reeplan relies on (models/highs_adapter.py) still mean what we think.

min 2x + 5y  s.t.  x ≤ cap (5),  x + y ≥ 8:  x = 5, y = 3, objective 25.
The cap row's dual is −3 (raising the cap by one saves 5 − 2 = 3), it holds for cap in [0, 8].
"""
import numpy as np
import pyomo.environ as pyo
import pytest

from models import highs_adapter as hx


def test_rows_duals_and_ranging_through_the_adapter():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeReals)
    m.y = pyo.Var(within=pyo.NonNegativeReals)
    m.cap = pyo.Constraint(expr=m.x <= 5)
    m.need = pyo.Constraint(expr=m.x + m.y >= 8)
    m.obj = pyo.Objective(expr=2 * m.x + 5 * m.y)
    solver = hx.new_solver()
    result = solver.solve(m)
    assert result.incumbent_objective == pytest.approx(25)
    rows = hx.row_indices(solver, [m.cap, m.need])
    solution = hx.highs(solver).getSolution()
    assert np.asarray(solution.row_dual)[rows] == pytest.approx([-3, 5])
    assert np.asarray(solution.col_value)[hx.col_indices(solver, [m.x, m.y])] == pytest.approx([5, 3])
    low, high = hx.upper_rhs_ranges(solver, rows[:1], np.asarray(solution.row_value)[rows[:1]])
    assert (low[0], high[0]) == pytest.approx((0, 8))
    assert hx.solver_version(solver).startswith("HiGHS ")
