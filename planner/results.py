"""Turn a solved plan into the result tables of SPEC §4 (and their JSON form).

Tonnes of different materials are never added together: unmet demand and the controlled share are
reported per sector and material (or per material), never as one total.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.causes import INITIAL_STOCK, NOT_ANALYSED, shortfall_causes
from models.data import PlanData
from models.plan import FAMILIES
from models.solve import Solution
from planner.words import LIMIT_KEYS, describe_limit, limit_unit, money, tonnes

ZERO = 1e-9
WHOLE_TONNE = 1.0  # a licence value holding over less than this is flagged, with the average over a whole tonne
NO_LIMIT_CAUSE = "no limit: serving it would cost more than its penalty"
EVERY_MATERIAL, OTHER_MATERIALS = "(every material)", "(all other materials)"


@dataclass
class RunInfo:
    version: str
    input_file: str
    input_sha256: str
    scenario: str
    wall_seconds: float = 0.0
    build_seconds: float = 0.0
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))

    @property
    def input_name(self) -> str:
        """The input as a planner names it: the file or folder name, not the whole path."""
        name = self.input_file.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]
        return name or self.input_file


@dataclass
class Summary:
    """What the Summary sheet and the console show, in order."""

    title: dict[str, str]  # plan, scenario, input, run at
    figures: pd.DataFrame  # figure, value, unit: spend first, then the notional penalty, then the objective
    unmet: pd.DataFrame  # sector, material, demand_t, unmet_t, unmet_share
    controlled: pd.DataFrame  # material, bought_t, controlled_t, controlled_share
    top_licences: pd.DataFrame  # the most valuable licence of each material
    causes: pd.DataFrame  # sector, material, periods_short, unmet_t, main_limit, periods
    binding: pd.DataFrame  # capacity, capacity_value, unit, shadow_price

    def figure(self, name: str):
        row = self.figures.loc[self.figures["figure"] == name, "value"]
        return row.iloc[0] if len(row) else None


@dataclass
class PlanResult:
    """The §4 sheets as DataFrames, in workbook order, and the Summary's figures and tables."""

    sheets: dict[str, pd.DataFrame]
    summary: Summary
    run: RunInfo
    currency: str = "USD"
    periods: list[str] = field(default_factory=list)
    status: str = "optimal"
    objective: float = math.nan

    def to_json(self) -> dict:
        def records(sheet, columns):
            frame = self.sheets[sheet][columns].replace([np.inf, -np.inf], np.nan).astype(object)
            return frame.where(frame.notna(), None).to_dict("records")

        causes = self.sheets["ShortfallCauses"]
        return {
            "status": self.status,
            "objective": self.objective,
            "scenario": self.run.scenario,
            "plan": self.summary.title["plan"],
            "input": self.run.input_file,
            "run_at": self.run.started.isoformat(),
            "currency": self.currency,
            "spend": {f: _json_number(v) for f, v, _ in self.summary.figures.itertuples(index=False)
                      if f in SPEND_FIGURES},
            "unmet_t": unmet_by_sector_material(self.sheets["Shortfall"]),
            "licence_shadow_prices": records("LicenceShadowPrices", [
                "source", "material", "period", "end_use", "cap_t", "flow_t", "shadow_price", "range_low_t",
                "range_high_t", "allowable_increase_t", "allowable_decrease_t", "binding"]),
            "shortfall": records("Shortfall", ["sector", "material", "period", "demand_t", "served_t", "unmet_t"]),
            "procurement": records("Procurement", ["source", "material", "period", "bought_t", "price", "controlled",
                                                   "reduced_cost"]),
            "material_prices": records("MaterialPrices", ["material", "channel", "period", "shadow_price", "set_by"]),
            "stockpiles": records("Stockpiles", ["stockpile", "material", "period", "level_t", "acquired_t",
                                                 "released_t"]),
            "shortfall_causes": records("ShortfallCauses", list(causes.columns)),
        }


SPEND_FIGURES = ("procurement", "processing", "stock holding", "stockpile sizing", "total spend",
                 "shortfall penalty (notional)", "objective")


def unmet_by_sector_material(shortfall: pd.DataFrame) -> dict[str, dict[str, float]]:
    """{sector: {material: unmet t}} over the horizon, for every (sector, material) with demand."""
    grouped = shortfall.groupby(["sector", "material"], sort=False)["unmet_t"].sum()
    out: dict[str, dict[str, float]] = {}
    for (sector, material), value in grouped.items():
        out.setdefault(sector, {})[material] = float(value)
    return out


def _json_number(value):
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def build_result(data: PlanData, solution: Solution, run: RunInfo, *, all_causes: bool = False) -> PlanResult:
    """The §4 tables; `all_causes` explains every shortfall in ShortfallCauses even on a very large plan."""
    delta = data.discount_factors()
    keys3 = ["source", "material", "period"]
    supply = data["Supply"][["source", "material", "period", "capacity_t", "price"]].copy()
    buy = solution.variables["buy"].copy()
    compiled = solution.compiled
    col_dual = solution.arrays["col_dual"][compiled.columns["buy"]]
    buy["reduced"] = np.maximum(col_dual, 0.0) / buy["period"].map(delta).to_numpy(float)
    bought = buy.groupby(keys3, sort=False, as_index=False).agg(bought_t=("value", "sum"), reduced_cost=("reduced", "min"))
    bought.loc[bought["bought_t"] > ZERO, "reduced_cost"] = 0.0
    bought["reduced_cost"] = bought["reduced_cost"].where(bought["reduced_cost"] > ZERO, 0.0)
    licence = (solution.rows["licence"].groupby(keys3, sort=False, as_index=False)["rhs"]
               .sum().rename(columns={"rhs": "licence_cap_t"}))
    controlled = dict(zip(data["Sources"]["source"], data["Sources"]["controlled"].astype(bool)))
    procurement = (bought.merge(supply, on=keys3).merge(licence, on=keys3, how="left"))
    procurement["controlled"] = procurement["source"].map(controlled).astype(bool)
    procurement = procurement[["source", "material", "period", "bought_t", "capacity_t", "licence_cap_t", "price",
                               "reduced_cost", "controlled"]]

    allocation = solution.variables["use"].rename(columns={"value": "used_t"})

    demand = data["Demand"][["sector", "material", "period", "demand_t"]].copy()
    unmet = solution.variables["short"].rename(columns={"value": "unmet_t"})
    shortfall = demand.merge(unmet, on=["sector", "material", "period"])
    shortfall["served_t"] = shortfall["demand_t"] - shortfall["unmet_t"]
    positive = shortfall["demand_t"] > 0
    shortfall["service_level"] = np.where(positive, shortfall["served_t"] / shortfall["demand_t"].where(positive), 1.0)
    shortfall = shortfall[["sector", "material", "period", "demand_t", "served_t", "unmet_t", "service_level"]]

    keys = ["stockpile", "material", "period"]
    stockpiles = (solution.variables["level"].rename(columns={"value": "level_t"})
                  .merge(solution.variables["acq"].rename(columns={"value": "acquired_t"}), on=keys)
                  .merge(solution.variables["rel"].rename(columns={"value": "released_t"}), on=keys))

    processes = solution.variables["run"].rename(columns={"value": "activity"})

    licence_prices = _licence_prices(solution)
    material_prices = _material_prices(solution)
    shadow_prices = _shadow_prices(solution)
    causes = _causes_sheet(solution, data, all_causes)

    currency = str(data.settings.get("currency", "USD"))
    summary = _summary(data, solution, run, procurement, shortfall, licence_prices, causes, shadow_prices, currency)
    run_sheet = pd.DataFrame([
        ("plan", summary.title["plan"]), ("scenario", run.scenario), ("input file", run.input_file),
        ("input SHA-256", run.input_sha256), ("date and time", run.started.strftime("%Y-%m-%d %H:%M:%S")),
        ("version", run.version), ("solver", solution.solver), ("status", solution.status),
        ("build time (s)", round(run.build_seconds, 3)), ("solve time (s)", round(solution.solve_seconds, 3)),
        ("wall time (s)", round(run.wall_seconds, 3)),
        ("variables", int(compiled.lp.num_col)), ("constraints", int(compiled.lp.num_row)),
    ], columns=["item", "value"])
    sheets = {
        "Summary": summary.figures, "Procurement": procurement, "Allocation": allocation, "Shortfall": shortfall,
        "Stockpiles": stockpiles, "Processes": processes, "LicenceShadowPrices": licence_prices,
        "MaterialPrices": material_prices, "ShadowPrices": shadow_prices, "ShortfallCauses": causes, "Run": run_sheet,
    }
    return PlanResult(sheets=sheets, summary=summary, run=run, currency=currency, periods=data.periods,
                      status=solution.status, objective=float(solution.objective))


def _material_prices(solution: Solution) -> pd.DataFrame:
    """Balance-row prices, with `set_by` naming the sectors whose shortfall penalty the price is: a sector short
    of the material in that period (unmet > 0) whose discounted penalty δ_t·penalty equals the price (1e-6
    relative). Such a price is a planning assumption, not a market signal."""
    prices = solution.rows["balance"][["material", "channel", "period", "shadow_price"]].reset_index(drop=True)
    short = solution.variables["short"][["sector", "material", "period", "value"]].copy()
    short["penalty"] = solution.compiled.lp.col_cost[solution.compiled.columns["short"]]
    short = short[short["value"] > ZERO]
    pairs = prices.reset_index().merge(short, on=["material", "period"])
    pairs = pairs[np.isclose(pairs["shadow_price"], pairs["penalty"], rtol=1e-6, atol=1e-9)]
    sectors = pairs.groupby("index", sort=False)["sector"].agg(lambda s: "; ".join(dict.fromkeys(s)))
    prices["set_by"] = ("shortfall penalty: " + sectors).reindex(prices.index).fillna("")
    return prices


def _licence_prices(solution: Solution) -> pd.DataFrame:
    licence_keys = ["source", "material", "period", "end_use"]
    lic = solution.rows["licence"].merge(solution.licence_ranges, on=licence_keys)
    lic = lic.merge(solution.variables["buy"].rename(columns={"value": "flow_t"}), on=licence_keys)
    increase = lic["range_high_t"] - lic["rhs"]
    decrease = lic["rhs"] - lic["range_low_t"]
    binding = (lic["slack"] <= ZERO) & (lic["shadow_price"] > ZERO)
    short_range = binding & (increase < WHOLE_TONNE)
    note = [f"value holds for the next {tonnes(up)} t only" if short else ""
            for short, up in zip(short_range.tolist(), increase.tolist())]
    return pd.DataFrame({
        "source": lic["source"], "material": lic["material"], "period": lic["period"], "end_use": lic["end_use"],
        "cap_t": lic["rhs"], "flow_t": lic["flow_t"], "shadow_price": lic["shadow_price"],
        "range_low_t": lic["range_low_t"], "range_high_t": lic["range_high_t"],
        "allowable_increase_t": increase.where(np.isfinite(increase)),
        "allowable_decrease_t": decrease.where(np.isfinite(decrease)),
        "binding": binding, "note": note})


def _shadow_prices(solution: Solution) -> pd.DataFrame:
    shadow_rows = []
    for name, family in FAMILIES.items():
        frame = solution.rows[name]
        if frame.empty:
            continue
        columns = [frame[k].astype(str) for k in family.keys]
        key_text = columns[0].str.cat(columns[1:], sep=" | ") if len(columns) > 1 else columns[0]
        shadow_rows.append(pd.DataFrame({
            "constraint": name + "[" + key_text + "]", "family": name, "keys": key_text,
            "rhs": frame["rhs"], "slack": frame["slack"], "shadow_price": frame["shadow_price"]}))
    return pd.concat(shadow_rows, ignore_index=True)


def _limit_keys(family: str, key: tuple) -> dict[str, str]:
    names = LIMIT_KEYS.get(family) or FAMILIES[family].keys
    return dict(zip(names, key))


def _causes_sheet(solution: Solution, data: PlanData, all_causes: bool = False) -> pd.DataFrame:
    raw = shortfall_causes(solution, max_shortfalls=None if all_causes else "default")
    limit, keys, unit = [], [], []
    skipped = int((raw["limit_row"] == NOT_ANALYSED).sum())
    for family, key, row in zip(raw["family"], raw["key"], raw["limit_row"]):
        if row == NOT_ANALYSED:
            limit.append(f"not analysed: {skipped:,} smaller shortfalls of this large plan are left out "
                         "(solve --all-causes explains every one)")
            keys.append("")
            unit.append("")
            continue
        if not family:
            limit.append(NO_LIMIT_CAUSE)
            keys.append("")
            unit.append("")
            continue
        named = _limit_keys(family, key)
        limit.append(describe_limit(family, named))
        keys.append(" | ".join(str(v) for v in key if v != ""))  # a blank end_use is no key part
        unit.append(limit_unit(family))
    return pd.DataFrame({
        "sector": raw["sector"], "material": raw["material"], "period": raw["period"], "unmet_t": raw["unmet_t"],
        "rank": raw["rank"].astype(int), "limit": limit, "family": raw["family"], "keys": keys,
        "limit_value": raw["limit_t"], "unit": unit, "shadow_price": raw["shadow_price"],
        "served_t_per_unit": raw["served_t_per_unit"], "holds_from": raw["holds_from"], "holds_to": raw["holds_to"]})


def _summary(data, solution, run, procurement, shortfall, licences, causes, shadow, currency) -> Summary:
    money_unit = f"{currency}, present value"
    parts = solution.cost_parts
    spend = parts["procurement"] + parts["processing"] + parts["holding"] + parts["stockpile_sizing"]
    figures = pd.DataFrame([
        ("procurement", parts["procurement"], money_unit),
        ("processing", parts["processing"], money_unit),
        ("stock holding", parts["holding"], money_unit),
        ("stockpile sizing", parts["stockpile_sizing"], money_unit),
        ("total spend", spend, money_unit),
        ("shortfall penalty (notional)", parts["shortfall_penalty"], money_unit),
        ("objective", solution.objective, f"{money_unit}: spend + notional penalty"),
        ("solver status", solution.status, ""),
        ("solve time", round(solution.solve_seconds, 3), "s"),
    ], columns=["figure", "value", "unit"])
    title = {"plan": str(data.settings.get("name") or run.input_name), "scenario": run.scenario,
             "input": run.input_name, "run at": run.started.strftime("%Y-%m-%d %H:%M")}
    return Summary(title=title, figures=figures,
                   unmet=unmet_table(shortfall, list(data["Sectors"]["sector"])),
                   controlled=_capped(controlled_table(procurement), "bought_t", SUMMARY_ROWS, "material",
                                      "more materials: sheet Procurement"),
                   top_licences=_capped(top_licences(solution, licences, currency), "shadow_price", SUMMARY_ROWS,
                                        "material", "more materials: sheet LicenceShadowPrices"),
                   causes=_capped(main_causes(causes, data.periods), "unmet_t", SUMMARY_ROWS, "sector",
                                  "more: sheet ShortfallCauses"),
                   binding=binding_capacities(shadow))


SUMMARY_ROWS = 10  # rows per Summary table, so that Summary stays one readable page on a large plan
UNMET_ROWS = 16  # short (sector, material) pairs listed on Summary, the largest shares first


def _capped(table: pd.DataFrame, by: str, rows: int, label: str, more: str) -> pd.DataFrame:
    """The `rows` largest by `by` (in their original order), and a last row saying how many more there are."""
    if len(table) <= rows:
        return table
    keep = table.loc[sorted(table[by].astype(float).nlargest(rows).index)]
    extra = {c: (np.nan if pd.api.types.is_numeric_dtype(table[c]) else "") for c in table.columns}
    extra[label] = f"({len(table) - rows} {more})"
    return pd.concat([keep, pd.DataFrame([extra])], ignore_index=True)


def unmet_table(shortfall: pd.DataFrame, sectors: list[str]) -> pd.DataFrame:
    """Unmet t and % of demand per sector and material; a sector (or the rest of one) fully served is one row."""
    grouped = shortfall.groupby(["sector", "material"], sort=False)[["demand_t", "unmet_t"]].sum().reset_index()
    grouped = grouped[grouped["demand_t"] > 0]
    grouped["share"] = grouped["unmet_t"] / grouped["demand_t"]
    shown = grouped[grouped["unmet_t"] > 1e-6]
    hidden = 0
    if len(shown) > UNMET_ROWS:  # a large plan: the worst shares, so that Summary stays one page
        hidden = len(shown) - UNMET_ROWS
        shown = shown.loc[shown["share"].nlargest(UNMET_ROWS).index]
    rows = []
    for sector in sectors:
        mine = grouped[grouped["sector"] == sector]
        short = shown[shown["sector"] == sector]
        for r in short.itertuples(index=False):
            rows.append((sector, r.material, r.demand_t, r.unmet_t, r.unmet_t / r.demand_t))
        every_short_shown = len(short) == (mine["unmet_t"] > 1e-6).sum()
        if len(mine) and len(short) < len(mine) and every_short_shown:
            rows.append((sector, OTHER_MATERIALS if len(short) else EVERY_MATERIAL, np.nan, 0.0, 0.0))
    if hidden:
        rows.append((f"({hidden} more short sector and material pairs: sheet Shortfall)", "", np.nan, np.nan, np.nan))
    return pd.DataFrame(rows, columns=["sector", "material", "demand_t", "unmet_t", "unmet_share"])


def controlled_table(procurement: pd.DataFrame) -> pd.DataFrame:
    """Per material: tonnes bought, of which from controlled sources, and that share."""
    bought = procurement.assign(controlled_t=procurement["bought_t"].where(procurement["controlled"], 0.0))
    table = bought.groupby("material", sort=False)[["bought_t", "controlled_t"]].sum().reset_index()
    table = table[table["bought_t"] > ZERO].copy()
    table["controlled_share"] = table["controlled_t"] / table["bought_t"]
    return table.reset_index(drop=True)


def top_licences(solution: Solution, licences: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The most valuable licence of each material (earliest period on ties), and what a whole tonne is worth.

    Where the shadow price holds over less than a tonne, the cap is raised by one tonne in the live
    solver (warm start) to give the average value of that whole tonne; the solver is put back after.
    """
    valuable = licences[licences["shadow_price"] > ZERO]
    order = valuable.sort_values("shadow_price", ascending=False, kind="stable")
    top = order.drop_duplicates("material").copy()
    top["whole_tonne_value"] = np.nan
    top["note"] = ""
    rows = solution.compiled.rows["licence"]
    keys = {tuple(k): i for i, k in enumerate(solution.compiled.row_keys["licence"])}
    for idx, r in top.iterrows():
        increase = r["allowable_increase_t"]
        if pd.notna(increase) and increase < WHOLE_TONNE:
            row = rows.start + keys[(r["source"], r["material"], r["period"], r["end_use"])]
            value = whole_unit_value(solution, row)
            top.loc[idx, "whole_tonne_value"] = value
            if value is not None and math.isfinite(value):
                top.loc[idx, "note"] = (f"holds for {tonnes(increase)} t only; a whole extra tonne is worth "
                                        f"{money(value)} {currency}/t on average")
    return top[["material", "source", "period", "end_use", "shadow_price", "cap_t", "range_low_t", "range_high_t",
                "allowable_increase_t", "whole_tonne_value", "note"]].reset_index(drop=True)


def whole_unit_value(solution: Solution, row: int) -> float:
    """Fall in the optimal objective when the upper bound of `row` rises by one unit (a warm re-solve)."""
    solver = solution.live
    h = solver.highs
    lower, upper = float(solver.lp.row_lower[row]), float(solver.lp.row_upper[row])
    h.changeRowBounds(row, lower, upper + 1.0)
    try:
        solver.run()
        value = solution.objective - solver.objective
    finally:
        h.changeRowBounds(row, lower, upper)
        solver.set_basis(solution.arrays["col_status"], solution.arrays["row_status"])
        solver.run()
    return value


def main_causes(causes: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    """Per shortfalling (sector, material): periods short, unmet t and the limit that most often comes first."""
    from planner.words import period_span

    if causes.empty:
        return pd.DataFrame(columns=["sector", "material", "periods", "unmet_t", "main_limit"])
    first = causes[(causes["rank"] == 1) | (causes["limit"] == NO_LIMIT_CAUSE)]
    first = first.assign(pattern=[_without_period(f, k) for f, k in zip(first["family"], first["keys"])])
    rows = []
    for (sector, material), group in first.groupby(["sector", "material"], sort=False):
        common = group["pattern"].value_counts()
        label, count = common.index[0], int(common.iloc[0])
        text = label if count == len(group) else f"{label} ({count} of {len(group)} periods)"
        rows.append((sector, material, f"{len(group)} periods, {period_span(list(group['period']), periods)}",
                     float(group["unmet_t"].sum()), text))
    return pd.DataFrame(rows, columns=["sector", "material", "periods", "unmet_t", "main_limit"])


def _without_period(family: str, keys: str) -> str:
    if not family:
        return NO_LIMIT_CAUSE
    names = LIMIT_KEYS.get(family) or FAMILIES[family].keys
    key = dict(zip(names, keys.split(" | ")))
    key.pop("period", None)
    text = describe_limit(family, {**key, "period": "@"})
    return text.replace(" in @", "").replace(" / @", "")


def binding_capacities(shadow: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """Source and process capacities that bind and are worth something (capacity-0 rows are not capacities)."""
    binding = shadow[shadow["family"].isin(["supply_capacity", "process_capacity"]) & (shadow["slack"] <= ZERO)
                     & (shadow["shadow_price"] > ZERO) & (shadow["rhs"] > ZERO)]
    binding = binding.sort_values("shadow_price", ascending=False, kind="stable").head(top)
    words = [describe_limit(f, dict(zip(FAMILIES[f].keys, k.split(" | "))))
             for f, k in zip(binding["family"], binding["keys"])]
    return pd.DataFrame({"capacity": words, "capacity_value": binding["rhs"].to_numpy(),
                         "unit": [limit_unit(f) for f in binding["family"]],
                         "shadow_price": binding["shadow_price"].to_numpy()})


__all__ = ["INITIAL_STOCK", "PlanResult", "RunInfo", "Summary", "build_result", "unmet_by_sector_material"]
