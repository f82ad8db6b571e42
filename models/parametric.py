"""Exact parametric analysis of the optimal cost along a direction of right-hand-side change.

The bounds move with the value v as  lower(v) = lower₀ + (v − v₀)·d_lower,  upper(v) likewise. The
optimal cost f(v) of a minimisation is then convex and piecewise linear in v. Starting from an optimal
basis at v₀, the basis stays optimal while the ratio test allows (`models.sensitivity.step_limit`); on
that segment the plan moves linearly and

    f′(v) = Σ_i y_i · m_i + Σ_j d_j · n_j
            (y: row duals, m: how nonbasic row activities move; d: reduced costs, n: how nonbasic columns move)

At the segment's end the basis must change: the trace re-solves warm just past it, checks that the new
basis is valid back to the breakpoint (else it steps closer), and continues. Every step moves v
strictly forward, so degenerate pivots cannot loop. Segments with equal slopes (relative 1e-6) are
merged; the remaining boundaries are the breakpoints, each with the basis change HiGHS made there (at
a degenerate vertex one of several). Where no plan exists the trace keeps to the part of the interval
that has one, found exactly by an LP that treats v as a variable.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import highspy
import numpy as np

from models.compiled import LinearProgram
from models.sensitivity import Direction, response, step_limit
from models.solve import BASIC, OPTIMAL, Solver

SLOPE_TOLERANCE = 1e-6
MAX_STEPS = 100_000
Basis = tuple[np.ndarray, np.ndarray]


@dataclass
class Segment:
    """One basis: optimal for v in [start, end], where f(v) = objective + slope·(v − start)."""

    start: float
    end: float
    objective: float
    slope: float
    basis: Basis


@dataclass
class Breakpoint:
    value: float
    objective: float
    slope_left: float
    slope_right: float
    became_nonbasic: list[tuple[str, int]] = field(default_factory=list)  # ("row"|"column", index)
    became_basic: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Curve:
    first: float
    last: float
    segments: list[Segment]  # in increasing v
    feasible: tuple[float, float] | None  # the part of [first, last] with a plan (None: nowhere)

    def objective(self, value: float) -> float:
        """f(value) from the segments (inf outside the part with a plan)."""
        for s in self.segments:
            if s.start - 1e-12 * max(1.0, abs(s.start)) <= value <= s.end + 1e-12 * max(1.0, abs(s.end)):
                return s.objective + s.slope * (value - s.start)
        return math.inf

    def runs(self) -> list[list[Segment]]:
        """The segments of positive length, consecutive ones with the same slope (relative SLOPE_TOLERANCE)
        together. (The trace records a zero-length segment where a step could not move: not a piece.)"""
        scale = max(1.0, abs(self.first), abs(self.last))
        runs: list[list[Segment]] = []
        for s in self.segments:
            if s.end - s.start <= 1e-12 * scale:
                continue
            if runs and _same_slope(runs[-1][-1].slope, s.slope):
                runs[-1].append(s)
            else:
                runs.append([s])
        return runs

    def breakpoints(self) -> list[Breakpoint]:
        """Where the slope changes; with the basis change between the last basis before and the first after."""
        runs = self.runs()
        # Breakpoints closer than SLOPE_TOLERANCE of the interval are one: a run that short between two others
        # (e.g. the sliver the trace steps through at a degenerate vertex) is dropped and its neighbours meet
        # where the first ends. A short first or last run is a breakpoint near an end of the interval: kept.
        sliver = SLOPE_TOLERANCE * (self.last - self.first)
        kept: list[list[Segment]] = []
        for k, run in enumerate(runs):
            if 0 < k < len(runs) - 1 and run[-1].end - run[0].start < sliver:
                continue
            if kept and _same_slope(kept[-1][-1].slope, run[0].slope):
                kept[-1] += run
            else:
                kept.append(run)
        out = []
        for before, after in zip(kept, kept[1:]):
            left, right = before[-1].basis, after[0].basis
            gone, came = [], []
            for kind, a, b in (("column", left[0], right[0]), ("row", left[1], right[1])):
                gone += [(kind, int(i)) for i in np.flatnonzero((a == BASIC) & (b != BASIC))]
                came += [(kind, int(i)) for i in np.flatnonzero((a != BASIC) & (b == BASIC))]
            last = before[-1]
            out.append(Breakpoint(last.end, last.objective + last.slope * (last.end - last.start), last.slope,
                                  after[0].slope, gone, came))
        return out


def _same_slope(a: float, b: float) -> bool:
    return abs(a - b) <= SLOPE_TOLERANCE * max(1.0, abs(a), abs(b))


def trace(lp: LinearProgram, direction: Direction, first: float, last: float, pieces: int | None = None,
          basis: Basis | None = None) -> Curve:
    """The exact optimal-cost curve for v from `first` towards `last` (`lp` holds the bounds at `first`);
    with `pieces`, stop after that many segments of positive length (e.g. 1 for a one-sided derivative);
    `basis`: a basis to start from (e.g. the optimal one at `first`)."""
    if last < first:  # travel in −v: the same trace with the direction reversed, read back in v
        down = trace(lp, direction.reversed(), -first, -last, pieces, basis)
        segments = [Segment(-s.end, -s.start, s.objective + s.slope * (s.end - s.start), -s.slope, s.basis)
                    for s in reversed(down.segments)]
        feasible = None if down.feasible is None else (-down.feasible[1], -down.feasible[0])
        return Curve(last, first, segments, feasible)
    length = last - first
    scale = max(1.0, abs(first), abs(last))
    if length <= 1e-12 * scale:
        return Curve(first, last, [], None)
    solver = Solver(lp)
    solver.highs.setOptionValue("presolve", "off")
    if basis is not None:
        solver.set_basis(*basis)
    back_direction = direction.reversed()

    def solve_at(offset: float) -> bool:
        solver.update(_moved(lp, direction, offset))
        return solver.run() == OPTIMAL

    def state() -> tuple[float, Basis, np.ndarray, np.ndarray]:
        status = solver.basis()
        x, r, y, d = solver.values()
        return direction.slope(y, d, status), status, x, r

    t, t_end, feasible = 0.0, length, None
    if not solve_at(t):  # the plan starts later in the interval (or nowhere)
        feasible = _feasible_interval(lp, direction, length)
        if feasible is None or not solve_at(feasible[0]):
            return Curve(first, last, [], None)
        t, t_end = feasible
    objective, start, here = solver.objective, t, t  # f at the segment's start; where the solution was taken
    t0 = t
    segments: list[Segment] = []
    for _ in range(MAX_STEPS):
        slope, status, x, r = state()
        step = step_limit(solver.lp, x, r, response(solver, direction, status), direction, status)
        end = min(here + step.length, t_end)
        segments.append(Segment(first + start, first + end, objective, slope, status))
        if end >= t_end - 1e-12 * scale:
            break
        if pieces is not None and sum(p.end - p.start > 1e-12 * scale for p in segments) >= pieces:
            break
        first_gap = gap = min(1e-7 * max(length, 1e-9 * scale), (t_end - end) / 2)
        while True:  # just past the breakpoint, with a basis that holds back to it
            planned = solve_at(end + gap)
            if not planned:
                break
            slope, status, x, r = state()
            back = step_limit(solver.lp, x, r, response(solver, back_direction, status), back_direction, status)
            if back.length >= gap * (1 - 1e-6):
                break
            if gap <= 1e-15 * scale:
                # No gap gives a basis valid back to the breakpoint: a basic variable sits on its bound within
                # rounding. Creeping on by 1e-15 would take thousands of solves; step the first gap instead
                # (f is convex, so the chord over it is off by at most the slope change × first_gap).
                gap = first_gap
                planned = solve_at(end + gap)
                if planned:
                    slope, status, x, r = state()
                break
            gap /= 16
        if not planned:  # no plan just past here: find exactly where plans end
            feasible = feasible or _feasible_interval(lp, direction, length)
            t_end = min(t_end, feasible[1]) if feasible else end
            if end >= t_end - 1e-9 * scale:
                break
            raise ArithmeticError(f"no plan at {first + end + gap} inside the part with a plan")
        objective, start, here = solver.objective - slope * gap, end, end + gap
    return Curve(first, last, segments, (first + t0, first + t_end))


def _moved(lp: LinearProgram, direction: Direction, t: float) -> LinearProgram:
    arrays = {"row_lower": lp.row_lower + t * direction.row_lower, "row_upper": lp.row_upper + t * direction.row_upper}
    if direction.col_lower is not None:
        arrays.update(col_lower=lp.col_lower + t * direction.col_lower, col_upper=lp.col_upper + t * direction.col_upper)
    return lp.with_numbers(**arrays)


def _feasible_interval(lp: LinearProgram, direction: Direction, length: float) -> tuple[float, float] | None:
    """[t_min, t_max] ⊆ [0, length] where the LP has a plan: the least and most t with t as a column.

    A row whose bound moves, a·x ≤ u + t·du (or ≥ l + t·dl), becomes a·x − t·d ≤ u (≥ l); a column whose
    bounds move, l + t·d ≤ x ≤ u + t·d, becomes a row x − t·d ∈ [l, u] with x itself free."""
    d_lower, d_upper = direction.row_lower, direction.row_upper
    moving = np.flatnonzero((d_lower != 0) | (d_upper != 0))
    col_lower, col_upper = lp.col_lower.copy(), lp.col_upper.copy()
    moving_cols = np.zeros(0, dtype=np.int64)
    if direction.col_lower is not None:
        moving_cols = np.flatnonzero((direction.col_lower != 0) | (direction.col_upper != 0))
        col_lower[moving_cols], col_upper[moving_cols] = -np.inf, np.inf
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.passModel(lp.num_col, lp.num_row, len(lp.a_value), 1, 1, 0.0, np.zeros(lp.num_col), col_lower, col_upper,
                lp.row_lower, lp.row_upper, lp.a_start, lp.a_index, lp.a_value, np.zeros(lp.num_col, dtype=np.int32))
    finite_upper = np.isfinite(lp.row_upper[moving])
    coefficient = -np.where(finite_upper, d_upper[moving], d_lower[moving])
    h.addCol(0.0, 0.0, float(length), len(moving), moving.astype(np.int32), coefficient.astype(float))
    t_column = lp.num_col
    for j in moving_cols:
        d = direction.col_upper[j] if np.isfinite(lp.col_upper[j]) else direction.col_lower[j]
        h.addRow(lp.col_lower[j], lp.col_upper[j], 2, np.array([j, t_column], dtype=np.int32), np.array([1.0, -d]))
    ends = []
    for sense in (1.0, -1.0):
        h.changeColCost(t_column, sense)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        ends.append(float(np.asarray(h.getSolution().col_value)[-1]))
    return ends[0], ends[1]
