"""Solve a PlanModel with HiGHS and return values, shadow prices and licence ranges as tables."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition

from models import highs_adapter as hx
from models.plan import COST_PARTS, FAMILIES, GE, LE, PlanModel

OPTIMAL = "optimal"
INFEASIBLE = "infeasible"
ZERO = 1e-9
VARIABLE_KEYS = {
    "buy": ("source", "material", "period"), "run": ("process", "channel", "period"),
    "move": ("material", "from_channel", "to_channel", "period"), "use": ("sector", "material", "channel", "period"),
    "short": ("sector", "material", "period"), "level": ("stockpile", "material", "period"),
    "acq": ("stockpile", "material", "period"), "rel": ("stockpile", "material", "period"),
    "size": ("stockpile", "material"),
}


class SolverFailure(RuntimeError):
    """HiGHS stopped without an optimal plan for a reason other than conflicting limits."""


@dataclass
class Solution:
    status: str
    objective: float | None = None
    cost_parts: dict[str, float] = field(default_factory=dict)
    solver: str = ""
    solve_seconds: float = 0.0
    variables: dict[str, pd.DataFrame] = field(default_factory=dict)  # keys..., value
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)  # keys..., rhs, slack, dual, shadow_price
    licence_ranges: pd.DataFrame | None = None  # source, material, period, range_low_t, range_high_t

    @property
    def optimal(self) -> bool:
        return self.status == OPTIMAL

    def value(self, name: str) -> pd.Series:
        """Values of variable `name` indexed by its keys."""
        df = self.variables[name]
        return df.set_index(list(VARIABLE_KEYS[name]))["value"]

    def shadow(self, family: str) -> pd.Series:
        df = self.rows[family]
        return df.set_index(list(FAMILIES[family].keys))["shadow_price"]


def solve(plan: PlanModel, *, ranging: bool = True) -> Solution:
    """Solve; on optimality return every variable, every row's shadow price and licence-cap ranges."""
    solver = hx.new_solver()
    started = time.perf_counter()
    result = solver.solve(plan.model)
    seconds = time.perf_counter() - started
    condition = result.termination_condition
    if condition in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        return Solution(INFEASIBLE, solver=hx.solver_version(solver), solve_seconds=seconds)
    if condition != TerminationCondition.convergenceCriteriaSatisfied:
        raise SolverFailure(f"HiGHS stopped without a plan: {condition.name}")

    h = hx.highs(solver)
    sol = h.getSolution()
    col_value = np.asarray(sol.col_value)
    row_value = np.asarray(sol.row_value)
    row_dual = np.asarray(sol.row_dual)
    lp = h.getLp()
    col_cost = np.asarray(lp.col_cost_)
    row_lower = np.asarray(lp.row_lower_)
    row_upper = np.asarray(lp.row_upper_)

    m = plan.model
    variables, variable_cost = {}, {}
    for var in m.component_objects(pyo.Var, descend_into=False):
        name = var.local_name
        keys = list(var.keys())
        cols = hx.col_indices(solver, var.values()) if keys else np.zeros(0, dtype=np.int64)
        values = np.where(np.abs(col_value[cols]) < ZERO, 0.0, col_value[cols])
        names = VARIABLE_KEYS.get(name) or FAMILIES[name.removeprefix("slack_")].keys  # slack_<family> when elastic
        variables[name] = _frame(keys, names, value=values)
        variable_cost[name] = float(col_cost[cols] @ values)

    rows = {}
    for name, family in FAMILIES.items():
        con = m.component(name)
        keys = list(con.keys())
        idx = hx.row_indices(solver, con.values()) if keys else np.zeros(0, dtype=np.int64)
        activity = row_value[idx]
        if family.sense == GE:
            rhs, slack = row_lower[idx], activity - row_lower[idx]
        elif family.sense == LE:
            rhs, slack = row_upper[idx], row_upper[idx] - activity
        else:
            rhs, slack = row_lower[idx], np.zeros(len(idx))
        dual = row_dual[idx]
        shadow = family.shadow_sign * dual
        shadow = np.where(np.abs(shadow) < ZERO, 0.0, shadow)
        rows[name] = _frame(keys, family.keys, rhs=rhs, slack=np.where(np.abs(slack) < ZERO, 0.0, slack),
                            dual=dual, shadow_price=shadow)

    licence_ranges = None
    if ranging:
        con = m.licence
        keys = list(con.keys())
        idx = hx.row_indices(solver, con.values()) if keys else np.zeros(0, dtype=np.int64)
        low, high = hx.upper_rhs_ranges(solver, idx, row_value[idx]) if keys else (np.zeros(0), np.zeros(0))
        licence_ranges = _frame(keys, FAMILIES["licence"].keys, range_low_t=low, range_high_t=high)

    parts = {part: variable_cost[name] for part, name in COST_PARTS.items()}
    return Solution(OPTIMAL, objective=float(h.getInfo().objective_function_value), cost_parts=parts,
                    solver=hx.solver_version(solver), solve_seconds=seconds, variables=variables, rows=rows,
                    licence_ranges=licence_ranges)


def _frame(keys, names, **columns) -> pd.DataFrame:
    frame = pd.DataFrame(keys, columns=list(names)) if keys else pd.DataFrame(columns=list(names))
    for column, values in columns.items():
        frame[column] = np.asarray(values, dtype=float)
    return frame
