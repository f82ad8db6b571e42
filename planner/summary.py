"""The one-screen summary printed after a solve: everything the Summary sheet says, in the same order."""
from __future__ import annotations

import math

import pandas as pd

from planner.results import EVERY_MATERIAL, OTHER_MATERIALS, PlanResult
from planner.words import money, share, tonnes


def summary_text(result: PlanResult, outputs: list[str] | tuple = ()) -> str:
    s = result.summary
    currency = result.currency
    t = s.title
    fig = {r.figure: r.value for r in s.figures.itertuples(index=False)}
    lines = [
        f"{t['plan']} — scenario {t['scenario']} — input {t['input']} — {t['run at']}",
        f"status {fig['solver status']} (HiGHS {fig['solve time']:.2f} s)",
        f"spend {money(fig['total spend'])} {currency} present value: procurement {money(fig['procurement'])}, "
        f"processing {money(fig['processing'])}, stock holding {money(fig['stock holding'])}, "
        f"stockpile sizing {money(fig['stockpile sizing'])}",
        f"shortfall penalty (notional) {money(fig['shortfall penalty (notional)'])}; "
        f"objective (spend + penalty) {money(fig['objective'])}",
        "unmet demand (t and share of that sector's demand of the material, over the horizon):",
    ]
    for sector, group in s.unmet.groupby("sector", sort=False):
        if not group["material"].iloc[0]:  # '(N more …: sheet Shortfall)'
            lines.append(f"  {sector}")
            continue
        parts = []
        for r in group.itertuples(index=False):
            if r.material == EVERY_MATERIAL:
                parts.append("all demand served")
            elif r.material == OTHER_MATERIALS:
                parts.append("all other materials served")
            else:
                parts.append(f"{r.material} {tonnes(r.unmet_t)} t ({share(r.unmet_share)})")
        lines.append(f"  {sector}: " + ", ".join(parts))
    if len(s.controlled):
        lines.append("share of supply from controlled sources: " + ", ".join(
            f"{r.material} {share(r.controlled_share)}".strip() for r in s.controlled.itertuples(index=False)))
    if s.top_licences.empty:
        lines.append("no licence cap binds: one more licensed tonne is worth nothing")
    else:
        lines.append(f"most valuable licence of each material ({currency}/t present value; holds while the cap "
                     "stays in range):")
        for r in s.top_licences.itertuples(index=False):
            if not r.source:  # '(N more materials: …)'
                lines.append(f"  {r.material}")
                continue
            end_use = f" for {r.end_use}" if r.end_use else ""
            high = "no limit" if pd.isna(r.range_high_t) or math.isinf(r.range_high_t) else f"{tonnes(r.range_high_t)} t"
            line = (f"  {r.material}: {r.source} / {r.period}{end_use}: {money(r.shadow_price)} at cap {tonnes(r.cap_t)} t,"
                    f" holds {tonnes(r.range_low_t)} t to {high}")
            if r.note:
                line += f"; {r.note}"
            lines.append(line)
    if len(s.causes):
        lines.append("why demand goes unmet (first limit; all of them on sheet ShortfallCauses):")
        for r in s.causes.itertuples(index=False):
            if not r.material:
                lines.append(f"  {r.sector}")
                continue
            lines.append(f"  {r.sector} / {r.material} ({r.periods}): {r.main_limit}")
    for path in outputs:
        lines.append(f"written: {path}")
    return "\n".join(lines)
