"""How the optimal plan moves when limits move, with the optimal basis kept.

Rows are bounded  lower ≤ A x ≤ upper, columns too. Let the bounds move along a direction (per unit of
t). With the basis fixed, a nonbasic row or column keeps its value at the bound it sits at (so moves with
it), and the basic variables absorb the change:

    [A  −I]_B · dz_B = −A_N · dx_N + (moves of the nonbasic row activities)      (z = columns, activities)

HiGHS factorises B over [A  I] (its logical for row i is −activity), so dz_B comes from one basis
solve with the sign of basic rows flipped. Costs do not change, so the basis stays optimal (and the
duals, hence the objective's slope y·d, stay the same) for as long as every basic variable stays
within its bounds: the ratio test of `step_limit`. This is what right-hand-side ranging, shortfall
causes and exact parametric sweeps are built from.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.compiled import LinearProgram
from models.solve import BASIC, Solver

LOWER, UPPER = 0, 2  # HighsBasisStatus kLower, kUpper
TOLERANCE = 1e-9


@dataclass
class Response:
    """Change per unit of t of every column value (dx) and row activity (dr)."""

    dx: np.ndarray
    dr: np.ndarray


def nonbasic_moves(row_status: np.ndarray, d_lower: np.ndarray, d_upper: np.ndarray) -> np.ndarray:
    """How each nonbasic row's (or column's) value moves: with the bound it sits at (0 where basic)."""
    return np.where(row_status == LOWER, d_lower, np.where(row_status == UPPER, d_upper, 0.0))


@dataclass
class Direction:
    """How the bounds move per unit of t (columns may stay put: None)."""

    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray | None = None
    col_upper: np.ndarray | None = None

    def reversed(self) -> "Direction":
        flip = (lambda a: None if a is None else -a)
        return Direction(-self.row_lower, -self.row_upper, flip(self.col_lower), flip(self.col_upper))

    def column_moves(self, col_status: np.ndarray) -> np.ndarray:
        if self.col_lower is None:
            return np.zeros(len(col_status))
        moves = nonbasic_moves(col_status, self.col_lower, self.col_upper)
        return np.where(col_status == BASIC, 0.0, moves)

    def slope(self, row_dual: np.ndarray, col_dual: np.ndarray, status: tuple[np.ndarray, np.ndarray]) -> float:
        """d(objective)/dt with the basis kept: Σ duals × moves of the nonbasic rows and columns."""
        rows = nonbasic_moves(status[1], self.row_lower, self.row_upper)
        return float(row_dual @ rows + col_dual @ self.column_moves(status[0]))


def response(solver: Solver, direction: Direction, status: tuple[np.ndarray, np.ndarray] | None = None) -> Response:
    """dx, dr per unit of t when the bounds move along `direction`, the basis kept.

    [A  I] z = 0 with z = (x, −r): B·dz_B = −(A·dx_N) + (moves of the nonbasic row activities)."""
    col_status, row_status = status or solver.basis()
    moves = nonbasic_moves(row_status, direction.row_lower, direction.row_upper)
    moves = np.where(row_status == BASIC, 0.0, moves)
    dx = direction.column_moves(col_status)
    rhs = moves.copy()
    moving = np.flatnonzero(dx)
    if len(moving):
        lp = solver.lp
        for j in moving:
            span = slice(lp.a_start[j], lp.a_start[j + 1])
            rhs[lp.a_index[span]] -= lp.a_value[span] * dx[j]
    basic = solver.basic_variables()
    y = solver.basis_solve(rhs)
    dr = moves.copy()
    is_col = basic >= 0
    dx = dx.copy()
    dx[basic[is_col]] = y[is_col]
    dr[-1 - basic[~is_col]] = -y[~is_col]
    return Response(dx, dr)


@dataclass
class Step:
    """How far t may grow before the basis must change, and which variable blocks it."""

    length: float  # inf if nothing blocks
    column: int = -1  # the blocking basic column, or
    row: int = -1  # the blocking basic row (−1 where none)


def step_limit(lp: LinearProgram, x: np.ndarray, r: np.ndarray, move: Response, direction: Direction,
               status: tuple[np.ndarray, np.ndarray], tol: float = TOLERANCE) -> Step:
    """Largest t ≥ 0 for which every basic variable stays within its (moving) bounds."""
    col_status, row_status = status
    zero_cols = np.zeros(lp.num_col)
    col_lower = direction.col_lower if direction.col_lower is not None else zero_cols
    col_upper = direction.col_upper if direction.col_upper is not None else zero_cols
    limits = []
    for kind, basic, value, lower, upper, d_value, d_lower, d_upper in (
            ("column", col_status == BASIC, x, lp.col_lower, lp.col_upper, move.dx, col_lower, col_upper),
            ("row", row_status == BASIC, r, lp.row_lower, lp.row_upper, move.dr, direction.row_lower,
             direction.row_upper)):
        where = np.flatnonzero(basic)
        to_lower = d_value[where] - d_lower[where]  # growth of (value − lower)
        to_upper = d_upper[where] - d_value[where]  # growth of (upper − value)
        with np.errstate(invalid="ignore"):
            gap_lower = np.maximum(value[where] - lower[where], 0.0)
            gap_upper = np.maximum(upper[where] - value[where], 0.0)
            low = np.where(to_lower < -tol, gap_lower / np.where(to_lower < -tol, -to_lower, 1), np.inf)
            high = np.where(to_upper < -tol, gap_upper / np.where(to_upper < -tol, -to_upper, 1), np.inf)
        limits.append((kind, where, np.minimum(low, high)))
    best = Step(np.inf)
    for kind, where, lengths in limits:
        lengths = np.where(np.isnan(lengths), np.inf, np.maximum(lengths, 0.0))
        if len(lengths) and lengths.min() < best.length:
            k = int(np.argmin(lengths))
            best = Step(float(lengths[k]), **{kind: int(where[k])})
    return best
