"""How the optimal plan moves when limits move, with the optimal basis kept.

Rows are bounded  lower ≤ A x ≤ upper. Let the row bounds move along a direction, t·(d_lower, d_upper).
With the basis fixed, a nonbasic row keeps its activity at the bound it sits at (so moves with it),
nonbasic columns stay where they are, and the basic variables absorb the change:

    [A  −I]_B · dz_B = (moves of the nonbasic row activities)          (z = columns, row activities)

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
    """How each nonbasic row's activity moves: with the bound it sits at (0 for basic rows)."""
    return np.where(row_status == LOWER, d_lower, np.where(row_status == UPPER, d_upper, 0.0))


def response(solver: Solver, d_lower: np.ndarray, d_upper: np.ndarray,
             status: tuple[np.ndarray, np.ndarray] | None = None) -> Response:
    """dx, dr per unit of t when the row bounds move by t·(d_lower, d_upper), the basis kept."""
    col_status, row_status = status or solver.basis()
    moves = nonbasic_moves(row_status, d_lower, d_upper)
    basic = solver.basic_variables()
    y = solver.basis_solve(moves)
    dx = np.zeros(len(col_status))
    dr = np.where(row_status == BASIC, 0.0, moves)
    is_col = basic >= 0
    dx[basic[is_col]] = y[is_col]
    dr[-1 - basic[~is_col]] = -y[~is_col]
    return Response(dx, dr)


@dataclass
class Step:
    """How far t may grow before the basis must change, and which variable blocks it."""

    length: float  # inf if nothing blocks
    column: int = -1  # the blocking basic column, or
    row: int = -1  # the blocking basic row (−1 where none)


def step_limit(lp: LinearProgram, x: np.ndarray, r: np.ndarray, move: Response, d_lower: np.ndarray,
               d_upper: np.ndarray, status: tuple[np.ndarray, np.ndarray], tol: float = TOLERANCE) -> Step:
    """Largest t ≥ 0 for which every basic variable stays within its (moving) bounds."""
    col_status, row_status = status
    limits = []
    cols = np.flatnonzero(col_status == BASIC)
    dx = move.dx[cols]
    up = np.where(dx > tol, (lp.col_upper[cols] - x[cols]) / np.where(dx > tol, dx, 1), np.inf)
    down = np.where(dx < -tol, (lp.col_lower[cols] - x[cols]) / np.where(dx < -tol, dx, 1), np.inf)
    limits.append(("column", cols, np.minimum(up, down)))
    rows = np.flatnonzero(row_status == BASIC)
    to_lower = move.dr[rows] - d_lower[rows]  # growth of (activity − lower)
    to_upper = d_upper[rows] - move.dr[rows]  # growth of (upper − activity)
    with np.errstate(invalid="ignore"):
        gap_lower = np.maximum(r[rows] - lp.row_lower[rows], 0.0)
        gap_upper = np.maximum(lp.row_upper[rows] - r[rows], 0.0)
        low = np.where(to_lower < -tol, gap_lower / np.where(to_lower < -tol, -to_lower, 1), np.inf)
        high = np.where(to_upper < -tol, gap_upper / np.where(to_upper < -tol, -to_upper, 1), np.inf)
    limits.append(("row", rows, np.minimum(low, high)))
    best = Step(np.inf)
    for kind, where, lengths in limits:
        lengths = np.where(np.isnan(lengths), np.inf, np.maximum(lengths, 0.0))
        if len(lengths) and lengths.min() < best.length:
            k = int(np.argmin(lengths))
            best = Step(float(lengths[k]), **{kind: int(where[k])})
    return best
