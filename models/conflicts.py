"""Name the hard limits that cannot hold together when no plan exists.

Unmet demand is penalised, so only the user's own hard limits can make the LP infeasible. To find
them, every hard limit gets a slack variable (`PlanModel(elastic=True)`) and the total slack is
minimised. Rows that still need slack are violated; rows with a non-zero dual in that problem are
the limits the violation is pushing against (the support of the infeasibility certificate).
"""
from __future__ import annotations

from dataclasses import dataclass

from models.data import PlanData
from models.plan import FAMILIES, PlanModel
from models.solve import solve
from models.structure import Structure

TOLERANCE = 1e-7


@dataclass(frozen=True)
class Conflict:
    family: str
    keys: dict[str, str]
    limit: float  # the row's right-hand side in the data (t or activity units)
    violation: float  # how far the limit must give for a plan to exist (0: part of the conflict, not violated)


def find_conflicts(data: PlanData, structure: Structure | None = None) -> list[Conflict]:
    plan = PlanModel(data, structure, elastic=True)
    solution = solve(plan, ranging=False)
    conflicts = []
    for name, family in FAMILIES.items():
        if not family.hard:
            continue
        rows = solution.rows[name]
        slack = solution.variables[f"slack_{name}"]["value"].to_numpy()
        for row, violation in zip(rows.itertuples(index=False), slack):
            if violation > TOLERANCE or abs(row.dual) > TOLERANCE:
                key = {k: getattr(row, k) for k in family.keys}
                conflicts.append(Conflict(name, key, float(row.rhs), float(max(violation, 0.0))))
    return conflicts
