"""The one-screen summary printed after a solve."""
from __future__ import annotations

import math

from models.data import PlanData

TOP_LICENCES = 10


def _num(value: float, digits: int = 1) -> str:
    return "∞" if math.isinf(value) else f"{value:,.{digits}f}"


def summary_text(data: PlanData, outcome, output_path) -> str:
    result, solution = outcome.result, outcome.solution
    currency = result.currency
    name = data.settings.get("name", "")
    parts = solution.cost_parts
    lines = [
        f"reeplan {name}: {solution.status} (solve {solution.solve_seconds:.2f} s)".replace("  ", " "),
        f"objective {_num(solution.objective, 0)} {currency} present value "
        f"(procurement {_num(parts['procurement'], 0)}, shortfall penalty {_num(parts['shortfall_penalty'], 0)})",
        "unmet demand (t): " + ", ".join(
            f"{figure[6:]} {_num(value)}" for figure, (value, _) in result.summary.items() if figure.startswith("unmet ")),
        f"share of supply from controlled sources: {result.summary['share of supply from controlled sources'][0]:.1%}",
    ]
    licences = result.sheets["LicenceShadowPrices"].sort_values("shadow_price", ascending=False, kind="stable")
    licences = licences[licences["shadow_price"] > 0].head(TOP_LICENCES)
    if licences.empty:
        lines.append("no licence cap binds: one more licensed tonne is worth nothing")
    else:
        lines.append(f"value of one more licensed tonne ({currency}/t, holds while the cap stays in range):")
        for r in licences.itertuples():
            lines.append(f"  {r.source} / {r.material} / {r.period}: {_num(r.shadow_price, 0)} "
                         f"at cap {_num(r.cap_t)} t, range [{_num(r.range_low_t)}, {_num(r.range_high_t)}] t")
    lines.append(f"result workbook: {output_path}")
    return "\n".join(lines)
