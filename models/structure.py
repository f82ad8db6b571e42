"""Index structure of the planning LP (SPEC §3): which variables and rows exist.

Everything here is derived once from the normalised tables and holds no prices, capacities or
demands, so numbers can change without the structure (and the Pyomo model) being rebuilt.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from models.data import PlanData

FREE = "free"
CONTROLLED = "controlled"


def reserved_channel(stockpile: str) -> str:
    return f"reserved:{stockpile}"


@dataclass
class Structure:
    periods: list[str]
    materials: list[str]
    sectors: list[str]
    channels: list[str]
    access: dict[str, frozenset[str]]  # acc(c): sectors that may draw from channel c
    moves: list[tuple[str, str]]  # (c, c') with acc(c') ⊆ acc(c)
    supply: list[tuple[str, str, str]]  # (source, material, period) with a Supply row
    source_channel: dict[str, str]
    licence: list[tuple[str, str, str]]  # supply keys of controlled sources and export-controlled materials
    demand: list[tuple[str, str, str]]  # (sector, material, period)
    use: list[tuple[str, str, str, str]]  # (sector, material, channel, period)
    processes: list[tuple[str, str]]  # (process, period) with a Processes row
    recipe: dict[str, list[tuple[str, float, float]]]  # process -> [(material, input_t, output_t)]
    runs: list[tuple[str, str, str]]  # (process, channel, period)
    stock: list[tuple[str, str]]  # (stockpile, material)
    stock_periods: list[tuple[str, str, str]]  # (stockpile, material, period)
    stock_origin: dict[tuple[str, str], str]  # acquisitions are drawn from this channel
    stock_release: dict[tuple[str, str], str]  # releases go to this channel
    sizable: list[tuple[str, str]]
    # rows that exist only where the base data gives them a finite or positive limit
    min_take: list[tuple[str, str, str]] = field(default_factory=list)
    stock_min: list[tuple[str, str, str]] = field(default_factory=list)
    stock_max: list[tuple[str, str, str]] = field(default_factory=list)
    stock_end: list[tuple[str, str]] = field(default_factory=list)
    release_cap: list[tuple[str, str, str]] = field(default_factory=list)
    size_cap: list[tuple[str, str]] = field(default_factory=list)



def channel_access(data: PlanData) -> dict[str, frozenset[str]]:
    sectors = data["Sectors"]
    access = {FREE: frozenset(sectors["sector"]),
              CONTROLLED: frozenset(sectors.loc[sectors["accepts_controlled"].astype(bool), "sector"])}
    for row in data["Stockpiles"].itertuples():
        if row.reserved_for:
            access[reserved_channel(row.stockpile)] = frozenset(row.reserved_for)
    return access


def derive_structure(data: PlanData) -> Structure:
    periods = data.periods
    access = channel_access(data)
    channels = list(access)
    controlled = set(data["Sources"].loc[data["Sources"]["controlled"].astype(bool), "source"])
    export_controlled = set(data["Materials"].loc[data["Materials"]["export_controlled"].astype(bool), "material"])

    supply_df = data["Supply"]
    supply = list(zip(supply_df["source"], supply_df["material"], supply_df["period"]))
    demand_df = data["Demand"]
    demand = list(zip(demand_df["sector"], demand_df["material"], demand_df["period"]))
    processes_df = data["Processes"]
    recipes_df = data["Recipes"]
    recipe = defaultdict(list)
    for r in recipes_df.itertuples():
        if r.input_t or r.output_t:
            recipe[r.process].append((r.material, float(r.input_t), float(r.output_t)))
    process_keys = [(p, t) for p, t in zip(processes_df["process"], processes_df["period"]) if p in recipe]
    stocks_df = data["Stockpiles"]
    stock = list(zip(stocks_df["stockpile"], stocks_df["material"]))
    stock_periods = [(g, m, t) for (g, m) in stock for t in periods]
    by_row = {(r.stockpile, r.material): r for r in stocks_df.itertuples()}

    def where(predicate):
        return [(g, m, t) for (g, m, t) in stock_periods if predicate(by_row[g, m])]

    return Structure(
        periods=periods,
        materials=list(data["Materials"]["material"]),
        sectors=list(data["Sectors"]["sector"]),
        channels=channels,
        access=access,
        moves=[(c, d) for c in channels for d in channels if c != d and access[d] <= access[c]],
        supply=supply,
        source_channel={s: CONTROLLED if s in controlled else FREE for s in data["Sources"]["source"]},
        licence=[k for k in supply if k[0] in controlled and k[1] in export_controlled],
        demand=demand,
        use=[(k, m, c, t) for (k, m, t) in demand for c in channels if k in access[c]],
        processes=process_keys,
        recipe=dict(recipe),
        runs=[(p, c, t) for (p, t) in process_keys for c in channels],
        stock=stock,
        stock_periods=stock_periods,
        stock_origin={(g, m): r.origin for (g, m), r in by_row.items()},
        stock_release={(g, m): reserved_channel(g) if r.reserved_for else r.origin for (g, m), r in by_row.items()},
        sizable=[(g, m) for (g, m), r in by_row.items() if r.sizable],
        min_take=[k for k, v in zip(supply, supply_df["min_take_t"]) if v > 0],
        stock_min=where(lambda r: r.min_level_t > 0),
        stock_max=where(lambda r: math.isfinite(r.max_level_t)),
        stock_end=[(g, m) for (g, m), r in by_row.items() if r.end_min_t > 0],
        release_cap=where(lambda r: math.isfinite(r.max_release_t)),
        size_cap=[(g, m) for (g, m), r in by_row.items() if r.sizable and math.isfinite(r.max_size_t)],
    )
