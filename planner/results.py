"""Turn a solved plan into the result tables of SPEC §4 (and their JSON form)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.data import PlanData
from models.plan import FAMILIES
from models.solve import Solution


@dataclass
class RunInfo:
    version: str
    input_file: str
    input_sha256: str
    scenario: str
    wall_seconds: float = 0.0
    build_seconds: float = 0.0


@dataclass
class PlanResult:
    """The §4 sheets as DataFrames, in workbook order."""

    sheets: dict[str, pd.DataFrame]
    summary: dict[str, object] = field(default_factory=dict)
    currency: str = "USD"

    def to_json(self, status: str, objective: float) -> dict:
        def records(sheet, columns):
            return [{c: _json_number(v) for c, v in zip(columns, row)}
                    for row in self.sheets[sheet][columns].itertuples(index=False)]

        return {
            "status": status,
            "objective": objective,
            "licence_shadow_prices": records("LicenceShadowPrices", ["source", "material", "period", "end_use",
                                                                      "cap_t", "flow_t", "shadow_price",
                                                                      "range_low_t", "range_high_t"]),
            "shortfall": records("Shortfall", ["sector", "material", "period", "demand_t", "served_t", "unmet_t"]),
            "material_prices": records("MaterialPrices", ["material", "channel", "period", "shadow_price"]),
            "stockpiles": records("Stockpiles", ["stockpile", "material", "period", "level_t", "acquired_t",
                                                 "released_t"]),
        }


def _json_number(value):
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def build_result(data: PlanData, solution: Solution, run: RunInfo) -> PlanResult:
    supply = data["Supply"][["source", "material", "period", "capacity_t", "price"]].copy()
    buy = solution.variables["buy"]
    bought = buy.groupby(["source", "material", "period"], sort=False, as_index=False)["value"].sum()
    bought = bought.rename(columns={"value": "bought_t"})
    licence = (solution.rows["licence"].groupby(["source", "material", "period"], sort=False, as_index=False)["rhs"]
               .sum().rename(columns={"rhs": "licence_cap_t"}))
    controlled = dict(zip(data["Sources"]["source"], data["Sources"]["controlled"].astype(bool)))
    procurement = (bought.merge(supply, on=["source", "material", "period"])
                   .merge(licence, on=["source", "material", "period"], how="left"))
    procurement["controlled"] = procurement["source"].map(controlled)
    procurement = procurement[["source", "material", "period", "bought_t", "capacity_t", "licence_cap_t", "price",
                               "controlled"]]

    allocation = solution.variables["use"].rename(columns={"value": "used_t"})

    demand = data["Demand"][["sector", "material", "period", "demand_t"]].copy()
    unmet = solution.variables["short"].rename(columns={"value": "unmet_t"})
    shortfall = demand.merge(unmet, on=["sector", "material", "period"])
    shortfall["served_t"] = shortfall["demand_t"] - shortfall["unmet_t"]
    shortfall["service_level"] = np.where(shortfall["demand_t"] > 0,
                                          shortfall["served_t"] / shortfall["demand_t"].where(shortfall["demand_t"] > 0),
                                          1.0)
    shortfall = shortfall[["sector", "material", "period", "demand_t", "served_t", "unmet_t", "service_level"]]

    keys = ["stockpile", "material", "period"]
    stockpiles = (solution.variables["level"].rename(columns={"value": "level_t"})
                  .merge(solution.variables["acq"].rename(columns={"value": "acquired_t"}), on=keys)
                  .merge(solution.variables["rel"].rename(columns={"value": "released_t"}), on=keys))

    processes = solution.variables["run"].rename(columns={"value": "activity"})

    licence_keys = ["source", "material", "period", "end_use"]
    lic = solution.rows["licence"].merge(solution.licence_ranges, on=licence_keys)
    lic = lic.merge(buy.rename(columns={"value": "flow_t"}), on=licence_keys)
    licence_prices = pd.DataFrame({
        "source": lic["source"], "material": lic["material"], "period": lic["period"], "end_use": lic["end_use"],
        "cap_t": lic["rhs"], "flow_t": lic["flow_t"], "shadow_price": lic["shadow_price"],
        "range_low_t": lic["range_low_t"], "range_high_t": lic["range_high_t"]})

    material_prices = solution.rows["balance"][["material", "channel", "period", "shadow_price"]]

    shadow_rows = []
    for name, family in FAMILIES.items():
        frame = solution.rows[name]
        if frame.empty:
            continue
        key_text = frame[list(family.keys)].astype(str).agg(" | ".join, axis=1)
        shadow_rows.append(pd.DataFrame({
            "constraint": name + "[" + key_text + "]", "family": name, "meaning": family.label, "keys": key_text,
            "rhs": frame["rhs"], "slack": frame["slack"], "shadow_price": frame["shadow_price"]}))
    shadow_prices = pd.concat(shadow_rows, ignore_index=True)

    currency = str(data.settings.get("currency", "USD"))
    summary = _summary(data, solution, procurement, shortfall, currency)
    summary_sheet = pd.DataFrame([(k, v, u) for k, (v, u) in summary.items()], columns=["figure", "value", "unit"])
    run_sheet = pd.DataFrame([
        ("version", run.version), ("input file", run.input_file), ("input SHA-256", run.input_sha256),
        ("scenario", run.scenario), ("solver", solution.solver), ("status", solution.status),
        ("build time (s)", round(run.build_seconds, 3)), ("solve time (s)", round(solution.solve_seconds, 3)),
        ("wall time (s)", round(run.wall_seconds, 3)),
        ("variables", sum(len(v) for v in solution.variables.values())),
        ("constraints", sum(len(r) for r in solution.rows.values())),
    ], columns=["item", "value"])
    sheets = {
        "Summary": summary_sheet, "Procurement": procurement, "Allocation": allocation, "Shortfall": shortfall,
        "Stockpiles": stockpiles, "Processes": processes, "LicenceShadowPrices": licence_prices,
        "MaterialPrices": material_prices, "ShadowPrices": shadow_prices, "Run": run_sheet,
    }
    return PlanResult(sheets=sheets, summary=summary, currency=currency)


def _summary(data, solution, procurement, shortfall, currency) -> dict[str, tuple[object, str]]:
    money = f"{currency} (present value)"
    parts = solution.cost_parts
    out = {
        "objective": (solution.objective, money),
        "total procurement cost": (parts["procurement"], money),
        "penalty cost": (parts["shortfall_penalty"], money),
        "processing cost": (parts["processing"], money),
        "holding cost": (parts["holding"], money),
        "stockpile sizing cost": (parts["stockpile_sizing"], money),
    }
    unmet = shortfall.groupby("sector", sort=False)["unmet_t"].sum()
    for sector in data["Sectors"]["sector"]:
        out[f"unmet {sector}"] = (float(unmet.get(sector, 0.0)), "t")
    total = procurement["bought_t"].sum()
    share = procurement.loc[procurement["controlled"], "bought_t"].sum() / total if total > 0 else 0.0
    out["share of supply from controlled sources"] = (float(share), "fraction")
    out["solver status"] = (solution.status, "")
    out["solve time"] = (round(solution.solve_seconds, 3), "s")
    return out
