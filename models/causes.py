"""Why demand goes unmet: the binding limits behind each shortfall, read from the optimal basis.

A shortfall is a `short[k,m,t]` column with a positive value; it is basic, at some position p of
the basis. Keep the basis and ease one binding limit i by one unit. As in `models.sensitivity`,
the nonbasic row activities move with their bounds and the basic variables absorb the change,

    B · dz_B = e_i · σ_i          so          d short[k,m,t] = σ_i · (B⁻¹)_{p,i}

(B is HiGHS's basis matrix over [A  I]; the column of a nonbasic row only enters through the
right-hand side, so the sign of HiGHS's logicals does not matter here). σ_i is how the limit's
active bound moves when it is eased: +1 for a `≤` limit (a cap rises) and for the initial stock of
a stockpile (its right-hand side rises), −1 for a `≥` limit (a floor or minimum take falls). So one
row of B⁻¹, e_pᵀ B⁻¹ (one solve with Bᵀ), gives, for every limit at once,

    served_i = −σ_i · (B⁻¹)_{p,i}        tonnes of this shortfall one more unit of limit i serves.

A limit is a cause of the shortfall when served_i > 0. The rate holds while the basis stays
feasible: the ratio test of `step_limit` along the direction that moves only limit i, forwards and
backwards, gives the interval of the limit's value over which it holds (the same for every
shortfall the limit causes). That interval is exactly HiGHS's row-bound ranging of the row, which
HiGHS computes for every row in one pass; it is used when the solve kept it (`tests/test_causes.py`
checks the two agree for every family), so a large plan with thousands of causes needs no ratio
test per limit. The value of easing a limit by one unit is its shadow price.

Which rows count as limits: every nonbasic row of a hard family (`Family.hard`: capacities,
licence caps, minimum takes, stock floors, ceilings, end levels, release, acquisition and size
limits) and the first-period stock balance rows, whose right-hand side is a stockpile's initial
stock. Material balances and demand rows are left out: easing them means tonnes appearing from
nowhere or demand vanishing, which is not a limit a planner can move.

Cost: one B⁻¹ row per shortfall, or one basis solve B y = e_i per limit when there are fewer limits
(the same numbers, column-wise). HiGHS's solve costs O(rows) however sparse the result is (about 2 ms at
90,000 rows), so a plan with very many shortfalls and limits would spend far longer here than in the
simplex. By default the shortfalls explained are the largest by penalty (penalty × unmet t), as many
as `WORK_BUDGET` / rows (all of them on any plan of baseline size); the others are listed as not
analysed (limit_row −2). `max_shortfalls=None` explains every shortfall.

Order: by tonnes of the shortfall served per unit (descending; a unit is a tonne except for process
capacity, in activity units), then by shadow price. A shortfall that no limit causes exists because
serving it would cost more than its penalty: it is reported with no limit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.plan import FAMILIES, LE
from models.sensitivity import Direction, response, step_limit
from models.solve import BASIC, HIGHS_INF, Solution

TOLERANCE = 1e-9
WORK_BUDGET = 2e7  # shortfalls explained by default × rows of the LP (about a second of basis solves)
NOT_ANALYSED = -2
INITIAL_STOCK = "initial_stock"  # the first-period stock_balance rows, under their planner name


@dataclass(frozen=True)
class Limit:
    family: str  # a FAMILIES name, or INITIAL_STOCK
    key: tuple
    row: int  # row in the compiled LP
    rhs: float  # the limit's value (t, or activity units for process capacity)
    sign: int  # σ: +1 if easing raises the bound, −1 if it lowers it
    shadow_price: float


def candidate_limits(solution: Solution) -> list[Limit]:
    """Every binding (nonbasic) hard limit and every initial stock, with its σ and shadow price."""
    compiled = solution.compiled
    lp = compiled.lp
    row_status = solution.arrays["row_status"]
    limits = []
    for name, family in FAMILIES.items():
        rows = compiled.rows[name]
        keys = compiled.row_keys[name]
        shadow = solution.rows[name]["shadow_price"].to_numpy()
        if family.hard:
            sign = 1 if family.sense == LE else -1
            for k in np.flatnonzero(row_status[rows] != BASIC):
                r = rows.start + int(k)
                rhs = lp.row_upper[r] if sign > 0 else lp.row_lower[r]
                limits.append(Limit(name, tuple(keys[k]), r, float(rhs), sign, float(shadow[k])))
        elif name == "stock_balance":
            n_periods = len(compiled.structure.periods)
            for k in range(0, rows.stop - rows.start, max(n_periods, 1)):
                r = rows.start + k
                if row_status[r] != BASIC:
                    g, m, _ = keys[k]
                    limits.append(Limit(INITIAL_STOCK, (g, m), r, float(lp.row_lower[r]), 1, float(shadow[k])))
    return limits


def default_budget(solution: Solution) -> int:
    """How many shortfalls are explained by default: WORK_BUDGET / rows (at least 200)."""
    return max(200, int(WORK_BUDGET / max(solution.compiled.lp.num_row, 1)))


def shortfall_causes(solution: Solution, *, max_per_shortfall: int | None = None,
                     max_shortfalls: int | None | str = "default") -> pd.DataFrame:
    """One row per (shortfall, limit that causes it), or per shortfall with no limit (limit_row −1) or not
    analysed (limit_row −2, beyond `max_shortfalls`, the largest by penalty × unmet t being explained first).

    Columns: sector, material, period, unmet_t, rank, family, key, limit_row, limit_t, shadow_price,
    served_t_per_unit, holds_from, holds_to (the limit's values between which the rate holds).
    """
    compiled = solution.compiled
    solver = solution.live
    short = compiled.columns["short"]
    values = solution.arrays["col_value"][short]
    limits = candidate_limits(solution)
    limit_rows = np.array([lim.row for lim in limits], dtype=int)
    signs = np.array([lim.sign for lim in limits], dtype=float)
    basic = solver.basic_variables()
    position = {int(j): p for p, j in enumerate(basic) if j >= 0}
    records = []
    ranges: dict[int, tuple[float, float]] = {}
    highs_ranges = None
    if "row_bound_dn" in solution.arrays:
        low = solution.arrays["row_bound_dn"]
        high = solution.arrays["row_bound_up"]
        highs_ranges = (np.where(low <= -HIGHS_INF, -np.inf, low), np.where(high >= HIGHS_INF, np.inf, high))
    shortfalls = np.flatnonzero(values > TOLERANCE)
    if max_shortfalls == "default":
        max_shortfalls = default_budget(solution)
    analysed = set(shortfalls.tolist())
    if max_shortfalls is not None and len(shortfalls) > max_shortfalls:
        weight = compiled.lp.col_cost[short][shortfalls] * values[shortfalls]
        analysed = set(shortfalls[np.argsort(-weight, kind="stable")[:max_shortfalls]].tolist())
    served_by = _rates(solver, [position.get(short.start + int(k)) for k in shortfalls if int(k) in analysed],
                       limit_rows, signs)
    explained = iter(served_by)
    for k in shortfalls:
        sector, material, period = compiled.structure.demand[k]
        base = dict(sector=sector, material=material, period=period, unmet_t=float(values[k]))
        if int(k) not in analysed:
            records.append(dict(base, rank=0, family="", key=(), limit_row=NOT_ANALYSED, limit_t=np.nan,
                                shadow_price=np.nan, served_t_per_unit=np.nan, holds_from=np.nan, holds_to=np.nan))
            continue
        hit, served = next(explained)
        found = [(float(rate), limits[i]) for i, rate in zip(hit, served)]
        found.sort(key=lambda pair: (-pair[0], -pair[1].shadow_price, pair[1].row))
        if max_per_shortfall:
            found = found[:max_per_shortfall]
        if not found:
            records.append(dict(base, rank=0, family="", key=(), limit_row=-1, limit_t=np.nan,
                                shadow_price=np.nan, served_t_per_unit=0.0, holds_from=np.nan, holds_to=np.nan))
        for rank, (rate, lim) in enumerate(found, start=1):
            if lim.row not in ranges:
                ranges[lim.row] = ((float(highs_ranges[0][lim.row]), float(highs_ranges[1][lim.row]))
                                   if highs_ranges is not None else limit_range(solution, lim))
            low, high = ranges[lim.row]
            records.append(dict(base, rank=rank, family=lim.family, key=lim.key, limit_row=lim.row, limit_t=lim.rhs,
                                shadow_price=lim.shadow_price, served_t_per_unit=rate, holds_from=low, holds_to=high))
    columns = ["sector", "material", "period", "unmet_t", "rank", "family", "key", "limit_row", "limit_t",
               "shadow_price", "served_t_per_unit", "holds_from", "holds_to"]
    return pd.DataFrame(records, columns=columns)


def _rates(solver, positions: list[int | None], limit_rows: np.ndarray, signs: np.ndarray,
           by_limit: bool | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each shortfall (at basis position p_s), the limits i it is served by and the rates
    −σ_i (B⁻¹)_{p_s, i} > 0: a row of B⁻¹ per shortfall or a basis solve per limit, whichever needs fewer
    solves (`by_limit` forces one way, for tests). A shortfall with no basis position gets none."""
    empty = (np.zeros(0, dtype=int), np.zeros(0))
    out = [empty] * len(positions)
    present = [s for s, p in enumerate(positions) if p is not None]
    if not present or not len(limit_rows):
        return out
    where = np.array([positions[s] for s in present])
    if by_limit if by_limit is not None else len(limit_rows) < len(present):
        found: dict[int, list[tuple[int, float]]] = {}
        unit = np.zeros(solver.lp.num_row)
        for i, row in enumerate(limit_rows):
            unit[row] = 1.0
            served = -signs[i] * solver.basis_solve(unit)[where]
            unit[row] = 0.0
            for s in np.flatnonzero(served > TOLERANCE):
                found.setdefault(present[s], []).append((i, float(served[s])))
        for s, pairs in found.items():
            out[s] = (np.array([i for i, _ in pairs]), np.array([v for _, v in pairs]))
    else:
        for s, p in zip(present, where):
            served = -signs * solver.basis_inverse_row(p)[limit_rows]
            hit = np.flatnonzero(served > TOLERANCE)
            out[s] = (hit, served[hit])
    return out


def limit_range(solution: Solution, limit: Limit) -> tuple[float, float]:
    """The interval of the limit's value over which the basis (hence every rate and its shadow price) holds."""
    lp = solution.compiled.lp
    status = (solution.arrays["col_status"], solution.arrays["row_status"])
    x, r = solution.arrays["col_value"], solution.arrays["row_value"]
    d_lower, d_upper = np.zeros(lp.num_row), np.zeros(lp.num_row)
    if limit.family == INITIAL_STOCK:
        d_lower[limit.row] = d_upper[limit.row] = 1.0
    elif limit.sign > 0:
        d_upper[limit.row] = 1.0
    else:
        d_lower[limit.row] = 1.0  # the bound itself rises here; easing is the other way
    ease = Direction(d_lower, d_upper)
    up = step_limit(lp, x, r, response(solution.live, ease, status), ease, status).length
    tighten = ease.reversed()
    down = step_limit(lp, x, r, response(solution.live, tighten, status), tighten, status).length
    return limit.rhs - down, limit.rhs + up
