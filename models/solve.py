"""Solve a compiled model with HiGHS; values, shadow prices, basis and licence ranging as tables.

`Solver` keeps one live `highspy.Highs` on a `LinearProgram`: new numbers are pushed as the entries
that changed, and the next run starts from the last basis (a warm re-solve).
"""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd

from models.compiled import CompiledModel, LinearProgram, compile_plan
from models.plan import COST_PARTS, FAMILIES, GE, LE, VARIABLES, PlanModel

OPTIMAL = "optimal"
INFEASIBLE = "infeasible"
ZERO = 1e-9
HIGHS_INF = 1e20  # HiGHS treats bounds at or beyond this as infinite
BASIC = int(highspy.HighsBasisStatus.kBasic)
_VERDICTS = (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kInfeasible,
             highspy.HighsModelStatus.kUnboundedOrInfeasible, highspy.HighsModelStatus.kUnbounded)


def _floats(values: list) -> np.ndarray:
    return np.fromiter(values, dtype=float, count=len(values))


class SolverFailure(RuntimeError):
    """HiGHS stopped without an optimal plan for a reason other than conflicting limits."""


_BANNER_SILENCED = False


def silence_banner() -> None:
    """highspy prints a copyright banner to standard output when the first Highs object is made.

    Make that object once with file descriptor 1 pointed at /dev/null, so standard output keeps
    only what reeplan writes there.
    """
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    _BANNER_SILENCED = True


def solver_version() -> str:
    silence_banner()
    return f"HiGHS {highspy.Highs().version()}"


def _scale_if_needed(h, lp: LinearProgram) -> None:
    """Bounds in the billions (a decomposition's cuts carry whole scenario costs) leave HiGHS without a verdict
    ('unknown'): let it scale bounds and costs by powers of two (its `user_*_scale` options), which it undoes
    in every number it reports. Plans of ordinary size are left exactly as they are."""
    bounds = np.concatenate([lp.row_lower, lp.row_upper, lp.col_lower, lp.col_upper])
    bounds = np.abs(bounds[np.isfinite(bounds)])
    largest = float(bounds.max()) if len(bounds) else 0.0
    if largest <= 1e7:
        return
    h.setOptionValue("user_bound_scale", -math.ceil(math.log2(largest / 1e4)))
    cost = float(np.abs(lp.col_cost).max()) if lp.num_col else 0.0
    if cost > 1e5:
        h.setOptionValue("user_objective_scale", -math.ceil(math.log2(cost / 1e4)))


class Solver:
    """A live HiGHS instance holding one LP; `update` pushes new numbers, `run` re-solves warm."""

    def __init__(self, lp: LinearProgram, *, log: bool = False):
        silence_banner()
        self.highs = h = highspy.Highs()
        h.setOptionValue("output_flag", bool(log))
        if log:  # HiGHS's log goes to standard error: standard output is the planner's summary
            h.setOptionValue("log_to_console", False)
            h.cbLogging.subscribe(lambda event: sys.stderr.write(event.message))
        # One HiGHS thread everywhere: dual simplex is serial anyway, and HiGHS sizes one scheduler per
        # process at first use, so every Solver (main process or study worker) must ask for the same.
        h.setOptionValue("threads", 1)
        self.lp = lp
        _scale_if_needed(h, lp)
        h.passModel(lp.num_col, lp.num_row, len(lp.a_value), int(highspy.MatrixFormat.kColwise),
                    int(highspy.ObjSense.kMinimize), lp.offset, lp.col_cost, lp.col_lower, lp.col_upper,
                    lp.row_lower, lp.row_upper, lp.a_start, lp.a_index, lp.a_value, np.zeros(lp.num_col, dtype=np.int32))
        self.seconds = 0.0

    def update(self, lp: LinearProgram) -> None:
        """Make the live model equal `lp` (same pattern) by changing only the numbers that differ."""
        h, old = self.highs, self.lp
        cost = np.flatnonzero(lp.col_cost != old.col_cost)
        if len(cost):
            h.changeColsCost(len(cost), cost.astype(np.int32), lp.col_cost[cost])
        cols = np.flatnonzero((lp.col_lower != old.col_lower) | (lp.col_upper != old.col_upper))
        if len(cols):
            h.changeColsBounds(len(cols), cols.astype(np.int32), lp.col_lower[cols], lp.col_upper[cols])
        rows = np.flatnonzero((lp.row_lower != old.row_lower) | (lp.row_upper != old.row_upper))
        if len(rows):
            h.changeRowsBounds(len(rows), rows.astype(np.int32), lp.row_lower[rows], lp.row_upper[rows])
        coefs = np.flatnonzero(lp.a_value != old.a_value)
        if len(coefs):
            col_of = np.searchsorted(lp.a_start, coefs, side="right") - 1
            for k, j in zip(coefs, col_of):
                h.changeCoeff(int(lp.a_index[k]), int(j), float(lp.a_value[k]))
        self.lp = lp

    def run(self) -> str:
        """Solve (warm from the current basis). A warm start that ends without a verdict (HiGHS's 'unknown',
        seen rarely after many warm re-solves) is retried once from scratch."""
        started = time.perf_counter()
        self.highs.run()
        status = self.highs.getModelStatus()
        if status not in _VERDICTS:
            h = self.highs
            presolve = h.getOptionValue("presolve")
            presolve = presolve[1] if isinstance(presolve, tuple) else presolve  # (status, value) in highspy 1.16
            h.clearSolver()
            h.setOptionValue("presolve", "choose")
            h.run()
            h.setOptionValue("presolve", presolve)
            status = h.getModelStatus()
        self.seconds = time.perf_counter() - started
        if status == highspy.HighsModelStatus.kOptimal:
            return OPTIMAL
        if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return INFEASIBLE
        raise SolverFailure(f"HiGHS stopped without a plan: {self.highs.modelStatusToString(status)}")

    @property
    def objective(self) -> float:
        return float(self.highs.getInfo().objective_function_value)

    def values(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Column values, row activities, row duals, column duals (reduced costs)."""
        s = self.highs.getSolution()
        return _floats(s.col_value), _floats(s.row_value), _floats(s.row_dual), _floats(s.col_dual)

    def column_values(self) -> np.ndarray:
        """Column values alone (highspy hands over Python lists: each array read costs ~0.1 ms per 7k)."""
        return _floats(self.highs.getSolution().col_value)

    def reduced_costs(self) -> np.ndarray:
        return _floats(self.highs.getSolution().col_dual)

    def basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Basis status of every column and row as small ints (picklable)."""
        b = self.highs.getBasis()
        return (np.fromiter((int(s) for s in b.col_status), dtype=np.int8, count=self.lp.num_col),
                np.fromiter((int(s) for s in b.row_status), dtype=np.int8, count=self.lp.num_row))

    def set_basis(self, col_status: np.ndarray, row_status: np.ndarray) -> None:
        b = highspy.HighsBasis()
        status = highspy.HighsBasisStatus
        b.col_status = [status(int(s)) for s in col_status]
        b.row_status = [status(int(s)) for s in row_status]
        b.valid = True
        self.highs.setBasis(b)

    def basic_variables(self) -> np.ndarray:
        """The basic variable in each basis position: j ≥ 0 a column, −1 − i a row."""
        return np.asarray(self.highs.getBasicVariables()[1])

    def basis_solve(self, rhs: np.ndarray) -> np.ndarray:
        """y with B y = rhs, B the basis matrix of [A  I] (HiGHS's logical for row i is −(row activity))."""
        return np.asarray(self.highs.getBasisSolve(np.asarray(rhs, dtype=float))[1])

    def basis_inverse_row(self, position: int) -> np.ndarray:
        """Row `position` of B⁻¹ (same convention as `basis_solve`)."""
        return np.asarray(self.highs.getBasisInverseRow(int(position))[1])

    def row_bound_ranges(self) -> tuple[np.ndarray, np.ndarray]:
        """HiGHS's row-bound ranging for every row: the values the active bound of a nonbasic row may take
        with the basis kept (±1e20 or beyond where unbounded). One ranging pass per solve."""
        _, ranging = self.highs.getRanging()
        return (np.asarray(ranging.row_bound_dn.value_, dtype=float),
                np.asarray(ranging.row_bound_up.value_, dtype=float))

    def upper_ranges(self, rows: np.ndarray, activity: np.ndarray,
                     ranges: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Interval of a `≤` row's right-hand side over which its dual holds; ±inf where unbounded.

        For a row at its bound (nonbasic) this is HiGHS's row-bound ranging. A basic row (not binding,
        dual 0) keeps dual 0 while the bound stays at or above its activity: [activity, ∞). HiGHS's
        figures for basic rows describe something else, so they are not used.
        """
        if not len(rows):
            return np.zeros(0), np.zeros(0)
        every_low, every_high = ranges or self.row_bound_ranges()
        low, high = every_low[rows], every_high[rows]
        basic = self.basis()[1][rows] == BASIC
        low = np.where(basic, activity, low)
        high = np.where(basic, np.inf, high)
        low[low <= -HIGHS_INF] = -np.inf
        high[high >= HIGHS_INF] = np.inf
        return low, high


class KeptBasisSolver(Solver):
    """A Solver for runs of cases that differ only in the bounds of a few nonbasic columns (a scenario at
    several first-stage plans): where the last basis stays optimal, the plan is read without a HiGHS run.

    Costs and the matrix are unchanged, so the basis stays dual feasible. Moving nonbasic columns by Δ moves
    the basic variables by  dz_B = B⁻¹(−A_moved Δ)  (one basis solve; z = (x, −r) over [A  I]); if every
    basic column and row stays within its bounds the basis is still optimal, and
        x′ = x + Δ (moved) + dx_B,   r′ = r − dz_B (basic rows),   objective′ = objective + c·(x′ − x),
    with the duals as they were. Otherwise HiGHS re-solves warm as usual. (A HiGHS run costs ~1.2 ms on the
    baseline's scenario LP even with no pivot; the basis solve ~0.1 ms.)"""

    def __init__(self, lp: LinearProgram, **kwargs):
        super().__init__(lp, **kwargs)
        self._scaled = self.highs.getOptionValue("user_bound_scale") not in (0, (highspy.HighsStatus.kOk, 0))
        self._kept: dict | None = None  # the last optimal plan: col, row, duals, basic variables, objective, lp
        self._moved_since: LinearProgram | None = None  # set while only column bounds changed since _kept

    def set_highs_basis(self, basis) -> None:
        """Start the next run from `basis` (a highspy.HighsBasis): a real HiGHS run."""
        self._kept = self._moved_since = None
        self.highs.setBasis(basis)

    def set_basis(self, col_status: np.ndarray, row_status: np.ndarray) -> None:
        self._kept = self._moved_since = None
        super().set_basis(col_status, row_status)

    def update(self, lp: LinearProgram) -> None:
        old = self.lp
        only_columns = (np.array_equal(lp.col_cost, old.col_cost) and np.array_equal(lp.row_lower, old.row_lower)
                        and np.array_equal(lp.row_upper, old.row_upper) and np.array_equal(lp.a_value, old.a_value))
        if not only_columns:
            self._kept = None
        elif self._kept is not None and self._moved_since is None:
            for name in ("col_dual", "row_dual"):  # the kept basis's duals, read before HiGHS's plan goes stale
                self._dual(name)
            self._moved_since = self._kept["lp"]
        super().update(lp)

    def run(self) -> str:
        if self._kept is not None and self._moved_since is not None and not self._scaled and self._kept_basis_holds():
            return OPTIMAL
        self._kept = self._moved_since = None
        status = super().run()
        if status == OPTIMAL:
            s = self.highs.getSolution()
            self._kept = {"col": _floats(s.col_value), "row": _floats(s.row_value), "col_dual": None,
                          "row_dual": None, "basic": None, "objective": super().objective, "lp": self.lp}
        return status

    def _kept_basis_holds(self) -> bool:
        started, kept, lp, before = time.perf_counter(), self._kept, self.lp, self._moved_since
        moved = np.flatnonzero((lp.col_lower != before.col_lower) | (lp.col_upper != before.col_upper))
        x, r = kept["col"], kept["row"]
        at_lower, at_upper = x[moved] == before.col_lower[moved], x[moved] == before.col_upper[moved]
        if not np.all(at_lower | at_upper):
            return False  # a moved column that was basic or between its bounds
        fixed_now = lp.col_lower[moved] == lp.col_upper[moved]
        if not np.all(fixed_now | (at_lower != at_upper)):
            return False  # was fixed, now a range: which bound it stays at is HiGHS's choice
        new_x = np.where(at_lower, lp.col_lower[moved], lp.col_upper[moved])
        if not (np.all(np.isfinite(new_x)) and np.all(lp.col_lower[moved] <= lp.col_upper[moved])):
            return False  # a bound gone to infinity or crossed: HiGHS says what that means
        delta = new_x - x[moved]
        rhs = np.zeros(lp.num_row)
        for j, d in zip(moved, delta):
            span = slice(lp.a_start[j], lp.a_start[j + 1])
            rhs[lp.a_index[span]] -= lp.a_value[span] * d
        if kept["basic"] is None:
            kept["basic"] = self.basic_variables()
        basic = kept["basic"]
        dz = self.basis_solve(rhs)
        is_col = basic >= 0
        cols, rows = basic[is_col], -1 - basic[~is_col]
        if np.any(moved[:, None] == cols[None, :]):
            return False
        col, row = x.copy(), r.copy()
        col[moved] = new_x
        col[cols] += dz[is_col]
        row[rows] -= dz[~is_col]
        if not (_within(col[cols], lp.col_lower[cols], lp.col_upper[cols])
                and _within(row[rows], lp.row_lower[rows], lp.row_upper[rows])):
            return False
        changed = np.concatenate([moved, cols])
        objective = kept["objective"] + float(lp.col_cost[changed] @ (col[changed] - x[changed]))
        self._kept = {**kept, "col": col, "row": row, "objective": objective, "lp": lp}
        self._moved_since = None
        self.seconds = time.perf_counter() - started
        return True

    @property
    def objective(self) -> float:
        return self._kept["objective"] if self._kept is not None else super().objective

    def values(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if self._kept is None:
            return super().values()
        return self.column_values(), self._kept["row"], self._dual("row_dual"), self.reduced_costs()

    def column_values(self) -> np.ndarray:
        return self._kept["col"] if self._kept is not None else super().column_values()

    def reduced_costs(self) -> np.ndarray:
        return self._dual("col_dual") if self._kept is not None else super().reduced_costs()

    def _dual(self, name: str) -> np.ndarray:
        """Duals of the kept basis, read from HiGHS once."""
        if self._kept[name] is None:
            self._kept[name] = _floats(getattr(self.highs.getSolution(), name))
        return self._kept[name]


def _within(value: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> bool:
    """Every value inside its bounds up to rounding: 1e-9, or 1e-12 of a bound beyond 1,000 (far inside
    HiGHS's own 1e-7 feasibility tolerance; where in doubt HiGHS re-solves)."""
    with np.errstate(invalid="ignore"):
        low_ok = value >= lower - 1e-9 * np.maximum(1.0, 1e-3 * np.abs(lower))
        high_ok = value <= upper + 1e-9 * np.maximum(1.0, 1e-3 * np.abs(upper))
    return bool(np.all(low_ok | np.isneginf(lower)) and np.all(high_ok | np.isposinf(upper)))


@dataclass
class Solution:
    status: str
    objective: float | None = None
    cost_parts: dict[str, float] = field(default_factory=dict)
    solver: str = ""
    solve_seconds: float = 0.0
    variables: dict[str, pd.DataFrame] = field(default_factory=dict)  # keys..., value
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)  # keys..., rhs, slack, dual, shadow_price
    licence_ranges: pd.DataFrame | None = None  # source, material, period, end_use, range_low_t, range_high_t
    compiled: CompiledModel | None = None
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # col_value, row_value, row_dual, col_dual, ...
    live: Solver | None = None  # the HiGHS instance, still at the optimal basis (for basis solves)

    @property
    def optimal(self) -> bool:
        return self.status == OPTIMAL

    def value(self, name: str) -> pd.Series:
        """Values of variable `name` indexed by its keys."""
        df = self.variables[name]
        return df.set_index([c for c in df.columns if c != "value"])["value"]

    def shadow(self, family: str) -> pd.Series:
        df = self.rows[family]
        return df.set_index(list(FAMILIES[family].keys))["shadow_price"]


def variable_keys(compiled: CompiledModel) -> dict[str, tuple[list[tuple], tuple[str, ...]]]:
    """Each column family's keys and key names (slack_<family> columns carry their row's keys)."""
    st = compiled.structure
    keys = {"buy": st.buy, "run": st.runs, "move": st.moves, "use": st.use, "short": st.demand,
            "level": st.stock_periods, "acq": st.stock_periods, "rel": st.stock_periods, "size": st.sizable}
    out = {name: (keys[name], VARIABLES[name]) for name in VARIABLES}
    for name in compiled.columns:
        if name.startswith("slack_"):
            family = name.removeprefix("slack_")
            out[name] = (compiled.row_keys[family], FAMILIES[family].keys)
    return out


def solve(model: PlanModel | CompiledModel, *, ranging: bool = True, log: bool = False) -> Solution:
    """Solve once; on optimality return every variable, every row's shadow price and licence-cap ranges."""
    compiled = compile_plan(model) if isinstance(model, PlanModel) else model
    solver = Solver(compiled.lp, log=log)
    status = solver.run()
    if status != OPTIMAL:
        return Solution(status, solver=solver_version(), solve_seconds=solver.seconds, compiled=compiled)
    return read_solution(compiled, solver, ranging=ranging)


def read_solution(compiled: CompiledModel, solver: Solver, *, ranging: bool = True) -> Solution:
    """Tables of an optimal solve, read from HiGHS as arrays."""
    lp = compiled.lp
    col_value, row_value, row_dual, col_dual = solver.values()
    col_value = np.where(np.abs(col_value) < ZERO, 0.0, col_value)
    variables, variable_cost = {}, {}
    for name, (keys, names) in variable_keys(compiled).items():
        cols = compiled.columns[name]
        variables[name] = _frame(keys, names, value=col_value[cols])
        variable_cost[name] = float(lp.col_cost[cols] @ col_value[cols])

    tables = {}
    for name, family in FAMILIES.items():
        idx = compiled.rows[name]
        activity = row_value[idx]
        if family.sense == GE:
            rhs, slack = lp.row_lower[idx], activity - lp.row_lower[idx]
        elif family.sense == LE:
            rhs, slack = lp.row_upper[idx], lp.row_upper[idx] - activity
        else:
            rhs, slack = lp.row_lower[idx], np.zeros(len(activity))
        dual = row_dual[idx]
        shadow = family.shadow_sign * dual
        tables[name] = _frame(compiled.row_keys[name], family.keys, rhs=rhs,
                              slack=np.where(np.abs(slack) < ZERO, 0.0, slack), dual=dual,
                              shadow_price=np.where(np.abs(shadow) < ZERO, 0.0, shadow))

    licence_ranges = None
    bound_ranges = {}
    if ranging:
        rows = np.arange(compiled.rows["licence"].start, compiled.rows["licence"].stop)
        bound_ranges = dict(zip(("row_bound_dn", "row_bound_up"), solver.row_bound_ranges()))
        low, high = solver.upper_ranges(rows, row_value[rows], ranges=tuple(bound_ranges.values()))
        licence_ranges = _frame(compiled.row_keys["licence"], FAMILIES["licence"].keys, range_low_t=low,
                                range_high_t=high)
    col_status, row_status = solver.basis()
    parts = {part: variable_cost.get(name, 0.0) for part, name in COST_PARTS.items()}
    return Solution(OPTIMAL, objective=solver.objective, cost_parts=parts, solver=solver_version(),
                    solve_seconds=solver.seconds, variables=variables, rows=tables, licence_ranges=licence_ranges,
                    compiled=compiled, live=solver,
                    arrays={"col_value": col_value, "row_value": row_value, "row_dual": row_dual,
                            "col_dual": col_dual, "col_status": col_status, "row_status": row_status,
                            **bound_ranges})


def _frame(keys, names, **columns) -> pd.DataFrame:
    frame = pd.DataFrame(keys, columns=list(names)) if keys else pd.DataFrame(columns=list(names))
    for column, values in columns.items():
        frame[column] = np.asarray(values, dtype=float)
    return frame

