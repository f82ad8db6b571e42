"""Name the hard limits that cannot hold together when no plan exists: minimal conflicting sets.

Unmet demand is penalised, so only the user's own hard limits can make the LP infeasible.

1. Elastic solve: every hard limit gets a slack variable (`PlanModel(elastic=True)`) and the total
   slack is minimised. Rows that need slack, or have a non-zero dual there (the support of the
   infeasibility certificate), are the candidates; every other hard limit is relaxed.
2. Deletion filter on the real LP (costs set to 0: only feasibility matters): relax each candidate
   in turn; if the LP stays infeasible the candidate is not needed and stays relaxed, otherwise it
   is restored. What is left is an irreducible infeasible subsystem (IIS): drop any one of its
   limits and the rest can hold.
3. To show every conflict rather than the first, the rows of each IIS found are relaxed for good
   and the filter runs again while the LP is still infeasible (at most `MAX_SETS` sets), so a
   conflict that recurs in 20 periods is found 20 times and can be reported as one group.

HiGHS 1.16 offers `Highs.getIis()`, but with its default strategy it returned an empty set (flagged
valid) on the smallest conflict of our tests, and other strategies differ in what they return; the
deletion filter is simple, exact and tested, so it is what is used.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from models.compiled import compile_plan
from models.data import PlanData
from models.plan import FAMILIES, PlanModel
from models.solve import INFEASIBLE, Solver, solve
from models.structure import Structure

TOLERANCE = 1e-7
MAX_SETS = 40
TIME_BUDGET = 60.0  # seconds for step 3: the first set is always found in full


@dataclass(frozen=True)
class Conflict:
    family: str
    keys: dict[str, str]
    limit: float  # the row's right-hand side in the data (t or activity units)
    violation: float  # how far the limit must give in the elastic solve (0: part of the conflict, not violated)
    group: int = 0  # which conflicting set (IIS) the limit belongs to


def find_conflicts(data: PlanData, structure: Structure | None = None) -> list[Conflict]:
    """Every minimal set of hard limits that cannot hold together (found one after the other)."""
    elastic = solve(PlanModel(data, structure, elastic=True), ranging=False)
    compiled = compile_plan(PlanModel(data, structure))
    candidates, violation = [], {}
    for name, family in FAMILIES.items():
        if not family.hard:
            continue
        rows = compiled.rows[name]
        dual = elastic.rows[name]["dual"].to_numpy()
        slack = elastic.variables[f"slack_{name}"]["value"].to_numpy()
        for k in range(rows.stop - rows.start):
            if slack[k] > TOLERANCE or abs(dual[k]) > TOLERANCE:
                candidates.append(rows.start + k)
                violation[rows.start + k] = float(max(slack[k], 0.0))
    hard = [r for name, family in FAMILIES.items() if family.hard
            for r in range(compiled.rows[name].start, compiled.rows[name].stop)]
    sets = conflicting_sets(compiled.lp, hard, candidates)
    family_of = {}
    for name, rows in compiled.rows.items():
        for k in range(rows.stop - rows.start):
            family_of[rows.start + k] = (name, compiled.row_keys[name][k])
    conflicts = []
    lp = compiled.lp
    for group, rows in enumerate(sets):
        for r in rows:
            name, key = family_of[r]
            family = FAMILIES[name]
            limit = lp.row_upper[r] if family.sense == "<=" else lp.row_lower[r]
            conflicts.append(Conflict(name, dict(zip(family.keys, key)), float(limit), violation.get(r, 0.0), group))
    return conflicts


def conflicting_sets(lp, hard: list[int], candidates: list[int]) -> list[list[int]]:
    """Minimal infeasible sets of `hard` rows (deletion filter), starting from the elastic `candidates`."""
    solver = Solver(lp.with_numbers(col_cost=np.zeros(lp.num_col)))
    h = solver.highs
    inf = highspy.kHighsInf
    lower, upper = lp.row_lower, lp.row_upper

    def relax(r):
        h.changeRowBounds(int(r), -inf, inf)

    def restore(r):
        h.changeRowBounds(int(r), float(lower[r]), float(upper[r]))

    def infeasible() -> bool:
        return solver.run() == INFEASIBLE

    active = set(candidates)
    for r in hard:
        if r not in active:
            relax(r)
    if not infeasible():  # the certificate's support was not enough (should not happen): use every hard limit
        for r in hard:
            restore(r)
        active = set(hard)
    sets: list[list[int]] = []
    started = time.perf_counter()
    while active and len(sets) < MAX_SETS:
        if sets and (time.perf_counter() - started > TIME_BUDGET or not infeasible()):
            break
        needed, dropped = [], []
        for r in sorted(active):
            relax(r)
            if infeasible():
                dropped.append(r)
            else:
                restore(r)
                needed.append(r)
        if not needed:
            break
        sets.append(needed)
        for r in dropped:  # back for the next round, without the rows of this set
            restore(r)
        for r in needed:
            relax(r)
        active -= set(needed)
    return sets
