"""Solve every scenario of the Scenarios sheet and compare them side by side (`solve --all-scenarios`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.schema import BASE
from planner.results import unmet_by_sector_material
from planner.run import solve_plan
from planner.inputs import Loaded
from planner.issues import NoPlan
from planner.words import money, share, tonnes
from planner.workbook import MONEY, TONNES, Book, Chart, footer_text


def scenario_names(loaded: Loaded) -> list[str]:
    names = list(loaded.data["Scenarios"]["scenario"])
    return names if BASE in names else [BASE] + names


@dataclass
class ScenarioComparison:
    input_name: str
    currency: str
    scenarios: pd.DataFrame  # scenario, probability, status, total_spend, penalty, objective, most valuable licences
    unmet: pd.DataFrame  # scenario, sector, material, demand_t, unmet_t, unmet_share
    licences: pd.DataFrame  # scenario + LicenceShadowPrices columns
    notes: dict[str, str] = field(default_factory=dict)  # scenario -> why it has no plan


def compare_scenarios(loaded: Loaded, progress=lambda name: None, warn=lambda problems: None,
                      log: bool = False, sampled=None) -> ScenarioComparison:
    """Each scenario's objective, spend, unmet t per sector and material, and licence shadow prices.

    `warn` receives each scenario's override warnings (e.g. a row that matches nothing); `sampled`: the
    (name, data) of scenarios drawn from the Uncertainty sheet, compared instead of the Scenarios sheet's.
    """
    if sampled is None:
        probability = dict(zip(loaded.data["Scenarios"]["scenario"], loaded.data["Scenarios"]["probability"]))
        cases = [(name, None) for name in scenario_names(loaded)]
    else:
        probability = {name: 1 / len(sampled) for name, _ in sampled}
        cases = list(sampled)
    rows, unmet, licences, notes = [], [], [], {}
    currency = str(loaded.data.settings.get("currency", "USD"))
    for name, data in cases:
        progress(name)
        row = {"scenario": name, "probability": probability.get(name)}
        try:
            outcome = solve_plan(loaded, name, log=log, data=data)
        except NoPlan as exc:
            rows.append({**row, "status": "no plan"})
            notes[name] = str(exc)
            continue
        warn(outcome.warnings)
        result = outcome.result
        summary = result.summary
        row.update(status=outcome.solution.status, total_spend=summary.figure("total spend"),
                   shortfall_penalty=summary.figure("shortfall penalty (notional)"),
                   objective=outcome.solution.objective)
        row["most_valuable_licences"] = "; ".join(
            f"{r.material}: {r.source} {r.period} {money(r.shadow_price)}"
            for r in summary.top_licences.itertuples(index=False))
        rows.append(row)
        shortfall = result.sheets["Shortfall"]
        per = shortfall.groupby(["sector", "material"], sort=False)[["demand_t", "unmet_t"]].sum().reset_index()
        per = per[per["demand_t"] > 0]
        per.insert(0, "scenario", name)
        per["unmet_share"] = per["unmet_t"] / per["demand_t"]
        unmet.append(per)
        licences.append(result.sheets["LicenceShadowPrices"].assign(scenario=name))
    scenarios = pd.DataFrame(rows)
    for column in ("status", "total_spend", "shortfall_penalty", "objective", "most_valuable_licences"):
        if column not in scenarios:
            scenarios[column] = None
    scenarios = scenarios[["scenario", "probability", "status", "total_spend", "shortfall_penalty", "objective",
                           "most_valuable_licences"]]
    licence_table = pd.concat(licences, ignore_index=True) if licences else pd.DataFrame(columns=["scenario"])
    licence_table = licence_table[["scenario"] + [c for c in licence_table if c != "scenario"]]
    unmet_table = pd.concat(unmet, ignore_index=True) if unmet else pd.DataFrame(
        columns=["scenario", "sector", "material", "demand_t", "unmet_t", "unmet_share"])
    return ScenarioComparison(loaded.path.name, currency, scenarios, unmet_table, licence_table, notes)


def scenario_json(c: ScenarioComparison) -> dict:
    out = []
    for r in c.scenarios.to_dict("records"):
        name = r["scenario"]
        mine = c.unmet[c.unmet["scenario"] == name]
        out.append({"scenario": name, "probability": _number(r["probability"]), "status": r["status"],
                    "objective": _number(r["objective"]), "total_spend": _number(r["total_spend"]),
                    "shortfall_penalty": _number(r["shortfall_penalty"]),
                    "unmet_t": unmet_by_sector_material(mine) if len(mine) else {},
                    "no_plan": c.notes.get(name)})
    return {"input": c.input_name, "currency": c.currency, "scenarios": out}


def _number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value == value else None


def write_scenarios(c: ScenarioComparison, target: Path) -> None:
    with Book(target, footer=footer_text(c.input_name, "all scenarios")) as book:
        book.table("Scenarios", c.scenarios, widths={"most_valuable_licences": 80}, wrap=("most_valuable_licences",),
                   notes={"total_spend": f"Real spend ({c.currency}, present value)",
                          "shortfall_penalty": "Notional penalty of unmet demand",
                          "objective": "Spend + notional penalty"})
        book.table("Unmet", c.unmet, notes={"unmet_t": "Unmet demand over the horizon (t)"})
        book.table("LicenceShadowPrices", c.licences)
        if c.notes:
            book.table("NoPlan", pd.DataFrame({"scenario": list(c.notes), "why": list(c.notes.values())}),
                       widths={"why": 100}, wrap=("why",))
        book.charts("Charts", scenario_charts(c), data_sheet="ChartData")


def scenario_charts(c: ScenarioComparison) -> list[Chart]:
    charts = []
    solved = c.scenarios.dropna(subset=["objective"])
    if len(solved):
        charts.append(Chart(f"Spend and notional penalty by scenario ({c.currency}, present value)",
                            solved[["scenario", "total_spend", "shortfall_penalty"]], kind="bar",
                            unit=c.currency, number_format=MONEY))
    for material, group in c.unmet.groupby("material", sort=False):
        if group["unmet_t"].max() <= 1e-6:
            continue
        pivot = group.pivot_table(index="scenario", columns="sector", values="unmet_t", aggfunc="sum", sort=False)
        pivot = pivot.loc[:, (pivot > 1e-6).any(axis=0)].reset_index()
        pivot.columns = [str(x) for x in pivot.columns]
        charts.append(Chart(f"Unmet demand of {material} by scenario and sector (t)", pivot, kind="bar", unit="t",
                            number_format=TONNES))
    return charts


def scenarios_text(c: ScenarioComparison, outputs: list) -> str:
    lines = [f"{c.input_name}: {len(c.scenarios)} scenarios ({c.currency} present value; unmet t per sector and "
             "material over the horizon)"]
    for r in c.scenarios.itertuples(index=False):
        if r.status != "optimal":
            lines.append(f"  {r.scenario}: {r.status}")
            continue
        mine = c.unmet[(c.unmet["scenario"] == r.scenario) & (c.unmet["unmet_t"] > 1e-6)]
        short = ", ".join(f"{u.sector} {u.material} {tonnes(u.unmet_t)} t ({share(u.unmet_share)})"
                          for u in mine.itertuples(index=False)) or "all demand served"
        lines.append(f"  {r.scenario}: spend {money(r.total_spend)}, objective {money(r.objective)}; unmet: {short}")
    for path in outputs:
        lines.append(f"written: {path}")
    return "\n".join(lines)
