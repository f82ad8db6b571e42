"""The planning LP of SPEC §3 in Pyomo.

Variables (all ≥ 0): buy[s,m,t], run[p,c,t], move[m,c,c',t], use[k,m,c,t], short[k,m,t],
level[h,t], acq[h,t], rel[h,t], size[h] (sizable rows only).

Objective (minimise):
    Σ_t δ_t [Σ price·buy + Σ cost·run + Σ holding_cost·level + Σ penalty·short] + Σ_h size_cost·size[h]

Each constraint family is one Pyomo component named as in `FAMILIES`, whose entry says how its dual
becomes a shadow price in the sense of SPEC §4 (the fall in the objective per unit the row is eased).
The structure (index sets) comes from `models.structure`; every number lives in a mutable Param set
by `PlanModel.set_numbers`, so a study can change numbers and re-solve without rebuilding.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import pyomo.environ as pyo

from models.data import PlanData
from models.structure import Structure, derive_structure

GE, LE, EQ = ">=", "<=", "=="


@dataclass(frozen=True)
class Family:
    label: str  # what the row means, in planner words
    sense: str
    keys: tuple[str, ...]
    shadow_sign: int  # shadow price = shadow_sign × solver dual (minimisation)
    hard: bool  # a user's hard limit: relaxed when diagnosing a conflict


FAMILIES: dict[str, Family] = {
    "balance": Family("material balance: supply ≥ use", GE, ("material", "channel", "period"), +1, False),
    "demand": Family("demand: served + unmet = demand", EQ, ("sector", "material", "period"), +1, False),
    "supply_capacity": Family("source capacity", LE, ("source", "material", "period"), -1, True),
    "min_take": Family("minimum take", GE, ("source", "material", "period"), +1, True),
    "licence": Family("licence cap", LE, ("source", "material", "period"), -1, True),
    "process_capacity": Family("process capacity", LE, ("process", "period"), -1, True),
    "stock_balance": Family("stock balance", EQ, ("stockpile", "material", "period"), -1, False),
    "stock_min": Family("stock floor (min_level_t)", GE, ("stockpile", "material", "period"), +1, True),
    "stock_max": Family("stock ceiling (max_level_t)", LE, ("stockpile", "material", "period"), -1, True),
    "stock_end": Family("end level (end_min_t)", GE, ("stockpile", "material"), +1, True),
    "release_cap": Family("release limit (max_release_t)", LE, ("stockpile", "material", "period"), -1, True),
    "acquire_cap": Family("acquisition limit (max_acquire_t)", LE, ("stockpile", "material", "period"), -1, True),
    "size_cap": Family("stockpile size limit (max_size_t)", LE, ("stockpile", "material"), -1, True),
}


def licence_caps(data: PlanData, keys) -> dict[tuple[str, str, str], float]:
    """cap[s,m,t] = Σ requested_t × approval_rate over licences of (s, m) applied in t' with t' + lead_time = t.

    Deliveries falling beyond the horizon are dropped; a key with no licence has cap 0.
    """
    periods = data.periods
    caps = dict.fromkeys(keys, 0.0)
    for lic in data["Licences"].itertuples():
        arrival = periods.index(lic.period) + int(lic.lead_time)
        key = (lic.source, lic.material, periods[arrival]) if arrival < len(periods) else None
        if key in caps:
            caps[key] += float(lic.requested_t) * float(lic.approval_rate)
    return caps


class StructureChanged(ValueError):
    """New numbers that the existing rows and columns cannot represent."""


class PlanModel:
    """The Pyomo model of one plan, with its structure and the numbers it was last given."""

    def __init__(self, data: PlanData, structure: Structure | None = None, *, elastic: bool = False):
        self.structure = structure or derive_structure(data)
        self.elastic = elastic
        self.model = _build(self.structure, elastic)
        self._load(data)

    def family(self, name: str) -> pyo.Constraint:
        return self.model.component(name)

    def set_numbers(self, data: PlanData) -> None:
        """Load every number of `data` into the model's Params, for a re-solve without rebuilding.

        Raises StructureChanged when the new numbers need other rows (e.g. a min_take from 0 to positive).
        """
        if derive_structure(data) != self.structure:
            raise StructureChanged("these numbers need rows the model does not have: build a new PlanModel")
        self._load(data)

    def _load(self, data: PlanData) -> None:
        st, m = self.structure, self.model
        supply = data["Supply"]
        keys = list(zip(supply["source"], supply["material"], supply["period"]))
        _store(m.capacity_t, zip(keys, supply["capacity_t"]))
        _store(m.price, zip(keys, supply["price"]))
        _store(m.min_take_t, ((k, v) for k, v in zip(keys, supply["min_take_t"]) if k in m.min_take_t.index_set()))
        _store(m.licence_cap_t, licence_caps(data, st.licence).items())

        sector_penalty = dict(zip(data["Sectors"]["sector"], data["Sectors"]["shortfall_penalty"]))
        demand = data["Demand"]
        _store(m.demand_t, zip(st.demand, demand["demand_t"]))
        _store(m.penalty, ((k, sector_penalty[k[0]] if math.isnan(p) else p)
                           for k, p in zip(st.demand, demand["shortfall_penalty"].astype(float))))

        processes = data["Processes"].set_index(["process", "period"])
        _store(m.process_cap, ((k, processes.at[k, "capacity"]) for k in st.processes))
        _store(m.process_cost, ((k, processes.at[k, "cost"]) for k in st.processes))

        stocks = data["Stockpiles"].set_index(["stockpile", "material"])
        for column in ("initial_t", "holding_cost", "size_cost", "end_min_t", "max_size_t"):
            _store(m.component(column), ((h, stocks.at[h, column]) for h in st.stock))
        for column in ("min_level_t", "max_level_t", "max_release_t", "max_acquire_t"):
            _store(m.component(column), (((g, mat, t), stocks.at[(g, mat), column]) for g, mat, t in st.stock_periods))
        _store(m.delta, data.discount_factors().items())


def _store(param, items) -> None:
    param.store_values({k: float(v) for k, v in items}, check=False)


def _build(st: Structure, elastic: bool) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel("reeplan")
    nonneg = pyo.NonNegativeReals

    def index(name, keys, dimen):
        s = pyo.Set(initialize=keys, dimen=dimen, ordered=True)
        m.add_component(name, s)
        return s

    def param(name, over):
        m.add_component(name, pyo.Param(over, mutable=True, initialize=0.0, within=pyo.Any))
        return m.component(name)

    supply = index("SUPPLY", st.supply, 3)
    licence = index("LICENCE", st.licence, 3)
    min_take = index("MIN_TAKE", st.min_take, 3)
    demand = index("DEMAND", st.demand, 3)
    use = index("USE", st.use, 4)
    processes = index("PROCESS", st.processes, 2)
    runs = index("RUN", st.runs, 3)
    moves = index("MOVE", [(mat, c, d, t) for t in st.periods for mat in st.materials for c, d in st.moves], 4)
    stock = index("STOCK", st.stock, 2)
    stock_t = index("STOCK_T", st.stock_periods, 3)
    sizable = index("SIZABLE", st.sizable, 2)
    m.PERIODS = pyo.Set(initialize=st.periods, ordered=True)

    for name, over in (("capacity_t", supply), ("price", supply), ("min_take_t", min_take), ("licence_cap_t", licence),
                       ("demand_t", demand), ("penalty", demand), ("process_cap", processes),
                       ("process_cost", processes), ("initial_t", stock), ("holding_cost", stock),
                       ("size_cost", stock), ("end_min_t", stock), ("max_size_t", stock), ("min_level_t", stock_t),
                       ("max_level_t", stock_t), ("max_release_t", stock_t), ("max_acquire_t", stock_t),
                       ("delta", m.PERIODS)):
        param(name, over)

    m.buy = pyo.Var(supply, within=nonneg)
    m.run = pyo.Var(runs, within=nonneg)
    m.move = pyo.Var(moves, within=nonneg)
    m.use = pyo.Var(use, within=nonneg)
    m.short = pyo.Var(demand, within=nonneg)
    m.level = pyo.Var(stock_t, within=nonneg)
    m.acq = pyo.Var(stock_t, within=nonneg)
    m.rel = pyo.Var(stock_t, within=nonneg)
    m.size = pyo.Var(sizable, within=nonneg)

    # Balance (m, c, t): Σ inflow − Σ outflow ≥ 0.
    terms = defaultdict(list)
    for s, mat, t in st.supply:
        terms[mat, st.source_channel[s], t].append((1.0, m.buy[s, mat, t]))
    for p, c, t in st.runs:
        for mat, input_t, output_t in st.recipe[p]:
            if output_t:
                terms[mat, c, t].append((output_t, m.run[p, c, t]))
            if input_t:
                terms[mat, c, t].append((-input_t, m.run[p, c, t]))
    for mat, c, d, t in moves:
        terms[mat, c, t].append((-1.0, m.move[mat, c, d, t]))
        terms[mat, d, t].append((1.0, m.move[mat, c, d, t]))
    for g, mat, t in st.stock_periods:
        terms[mat, st.stock_release[g, mat], t].append((1.0, m.rel[g, mat, t]))
        terms[mat, st.stock_origin[g, mat], t].append((-1.0, m.acq[g, mat, t]))
    for k, mat, c, t in st.use:
        terms[mat, c, t].append((-1.0, m.use[k, mat, c, t]))
    balance_keys = [key for key, ts in terms.items() if any(coef < 0 for coef, _ in ts)]

    def linear(pairs):
        return pyo.quicksum(coef * var for coef, var in pairs)

    stock_start = {h: (m.initial_t[h] + m.size[h] if h in sizable else m.initial_t[h]) for h in st.stock}
    previous = {(g, mat, t): (m.level[g, mat, st.periods[i - 1]] if i else stock_start[g, mat])
                for (g, mat) in st.stock for i, t in enumerate(st.periods)}
    last = st.periods[-1]
    channels_of = defaultdict(list)
    for k, mat, c, t in st.use:
        channels_of[k, mat, t].append(c)

    rows = {
        "balance": (balance_keys, 3, lambda key: (linear(terms[key]), 0.0)),
        "demand": (demand, 3, lambda key: (
            sum(m.use[key[0], key[1], c, key[2]] for c in channels_of[key]) + m.short[key], m.demand_t[key])),
        "supply_capacity": (supply, 3, lambda key: (m.buy[key], m.capacity_t[key])),
        "min_take": (min_take, 3, lambda key: (m.buy[key], m.min_take_t[key])),
        "licence": (licence, 3, lambda key: (m.buy[key], m.licence_cap_t[key])),
        "process_capacity": (processes, 2, lambda key: (
            sum(m.run[key[0], c, key[1]] for c in st.channels), m.process_cap[key])),
        # level[h,t] − level[h,t−1] − acq + rel = 0, with level[h,−1] = initial_t + size[h]
        "stock_balance": (stock_t, 3, lambda key: (
            m.level[key] - previous[key] - m.acq[key] + m.rel[key], 0.0)),
        "stock_min": (st.stock_min, 3, lambda key: (m.level[key], m.min_level_t[key])),
        "stock_max": (st.stock_max, 3, lambda key: (m.level[key], m.max_level_t[key])),
        "stock_end": (st.stock_end, 2, lambda key: (m.level[key[0], key[1], last], m.end_min_t[key])),
        "release_cap": (st.release_cap, 3, lambda key: (m.rel[key], m.max_release_t[key])),
        "acquire_cap": (stock_t, 3, lambda key: (m.acq[key], m.max_acquire_t[key])),
        "size_cap": (st.size_cap, 2, lambda key: (m.initial_t[key] + m.size[key], m.max_size_t[key])),
    }
    slacks = []
    for name, (keys, dimen, body_rhs) in rows.items():
        family = FAMILIES[name]
        over = keys if isinstance(keys, pyo.Set) else index(name.upper(), keys, dimen)
        slack = None
        if elastic and family.hard:
            slack = pyo.Var(over, within=nonneg)
            m.add_component(f"slack_{name}", slack)
            slacks.append(slack)
        m.add_component(name, pyo.Constraint(over, rule=_row_rule(family.sense, body_rhs, slack)))

    if elastic:
        m.objective = pyo.Objective(expr=sum(sum(s.values()) for s in slacks), sense=pyo.minimize)
    else:
        m.objective = pyo.Objective(expr=_cost(m, st), sense=pyo.minimize)
    return m


def _row_rule(sense, body_rhs, slack):
    def rule(_, *key):
        body, rhs = body_rhs(key)
        if slack is not None:
            body = body + slack[key] if sense == GE else body - slack[key]
        if sense == GE:
            return body >= rhs
        return body <= rhs if sense == LE else body == rhs
    return rule


# Objective part ← the variable whose columns carry its costs (the objective is separable by family).
COST_PARTS = {"procurement": "buy", "processing": "run", "holding": "level", "shortfall_penalty": "short",
              "stockpile_sizing": "size"}


def _cost(m, st):
    """Σ_t δ_t [price·buy + cost·run + holding_cost·level + penalty·short] + Σ_h size_cost·size[h]."""
    d = m.delta
    return (sum(d[t] * m.price[s, mat, t] * m.buy[s, mat, t] for s, mat, t in st.supply)
            + sum(d[t] * m.process_cost[p, t] * m.run[p, c, t] for p, c, t in st.runs)
            + sum(d[t] * m.holding_cost[g, mat] * m.level[g, mat, t] for g, mat, t in st.stock_periods)
            + sum(d[t] * m.penalty[k, mat, t] * m.short[k, mat, t] for k, mat, t in st.demand)
            + sum(m.size_cost[h] * m.size[h] for h in st.sizable))
