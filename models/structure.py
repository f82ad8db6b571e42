"""Index structure of the planning LP (SPEC §3): which variables and rows exist.

Everything here is derived from the normalised tables and holds no prices, capacities or demands,
so numbers can change without the structure (and the compiled model) being rebuilt. A study that
runs several cases builds the structure of all of them at once (`derive_structure(*cases)`): a row
that exists in any case exists in all, with a limit that leaves it slack where the case has none.

Channels (SPEC §3). Material is tracked by where it may go; acc(c) is the set of sectors that may
draw from channel c:
    acc(free) = every sector;  acc(controlled) = sectors accepting controlled supply;
    acc(reserved:g) = reserved_for(g) ∩ acc(origin of g);  acc(licensed:E) = E.
Channels with equal acc are one channel, named by the first of free, controlled, reserved:g
(stockpile order), licensed:E (licence order); the set is closed under non-empty intersections
(`only:<sectors>`). Material moves at no cost from c to c' exactly when acc(c') ⊂ acc(c).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from models.data import PlanData

FREE = "free"
CONTROLLED = "controlled"
NO_CLASS = ""  # buy variables that carry no end-use class (and licences with a blank end_use)


class StructureChanged(ValueError):
    """Cases whose channels, variables or rows differ in a way a union of rows cannot represent."""


def reserved_channel(stockpile: str) -> str:
    return f"reserved:{stockpile}"


def licensed_channel(end_use_class: str) -> str:
    return f"licensed:{end_use_class}"


@dataclass(frozen=True)
class Channels:
    names: tuple[str, ...]  # in naming order
    access: dict[str, frozenset[str]]  # acc(c)
    alias: dict[str, str]  # free, controlled, reserved:g, licensed:E -> the channel that holds it
    moves: tuple[tuple[str, str], ...]  # (c, c') with acc(c') ⊂ acc(c)


def end_use_class(end_use: str, accepting: set[str], sectors: list[str]) -> str:
    """E = end_use ∩ {sectors accepting controlled supply}, `;`-joined in Sectors order ('' for a blank end_use)."""
    if not end_use:
        return NO_CLASS
    listed = set(end_use.split(";"))
    return ";".join(k for k in sectors if k in listed and k in accepting)


def derive_channels(sectors: list[str], accepting: set[str], reserved: list[tuple[str, frozenset[str], str]],
                    classes: list[str]) -> Channels:
    """The closed, merged channel set. `reserved`: (stockpile, reserved_for, origin); `classes`: licence classes."""
    every = frozenset(sectors)
    origin_access = {FREE: every, CONTROLLED: frozenset(accepting)}
    logical = [(FREE, every), (CONTROLLED, frozenset(accepting))]
    logical += [(reserved_channel(g), frozenset(sectors_for) & origin_access[origin])
                for g, sectors_for, origin in reserved]
    logical += [(licensed_channel(e), frozenset(e.split(";"))) for e in classes if e]
    named: dict[frozenset[str], str] = {}
    alias = {}
    for name, acc in logical:
        alias[name] = named.setdefault(acc, name)
    order = {k: i for i, k in enumerate(sectors)}
    grown = True
    while grown:  # close under non-empty intersections
        grown = False
        for a in list(named):
            for b in list(named):
                meet = a & b
                if meet and meet not in named:
                    named[meet] = "only:" + ";".join(sorted(meet, key=order.__getitem__))
                    grown = True
    names = tuple(named.values())
    access = {name: acc for acc, name in named.items()}
    moves = tuple((c, d) for c in names for d in names if c != d and access[d] < access[c])
    return Channels(names, access, alias, moves)


@dataclass
class Structure:
    periods: list[str]
    materials: list[str]
    sectors: list[str]
    channels: Channels
    supply: list[tuple[str, str, str]]  # (source, material, period): one per Supply row
    buy: list[tuple[str, str, str, str]]  # (source, material, period, end-use class)
    buy_supply: list[int]  # the Supply row each buy variable belongs to
    buy_channel: list[str]  # the channel each purchase lands in
    licence: list[int]  # buy variables that need a licence (controlled source, export-controlled material)
    demand: list[tuple[str, str, str]]  # (sector, material, period)
    use: list[tuple[str, str, str, str]]  # (sector, material, channel, period)
    use_demand: list[int]  # the demand row each use variable serves
    processes: list[tuple[str, str]]  # (process, period) with a Processes row and a recipe
    recipe: list[tuple[str, str, bool, bool]]  # (process, material, consumes, produces)
    runs: list[tuple[str, str, str]]  # (process, channel, period)
    run_process: list[int]  # the Processes row of each run variable
    moves: list[tuple[str, str, str, str]]  # (material, from channel, to channel, period)
    stock: list[tuple[str, str]]  # (stockpile, material)
    stock_periods: list[tuple[str, str, str]]  # (stockpile, material, period)
    stock_origin: dict[tuple[str, str], str]  # channel acquisitions are drawn from
    stock_release: dict[tuple[str, str], str]  # channel releases go to
    sizable: list[tuple[str, str]]
    # rows that exist only where a case gives them a binding limit
    min_take: list[int] = field(default_factory=list)  # Supply rows with min_take_t > 0
    stock_min: list[int] = field(default_factory=list)  # stock periods with min_level_t > 0
    stock_max: list[int] = field(default_factory=list)  # stock periods with a finite max_level_t
    stock_end: list[int] = field(default_factory=list)  # stock rows with end_min_t > 0
    release_cap: list[int] = field(default_factory=list)  # stock periods with a finite max_release_t
    size_cap: list[int] = field(default_factory=list)  # sizable stock rows with a finite max_size_t

    @property
    def licence_keys(self) -> list[tuple[str, str, str, str]]:
        return [self.buy[i] for i in self.licence]


OPTIONAL_ROWS = ("min_take", "stock_min", "stock_max", "stock_end", "release_cap", "size_cap")


def derive_structure(*cases: PlanData) -> Structure:
    """The structure of one case, or of several cases at once (the union of their optional rows)."""
    first = _structure(cases[0])
    for other in cases[1:]:
        st = _structure(other)
        for f in fields(Structure):
            if f.name in OPTIONAL_ROWS:
                merged = sorted(set(getattr(first, f.name)) | set(getattr(st, f.name)))
                setattr(first, f.name, merged)
            elif f.name == "recipe":
                first.recipe = _merge_recipes(first.recipe, st.recipe)
            elif f.name in ("runs", "run_process"):
                continue  # follow from the merged recipes, below
            elif getattr(first, f.name) != getattr(st, f.name):
                raise StructureChanged(f"cases differ in {f.name.replace('_', ' ')}")
    if len(cases) > 1:
        first.runs, first.run_process = _runs(first.processes, first.recipe, first.channels)
    return first


def _merge_recipes(a, b):
    flags = {}
    for p, mat, consumes, produces in a + b:
        was = flags.get((p, mat), (False, False))
        flags[p, mat] = (was[0] or consumes, was[1] or produces)
    return [(p, mat, c, o) for (p, mat), (c, o) in flags.items()]


def _runs(processes, recipe, channels: Channels):
    with_recipe = {p for p, _, _, _ in recipe}
    runs, run_process = [], []
    for i, (p, t) in enumerate(processes):
        if p in with_recipe:
            for c in channels.names:
                runs.append((p, c, t))
                run_process.append(i)
    return runs, run_process


def _structure(data: PlanData) -> Structure:
    periods = data.periods
    sectors_df = data["Sectors"]
    sectors = list(sectors_df["sector"])
    accepting = set(sectors_df.loc[sectors_df["accepts_controlled"].astype(bool), "sector"])
    controlled = set(data["Sources"].loc[data["Sources"]["controlled"].astype(bool), "source"])
    export_controlled = set(data["Materials"].loc[data["Materials"]["export_controlled"].astype(bool), "material"])

    licences = data["Licences"]
    class_of = [end_use_class(e or "", accepting, sectors) for e in licences["end_use"].tolist()] if len(licences) else []
    classes = list(dict.fromkeys(c for c in class_of if c))
    classes_by_pair: dict[tuple[str, str], list[str]] = {}
    for s, m, c in zip(licences["source"].tolist(), licences["material"].tolist(), class_of):
        if c and c not in classes_by_pair.setdefault((s, m), []):
            classes_by_pair[s, m].append(c)

    stocks = data["Stockpiles"]
    reserved = []
    for g, group in stocks.groupby("stockpile", sort=False):
        row = group.iloc[0]
        if row["reserved_for"]:
            reserved.append((g, frozenset(row["reserved_for"]), row["origin"]))
    channels = derive_channels(sectors, accepting, reserved, classes)

    supply_df = data["Supply"]
    supply = list(zip(supply_df["source"].tolist(), supply_df["material"].tolist(), supply_df["period"].tolist()))
    buy, buy_supply, buy_channel, licence = [], [], [], []
    for j, (s, m, t) in enumerate(supply):
        needs_licence = s in controlled and m in export_controlled
        for c in [NO_CLASS] + (classes_by_pair.get((s, m), []) if needs_licence else []):
            if needs_licence:
                licence.append(len(buy))
            buy.append((s, m, t, c))
            buy_supply.append(j)
            if s not in controlled:
                buy_channel.append(channels.alias[FREE])
            else:
                buy_channel.append(channels.alias[licensed_channel(c) if c else CONTROLLED])

    demand_df = data["Demand"]
    demand = list(zip(demand_df["sector"].tolist(), demand_df["material"].tolist(), demand_df["period"].tolist()))
    use, use_demand = [], []
    for i, (k, m, t) in enumerate(demand):
        for c in channels.names:
            if k in channels.access[c]:
                use.append((k, m, c, t))
                use_demand.append(i)

    recipes_df = data["Recipes"]
    recipe = [(p, m, bool(i > 0), bool(o > 0)) for p, m, i, o in
              zip(recipes_df["process"].tolist(), recipes_df["material"].tolist(), recipes_df["input_t"].tolist(),
                  recipes_df["output_t"].tolist())
              if i > 0 or o > 0]
    processes_df = data["Processes"]
    processes = list(zip(processes_df["process"].tolist(), processes_df["period"].tolist()))
    runs, run_process = _runs(processes, recipe, channels)

    stock = list(zip(stocks["stockpile"].tolist(), stocks["material"].tolist()))
    stock_periods = [(g, m, t) for (g, m) in stock for t in periods]
    n_periods = len(periods)

    def per_period(mask) -> list[int]:
        return [h * n_periods + i for h, on in enumerate(mask) for i in range(n_periods) if on]

    stock_origin = {h: channels.alias[o] for h, o in zip(stock, stocks["origin"])}
    stock_release = {h: channels.alias[reserved_channel(h[0]) if r else o]
                     for h, r, o in zip(stock, stocks["reserved_for"], stocks["origin"])}
    sizable = stocks["sizable"].astype(bool).to_numpy()
    return Structure(
        periods=periods, materials=list(data["Materials"]["material"]), sectors=sectors, channels=channels,
        supply=supply, buy=buy, buy_supply=buy_supply, buy_channel=buy_channel, licence=licence,
        demand=demand, use=use, use_demand=use_demand,
        processes=processes, recipe=recipe, runs=runs, run_process=run_process,
        moves=[(m, c, d, t) for t in periods for m in data["Materials"]["material"] for c, d in channels.moves],
        stock=stock, stock_periods=stock_periods, stock_origin=stock_origin, stock_release=stock_release,
        sizable=[h for h, on in zip(stock, sizable) if on],
        min_take=[j for j, v in enumerate(supply_df["min_take_t"].tolist()) if v > 0],
        stock_min=per_period(stocks["min_level_t"] > 0),
        stock_max=per_period(stocks["max_level_t"].map(math.isfinite)),
        stock_end=[h for h, v in enumerate(stocks["end_min_t"]) if v > 0],
        release_cap=per_period(stocks["max_release_t"].map(math.isfinite)),
        size_cap=[h for h, (on, v) in enumerate(zip(sizable, stocks["max_size_t"])) if on and math.isfinite(v)],
    )

