"""Solve every scenario of the Scenarios sheet and compare them side by side."""
from __future__ import annotations

import pandas as pd

from planner.overrides import BASE
from planner.run import Loaded, NoPlan, solve_plan

TOP = 3


def scenario_names(loaded: Loaded) -> list[str]:
    names = list(loaded.data["Scenarios"]["scenario"])
    return names if BASE in names else [BASE] + names


def compare_scenarios(loaded: Loaded, progress=lambda name: None, warn=lambda problems: None) -> dict[str, pd.DataFrame]:
    """One row per scenario (objective, unmet t by sector, top licence shadow prices) and the long licence table.

    `warn` receives each scenario's override warnings (e.g. a row that matches nothing).
    """
    probability = dict(zip(loaded.data["Scenarios"]["scenario"], loaded.data["Scenarios"]["probability"]))
    rows, licences = [], []
    for name in scenario_names(loaded):
        progress(name)
        row = {"scenario": name, "probability": probability.get(name)}
        try:
            outcome = solve_plan(loaded, name)
        except NoPlan as exc:
            rows.append({**row, "status": "no plan", "note": str(exc)})
            continue
        warn(outcome.warnings)
        summary = outcome.result.summary
        row.update(status=outcome.solution.status, objective=outcome.solution.objective)
        row.update({f"unmet_{figure[6:]}_t": value for figure, (value, _) in summary.items()
                    if figure.startswith("unmet ")})
        prices = outcome.result.sheets["LicenceShadowPrices"].assign(scenario=name)
        top = prices.sort_values("shadow_price", ascending=False, kind="stable").head(TOP)
        row["top_licence_shadow_prices"] = "; ".join(
            f"{r.source}/{r.material}/{r.period}: {r.shadow_price:,.0f}" for r in top.itertuples() if r.shadow_price > 0)
        rows.append(row)
        licences.append(prices)
    columns = ["scenario", "probability", "status", "objective"]
    comparison = pd.DataFrame(rows)
    comparison = comparison[[c for c in columns if c in comparison] + [c for c in comparison if c not in columns]]
    licence_table = pd.concat(licences, ignore_index=True) if licences else pd.DataFrame()
    if not licence_table.empty:
        licence_table = licence_table[["scenario"] + [c for c in licence_table if c != "scenario"]]
    return {"Scenarios": comparison, "LicenceShadowPrices": licence_table}
