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
    m = plan.model
    conflicts = []
    for name, family in FAMILIES.items():
        if not family.hard:
            continue
        rows = solution.rows[name]
        slack = solution.variables[f"slack_{name}"]["value"].to_numpy()
        for row, violation in zip(rows.itertuples(index=False), slack):
            key = tuple(getattr(row, k) for k in family.keys)
            if violation > TOLERANCE or abs(row.dual) > TOLERANCE:
                limit = float(m.component(_LIMIT_PARAM[name])[key].value)
                conflicts.append(Conflict(name, dict(zip(family.keys, key)), limit, float(max(violation, 0.0))))
    return conflicts


# The Param holding each hard family's limit.
_LIMIT_PARAM = {
    "supply_capacity": "capacity_t", "min_take": "min_take_t", "licence": "licence_cap_t",
    "process_capacity": "process_cap", "stock_min": "min_level_t", "stock_max": "max_level_t",
    "stock_end": "end_min_t", "release_cap": "max_release_t", "acquire_cap": "max_acquire_t",
    "size_cap": "max_size_t",
}
