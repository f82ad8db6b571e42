"""The one place that reaches into Pyomo's HiGHS interface beyond its public API.

Pyomo (pinned to 6.9–6.10 in pyproject) exposes duals but not HiGHS's right-hand-side ranging, so
rows are located through the interface's private maps and read from its `highspy.Highs` object.
If an upgrade moves those attributes, `tests/test_highs_adapter.py` fails here and nowhere else.
"""
from __future__ import annotations

import os
import sys

import numpy as np
from pyomo.contrib.solver.common.factory import SolverFactory

_BANNER_SILENCED = False


def silence_banner() -> None:
    """highspy prints a copyright banner to standard output when the first Highs object is made.

    Make that object once with file descriptor 1 pointed at /dev/null, so standard output keeps
    only what reeplan writes there.
    """
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return
    import highspy

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


def new_solver():
    silence_banner()
    solver = SolverFactory("highs")
    solver.config.load_solutions = False
    solver.config.raise_exception_on_nonoptimal_result = False
    return solver


def highs(solver):
    return solver._solver_model


def row_indices(solver, constraints) -> np.ndarray:
    mapping = solver._pyomo_con_to_solver_con_map
    return np.fromiter((mapping[c] for c in constraints), dtype=np.int64)


def col_indices(solver, variables) -> np.ndarray:
    mapping = solver._pyomo_var_to_solver_var_map
    return np.fromiter((mapping[id(v)] for v in variables), dtype=np.int64)


def upper_rhs_ranges(solver, rows: np.ndarray, activity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Interval of a `≤` row's right-hand side over which its dual holds; ±inf where unbounded.

    For a row at its bound (nonbasic) this is HiGHS's row-bound ranging. A basic row (not binding,
    dual 0) keeps dual 0 while the bound stays at or above its activity: [activity, ∞). HiGHS's
    figures for basic rows describe something else, so they are not used.
    """
    import highspy

    h = highs(solver)
    status, ranging = h.getRanging()
    low = np.asarray(ranging.row_bound_dn.value_, dtype=float)[rows]
    high = np.asarray(ranging.row_bound_up.value_, dtype=float)[rows]
    row_status = h.getBasis().row_status
    basic = np.fromiter((row_status[r] == highspy.HighsBasisStatus.kBasic for r in rows), dtype=bool, count=len(rows))
    low = np.where(basic, activity, low)
    high = np.where(basic, np.inf, high)
    big = 1e30  # HiGHS's infinity
    low[low <= -big] = -np.inf
    high[high >= big] = np.inf
    return low, high


def solver_version(solver) -> str:
    return "HiGHS " + ".".join(str(v) for v in solver.version())
