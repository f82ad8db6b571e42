"""The two-stage stochastic LP of SPEC §5 over one compiled single-scenario model.

Every scenario s (probability p_s) is the same compiled LP with its own numbers. Columns split into the
first stage x (the starting level of every sizable stock row, and every decision in periods before
branch_period: taken before anyone knows the scenario, so the same in all) and the second stage y_s.
With c·x the first-stage cost and Q_s(x) = min { c_s·y : scenario s's rows hold } the scenario cost,

    F(x) = c·x + Σ_s p_s Q_s(x) + λ · CVaR_α(Q(x)),
    CVaR_α(Q) = min_η  η + 1/(1−α) Σ_s p_s (Q_s − η)⁺            (Rockafellar–Uryasev),

and the recourse problem RP = min_x F(x). Two ways to solve it, with the same answer:
- the extensive form: every scenario's block stacked, sharing the first-stage columns, with η and
  u_s ≥ Q_s − η, u_s ≥ 0 as columns and rows;
- multi-cut L-shaped decomposition: a master over (x, θ_s, η, u_s) with u_s ≥ θ_s − η and cuts
  θ_s ≥ Q_s(x̂) + g_s·(x − x̂), where Q_s(x̂) and its subgradient g_s (the reduced costs of the
  first-stage columns fixed at x̂) come from warm-started scenario solves that can run anywhere
  (`evaluate`). All costs are ≥ 0, so θ_s ≥ 0 bounds the master from the first iteration.
`anticipative=True` gives every scenario its own copy of x (the wait-and-see problem WS).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from models.compiled import LinearProgram
from models.solve import OPTIMAL, Solver

GAP = 1e-9  # relative optimality gap of the decomposition
MAX_ITERATIONS = 1000


class NoPlan(ArithmeticError):
    """A scenario has no plan for the first-stage decisions given (or at all)."""

    def __init__(self, scenarios: list[int]):
        self.scenarios = scenarios
        super().__init__(f"no plan in scenarios {scenarios}")


def cvar(values: np.ndarray, probability: np.ndarray, alpha: float) -> float:
    """CVaR_α of a discrete distribution: the mean of its worst 1 − α of probability mass."""
    if len(values) == 0:
        return 0.0
    order = np.argsort(-values, kind="stable")
    v, p = values[order], probability[order]
    tail = 1.0 - alpha
    taken = np.minimum(p, np.maximum(tail - (np.cumsum(p) - p), 0.0))
    return float(v @ taken / tail)


@dataclass
class TwoStage:
    """Scenario LPs sharing one pattern, their probabilities, and which columns are first-stage."""

    scenarios: list[LinearProgram]
    probability: np.ndarray
    first: np.ndarray  # first-stage columns (indices into the single-scenario LP)
    risk_weight: float = 0.0
    alpha: float = 0.95
    first_rows: np.ndarray = field(init=False)  # rows touching first-stage columns only
    second: np.ndarray = field(init=False)

    def __post_init__(self):
        lp = self.scenarios[0]
        is_first = np.zeros(lp.num_col, dtype=bool)
        is_first[self.first] = True
        self.second = np.flatnonzero(~is_first)
        column_of_entry = np.repeat(np.arange(lp.num_col), np.diff(lp.a_start))
        touches_second = np.zeros(lp.num_row, dtype=bool)
        touches_second[lp.a_index[~is_first[column_of_entry]]] = True
        self.first_rows = np.flatnonzero(~touches_second)

    @property
    def base(self) -> LinearProgram:
        return self.scenarios[0]

    def differing_first_stage(self) -> list[tuple[int, str, int]]:
        """(scenario, "row"|"column", index) where a scenario's first-stage data differ from the first's."""
        base, out = self.base, []
        rows = self.first_rows
        entries_in_first_rows = np.isin(base.a_index, rows)
        for s, lp in enumerate(self.scenarios[1:], start=1):
            for name in ("col_cost", "col_lower", "col_upper"):
                bad = self.first[getattr(lp, name)[self.first] != getattr(base, name)[self.first]]
                out += [(s, "column", int(j)) for j in bad]
            for name in ("row_lower", "row_upper"):
                bad = rows[getattr(lp, name)[rows] != getattr(base, name)[rows]]
                out += [(s, "row", int(i)) for i in bad]
            changed = entries_in_first_rows & (lp.a_value != base.a_value)
            out += [(s, "row", int(i)) for i in np.unique(base.a_index[changed])]
        return sorted(set(out))

    def objective(self, first_cost: float, q: np.ndarray) -> float:
        """F = c·x + Σ p_s Q_s + λ CVaR_α(Q)."""
        value = first_cost + float(self.probability @ q)
        if self.risk_weight:
            value += self.risk_weight * cvar(q, self.probability, self.alpha)
        return value

    def first_cost(self, x: np.ndarray) -> float:
        return float(self.base.col_cost[self.first] @ x)

    def mean_value(self) -> LinearProgram:
        """The LP whose every number is the probability-weighted mean of the scenarios' (inf stays inf)."""
        arrays = {}
        for name in ("col_cost", "col_lower", "col_upper", "row_lower", "row_upper", "a_value"):
            stack = np.vstack([getattr(lp, name) for lp in self.scenarios])
            with np.errstate(invalid="ignore"):
                mean = self.probability @ np.where(np.isfinite(stack), stack, 0.0)
            infinite = ~np.isfinite(stack)
            mean = np.where(infinite.any(axis=0), stack[np.argmax(infinite, axis=0), np.arange(stack.shape[1])], mean)
            arrays[name] = mean
        return self.base.with_numbers(**arrays)


@dataclass
class StageSolution:
    objective: float  # F at x (RP, or WS when anticipative)
    x: np.ndarray  # first-stage values (one row per scenario when anticipative)
    q: np.ndarray  # Q_s at x
    method: str
    iterations: int = 0
    cuts: list = field(default_factory=list)  # (scenario, q, gradient, x̂) cuts, reusable for a fixed-level solve


# ---------------------------------------------------------------- extensive form

class ExtensiveForm:
    """All scenario blocks in one LP. Columns: [x] [y_1] … [y_N] [η u_1 … u_N]; anticipative: [x_1 y_1] …"""

    def __init__(self, problem: TwoStage, anticipative: bool = False):
        self.problem, self.anticipative = problem, anticipative
        P, base = problem, problem.base
        n, N = base.num_col, len(P.scenarios)
        risk = P.risk_weight > 0
        shared = P.first if not anticipative else np.zeros(0, dtype=np.int64)
        own = P.second if not anticipative else np.arange(n)
        n_shared, n_own = len(shared), len(own)
        col_pos = np.full(n, -1)
        col_pos[own] = np.arange(n_own)
        shared_pos = np.full(n, -1)
        shared_pos[shared] = np.arange(n_shared)
        own_rows = np.setdiff1d(np.arange(base.num_row), P.first_rows) if not anticipative else np.arange(base.num_row)
        shared_rows = P.first_rows if not anticipative else np.zeros(0, dtype=np.int64)
        row_pos = np.full(base.num_row, -1)
        row_pos[own_rows] = np.arange(len(own_rows))
        shared_row_pos = np.full(base.num_row, -1)
        shared_row_pos[shared_rows] = np.arange(len(shared_rows))
        n_rows_own = len(own_rows)
        col0 = n_shared  # first scenario block
        row0 = len(shared_rows)
        eta = col0 + N * n_own
        u0 = eta + 1
        n_cols = u0 + N if risk else eta
        cvar_row0 = row0 + N * n_rows_own
        n_rows = cvar_row0 + (N if risk else 0)

        entry_col = np.repeat(np.arange(n), np.diff(base.a_start))
        entry_row = base.a_index
        rows, cols, vals = [], [], []
        in_shared_rows = shared_row_pos[entry_row] >= 0
        rows.append(shared_row_pos[entry_row[in_shared_rows]])
        cols.append(shared_pos[entry_col[in_shared_rows]])
        vals.append(base.a_value[in_shared_rows])
        block = ~in_shared_rows
        b_row, b_col = entry_row[block], entry_col[block]
        to_shared = shared_pos[b_col] >= 0
        cost_own = []
        col_cost = np.zeros(n_cols)
        col_lower = np.zeros(n_cols)
        col_upper = np.full(n_cols, np.inf)
        row_lower = np.zeros(n_rows)
        row_upper = np.full(n_rows, np.inf)
        col_cost[:n_shared] = base.col_cost[shared]
        col_lower[:n_shared], col_upper[:n_shared] = base.col_lower[shared], base.col_upper[shared]
        row_lower[:row0], row_upper[:row0] = base.row_lower[shared_rows], base.row_upper[shared_rows]
        for s, (lp, p) in enumerate(zip(P.scenarios, P.probability)):
            roff, coff = row0 + s * n_rows_own, col0 + s * n_own
            values = lp.a_value[block]
            rows.append(roff + row_pos[b_row])
            cols.append(np.where(to_shared, shared_pos[b_col], coff + col_pos[b_col]))
            vals.append(values)
            col_cost[coff:coff + n_own] = p * lp.col_cost[own]
            col_lower[coff:coff + n_own], col_upper[coff:coff + n_own] = lp.col_lower[own], lp.col_upper[own]
            row_lower[roff:roff + n_rows_own] = lp.row_lower[own_rows]
            row_upper[roff:roff + n_rows_own] = lp.row_upper[own_rows]
            second_cost = lp.col_cost[own] if not anticipative else np.where(np.isin(own, P.first), 0.0, lp.col_cost[own])
            cost_own.append(second_cost)
            if risk:  # u_s + η − Q_s ≥ 0
                nz = np.flatnonzero(second_cost)
                rows.append(np.full(len(nz) + 2, cvar_row0 + s))
                cols.append(np.concatenate([coff + nz, [eta, u0 + s]]))
                vals.append(np.concatenate([-second_cost[nz], [1.0, 1.0]]))
                col_cost[u0 + s] = P.risk_weight * p / (1 - P.alpha)
        if risk:
            col_cost[eta] = P.risk_weight
            col_lower[eta] = -np.inf
        rows, cols, vals = (np.concatenate(a) for a in (rows, cols, vals))
        order = np.lexsort((rows, cols))
        self.lp = LinearProgram(col_cost, col_lower, col_upper, row_lower, row_upper,
                                np.searchsorted(cols[order], np.arange(n_cols + 1)).astype(np.int32),
                                rows[order].astype(np.int32), vals[order].astype(float))
        self.n_shared, self.n_own, self.col0 = n_shared, n_own, col0
        self.solver: Solver | None = None  # kept between solves: fixed-level solves start warm
        self.own, self.cost_own = own, cost_own
        self.first_in_block = np.flatnonzero(np.isin(own, P.first)) if anticipative else None

    def first_columns(self) -> np.ndarray:
        """EF columns of the first-stage decisions (N × n_first when anticipative)."""
        if not self.anticipative:
            return np.arange(self.n_shared)
        return np.array([self.col0 + s * self.n_own + self.first_in_block for s in range(len(self.problem.scenarios))])

    def read(self, col_value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(x, Q per scenario) from an EF solution."""
        q = np.array([col_value[self.col0 + s * self.n_own: self.col0 + (s + 1) * self.n_own] @ c
                      for s, c in enumerate(self.cost_own)])
        return col_value[self.first_columns()], q

    def fixed_lp(self, fixed: tuple[np.ndarray, np.ndarray] | None) -> LinearProgram:
        """The extensive form with some first-stage columns (indices into `problem.first`) fixed at values."""
        if fixed is None:
            return self.lp
        lower, upper = self.lp.col_lower.copy(), self.lp.col_upper.copy()
        where = self.first_columns()[..., fixed[0]].ravel()
        lower[where] = upper[where] = np.broadcast_to(fixed[1], self.first_columns()[..., fixed[0]].shape).ravel()
        return self.lp.with_numbers(col_lower=lower, col_upper=upper)

    def solve(self, fixed: tuple[np.ndarray, np.ndarray] | None = None) -> StageSolution:
        """Solve, warm from the previous solve, optionally with some first-stage columns fixed."""
        lp = self.fixed_lp(fixed)
        if self.solver is None:
            self.solver = Solver(lp)
        else:
            self.solver.update(lp)
        solver = self.solver
        if solver.run() != OPTIMAL:
            raise NoPlan(list(range(len(self.problem.scenarios))))
        col_value = solver.column_values()
        x, q = self.read(col_value)
        first_cost = (float(np.sum(self.problem.probability @ (x @ self.problem.base.col_cost[self.problem.first])))
                      if self.anticipative else self.problem.first_cost(x))
        return StageSolution(self.problem.objective(first_cost, q), x, q, "extensive form")


# ---------------------------------------------------------------- decomposition

Evaluate = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]  # x (N × n_first) -> (Q_s, g_s)


class Decomposition:
    """Multi-cut L-shaped method; `evaluate(x)` returns every scenario's Q_s and subgradient at its x row."""

    def __init__(self, problem: TwoStage, evaluate: Evaluate, anticipative: bool = False):
        self.problem, self.evaluate, self.anticipative = problem, evaluate, anticipative
        P, base = problem, problem.base
        N, k = len(P.scenarios), len(P.first)
        self.k, self.N = k, N
        copies = N if anticipative else 1
        self.n_x = copies * k
        risk = P.risk_weight > 0
        self.theta0 = self.n_x
        self.eta = self.theta0 + N
        self.u0 = self.eta + 1
        n_cols = self.u0 + N if risk else self.eta
        # first-stage rows, restricted to the first-stage columns, once or per copy
        pos = np.full(base.num_col, -1)
        pos[P.first] = np.arange(k)
        entry_col = np.repeat(np.arange(base.num_col), np.diff(base.a_start))
        in_rows = np.isin(base.a_index, P.first_rows)
        row_of = {r: i for i, r in enumerate(P.first_rows)}
        r_idx = np.array([row_of[r] for r in base.a_index[in_rows]], dtype=np.int64)
        c_idx, v = pos[entry_col[in_rows]], base.a_value[in_rows]
        rows, cols, vals = [], [], []
        n_first_rows = len(P.first_rows)
        for c in range(copies):
            rows.append(c * n_first_rows + r_idx)
            cols.append(c * k + c_idx)
            vals.append(v)
        n_rows = copies * n_first_rows
        row_lower = np.tile(base.row_lower[P.first_rows], copies)
        row_upper = np.tile(base.row_upper[P.first_rows], copies)
        col_cost = np.zeros(n_cols)
        c_first = base.col_cost[P.first]
        col_cost[:self.n_x] = np.concatenate([p * c_first for p in P.probability]) if anticipative else c_first
        col_cost[self.theta0:self.theta0 + N] = P.probability
        col_lower = np.zeros(n_cols)
        col_upper = np.full(n_cols, np.inf)
        col_lower[:self.n_x] = np.tile(base.col_lower[P.first], copies)
        col_upper[:self.n_x] = np.tile(base.col_upper[P.first], copies)
        if risk:  # u_s − θ_s + η ≥ 0
            col_cost[self.eta] = P.risk_weight
            col_lower[self.eta] = -np.inf
            col_cost[self.u0:] = P.risk_weight * P.probability / (1 - P.alpha)
            for s in range(N):
                rows.append(np.full(3, n_rows + s))
                cols.append(np.array([self.u0 + s, self.theta0 + s, self.eta]))
                vals.append(np.array([1.0, -1.0, 1.0]))
            row_lower = np.concatenate([row_lower, np.zeros(N)])
            row_upper = np.concatenate([row_upper, np.full(N, np.inf)])
            n_rows += N
        rows, cols, vals = (np.concatenate(a) if a else np.zeros(0) for a in (rows, cols, vals))
        order = np.lexsort((rows, cols))
        self.master_lp = LinearProgram(col_cost, col_lower, col_upper, row_lower, row_upper,
                                       np.searchsorted(cols[order], np.arange(n_cols + 1)).astype(np.int32),
                                       rows[order].astype(np.int32), vals[order].astype(float))

    def master_with(self, cuts: list, fixed: tuple[np.ndarray, np.ndarray] | None = None) -> LinearProgram:
        """The master LP with `cuts` as rows (θ_s − g·x ≥ q − g·x̂) and some first-stage columns fixed."""
        lp = self.master_lp
        cols = np.repeat(np.arange(lp.num_col), np.diff(lp.a_start))
        rows, vals = lp.a_index.astype(np.int64), lp.a_value
        lower = np.zeros(0)
        if cuts:
            scenario = np.array([c[0] for c in cuts])
            q = np.array([c[1] for c in cuts])
            g, x_hat = np.vstack([c[2] for c in cuts]), np.vstack([c[3] for c in cuts])
            lower = q - np.einsum("ij,ij->i", g, x_hat)
            x_cols = np.arange(self.k) + (scenario[:, None] * self.k if self.anticipative else 0)
            cut_cols = np.column_stack([self.theta0 + scenario, np.broadcast_to(x_cols, g.shape)])
            cut_vals = np.column_stack([np.ones(len(cuts)), -g])
            cut_rows = np.broadcast_to((lp.num_row + np.arange(len(cuts)))[:, None], cut_cols.shape)
            rows = np.concatenate([rows, cut_rows.ravel()])
            cols = np.concatenate([cols, cut_cols.ravel()])
            vals = np.concatenate([vals, cut_vals.ravel()])
        order = np.lexsort((rows, cols))
        col_lower, col_upper = lp.col_lower.copy(), lp.col_upper.copy()
        for c in range(self.N if self.anticipative else 1) if fixed is not None else ():
            where = self._x_of(c)[fixed[0]]
            col_lower[where] = col_upper[where] = fixed[1]
        return LinearProgram(lp.col_cost, col_lower, col_upper, np.concatenate([lp.row_lower, lower]),
                             np.concatenate([lp.row_upper, np.full(len(cuts), np.inf)]),
                             np.searchsorted(cols[order], np.arange(lp.num_col + 1)).astype(np.int32),
                             rows[order].astype(np.int32), vals[order].astype(float))

    def cuts_tight_at(self, cuts: list, x: np.ndarray, rtol: float = 1e-6) -> list:
        """The cuts that make the cut model at first-stage plan x: scenario by scenario, those within rtol of
        the highest cut there. The model of these alone equals the full one at x and has the same one-sided
        derivatives there (a cut below the highest at x stays below it for a while)."""
        if not cuts:
            return []
        scenario = np.array([s for s, _, _, _ in cuts])
        value = np.array([q + float(g @ (x - x_hat)) for _, q, g, x_hat in cuts])
        highest = np.full(self.N, -np.inf)
        np.maximum.at(highest, scenario, value)
        keep = value >= highest[scenario] - rtol * np.maximum(1.0, np.abs(highest[scenario]))
        return [cut for cut, k in zip(cuts, keep) if k]

    def _x_of(self, s: int) -> np.ndarray:
        """Master columns holding scenario s's first-stage decisions."""
        return np.arange(self.k) + (s * self.k if self.anticipative else 0)

    def solve(self, fixed: tuple[np.ndarray, np.ndarray] | None = None, cuts: list | None = None,
              objective_cap: float | None = None, minimise: np.ndarray | None = None) -> StageSolution:
        """RP (or WS when anticipative). `fixed`: first-stage positions and values held fixed; `cuts`:
        cuts from an earlier run (valid for any x); `objective_cap` with `minimise`: among plans with
        F ≤ cap, minimise Σ x[minimise] (the smallest optimal levels)."""
        P = self.problem
        master = Solver(self.master_lp)
        h = master.highs
        if fixed is not None:
            for s in range(self.N if self.anticipative else 1):
                where = self._x_of(s)[fixed[0]]
                h.changeColsBounds(len(where), where.astype(np.int32), np.asarray(fixed[1], float),
                                   np.asarray(fixed[1], float))
        if minimise is not None:
            objective_row = np.flatnonzero(self.master_lp.col_cost)
            h.addRow(-np.inf, objective_cap, len(objective_row), objective_row.astype(np.int32),
                     self.master_lp.col_cost[objective_row])
            cost = np.zeros(self.master_lp.num_col)
            for s in range(self.N if self.anticipative else 1):
                cost[self._x_of(s)[minimise]] = 1.0
            h.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
        all_cuts = list(cuts or [])
        for cut in all_cuts:
            self.add_cut(h, *cut)
        best = None
        for iteration in range(1, MAX_ITERATIONS + 1):
            if master.run() != OPTIMAL:
                raise NoPlan([])
            values = master.column_values()
            lower = master.objective
            xs = np.array([values[self._x_of(s)] for s in range(self.N)])
            q, g = self.evaluate(xs)
            if not np.all(np.isfinite(q)):
                raise NoPlan([int(s) for s in np.flatnonzero(~np.isfinite(q))])
            first_cost = (float(P.probability @ (xs @ P.base.col_cost[P.first])) if self.anticipative
                          else P.first_cost(xs[0]))
            value = P.objective(first_cost, q)
            if minimise is None and (best is None or value < best.objective):
                best = StageSolution(value, xs if self.anticipative else xs[0], q, "decomposition", iteration)
            if minimise is not None:  # the latest plan within the cap (exact once no cut is violated)
                best = StageSolution(value, xs if self.anticipative else xs[0], q, "decomposition", iteration)
                if value <= objective_cap:
                    break
            theta = values[self.theta0:self.theta0 + self.N]
            added = 0
            for s in range(self.N):
                if theta[s] < q[s] - GAP * max(1.0, abs(q[s])):
                    cut = (s, float(q[s]), g[s].copy(), xs[s].copy())
                    all_cuts.append(cut)
                    self.add_cut(h, *cut)
                    added += 1
            if minimise is None and (best.objective - lower <= GAP * max(1.0, abs(best.objective)) or not added):
                break
            if minimise is not None and not added:
                break
        best.cuts = all_cuts
        best.iterations = iteration
        return best

    def add_cut(self, h, s: int, q: float, g: np.ndarray, x_hat: np.ndarray) -> None:
        """θ_s − g·x ≥ q − g·x̂."""
        cols = np.concatenate([[self.theta0 + s], self._x_of(s)]).astype(np.int32)
        h.addRow(q - float(g @ x_hat), np.inf, len(cols), cols, np.concatenate([[1.0], -g]))


def subproblem_lp(problem: TwoStage) -> LinearProgram:
    """The single-scenario LP with first-stage costs removed: its optimum at fixed x is Q_s(x)."""
    cost = problem.base.col_cost.copy()
    cost[problem.first] = 0.0
    return problem.base.with_numbers(col_cost=cost)

