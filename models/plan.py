"""The planning LP of SPEC §3 in Pyomo: the one statement of every constraint family.

Variables (all ≥ 0), each indexed by position in the structure's key list (`models.structure`):
    buy[s,m,t,u]  run[p,c,t]  move[m,c,c',t]  use[k,m,c,t]  short[k,m,t]
    level[h,t]  acq[h,t]  rel[h,t]  size[h] (sizable rows only)

Objective (minimise), with δ_t the discount factor folded into the cost Params by `param_values`:
    Σ_t δ_t [Σ price·buy + Σ cost·run + Σ holding_cost·level + Σ penalty·short] + Σ_h size_cost·size[h]

Every number lives in a mutable Param indexed like the structure list it belongs to, and enters the
model linearly (a right-hand side, a coefficient or a cost), so `models.compiled` can record which
Param feeds which entry of the solver's arrays: a study changes numbers there, never here.
Each family's entry in `FAMILIES` says how its dual becomes a shadow price in the sense of SPEC §4
(the fall in the objective per unit the row is eased).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.core as pyo  # the modelling core only: no solver plugins are needed to build and compile
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from models.data import PlanData
from models.structure import OPTIONAL_ROWS, Structure, StructureChanged, derive_structure, end_use_class

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
    "licence": Family("licence cap", LE, ("source", "material", "period", "end_use"), -1, True),
    "process_capacity": Family("process capacity", LE, ("process", "period"), -1, True),
    "stock_balance": Family("stock balance", EQ, ("stockpile", "material", "period"), -1, False),
    "stock_min": Family("stock floor (min_level_t)", GE, ("stockpile", "material", "period"), +1, True),
    "stock_max": Family("stock ceiling (max_level_t)", LE, ("stockpile", "material", "period"), -1, True),
    "stock_end": Family("end level (end_min_t)", GE, ("stockpile", "material"), +1, True),
    "release_cap": Family("release limit (max_release_t)", LE, ("stockpile", "material", "period"), -1, True),
    "acquire_cap": Family("acquisition limit (max_acquire_t)", LE, ("stockpile", "material", "period"), -1, True),
    "size_cap": Family("stockpile size limit (max_size_t)", LE, ("stockpile", "material"), -1, True),
}

# Variable families: their key names, in declaration (= column) order.
VARIABLES: dict[str, tuple[str, ...]] = {
    "buy": ("source", "material", "period", "end_use"), "run": ("process", "channel", "period"),
    "move": ("material", "from_channel", "to_channel", "period"), "use": ("sector", "material", "channel", "period"),
    "short": ("sector", "material", "period"), "level": ("stockpile", "material", "period"),
    "acq": ("stockpile", "material", "period"), "rel": ("stockpile", "material", "period"),
    "size": ("stockpile", "material"),
}

# Objective part ← the variable whose columns carry its costs (the objective is separable by family).
COST_PARTS = {"procurement": "buy", "processing": "run", "holding": "level", "shortfall_penalty": "short",
              "stockpile_sizing": "size"}

# Each Param: the structure list it is indexed over (position i is that list's i-th key).
PARAMS = {
    "capacity_t": "supply", "buy_cost": "supply", "min_take_t": "min_take", "licence_cap_t": "licence",
    "demand_t": "demand", "short_cost": "demand", "process_cap": "processes", "run_cost": "processes",
    "input_t": "recipe", "output_t": "recipe", "initial_t": "stock", "size_cost": "sizable",
    "end_min_t": "stock_end", "max_size_t": "size_cap", "holding_cost": "stock_periods",
    "min_level_t": "stock_min", "max_level_t": "stock_max", "max_release_t": "release_cap",
    "max_acquire_t": "stock_periods",
}


def param_values(data: PlanData, st: Structure) -> dict[str, np.ndarray]:
    """Every Param's values for `data`, as arrays aligned with the structure (costs discounted by δ_t)."""
    delta = data.discount_factors()
    supply, demand, stocks = data["Supply"], data["Demand"], data["Stockpiles"]
    processes, recipes = data["Processes"], data["Recipes"]
    if len(supply) != len(st.supply) or len(demand) != len(st.demand) or len(stocks) != len(st.stock):
        raise StructureChanged("these tables have other rows than the model")

    def discount(periods: pd.Series) -> np.ndarray:
        return periods.map(delta).to_numpy(float)

    sector_penalty = dict(zip(data["Sectors"]["sector"], data["Sectors"]["shortfall_penalty"]))
    penalty = demand["shortfall_penalty"].astype(float).fillna(demand["sector"].map(sector_penalty)).to_numpy(float)
    recipe = recipes.set_index(["process", "material"])
    recipe_keys = [(p, m) for p, m, _, _ in st.recipe]
    process_rows = processes.set_index(["process", "period"])
    process_keys = pd.MultiIndex.from_tuples(st.processes, names=["process", "period"]) if st.processes else None
    n_periods = len(st.periods)
    per_period = np.repeat
    stock_delta = np.tile(np.array([delta[t] for t in st.periods]), len(st.stock))

    def stock_column(name) -> np.ndarray:
        return stocks[name].to_numpy(float)

    def process_column(name) -> np.ndarray:
        return process_rows[name].reindex(process_keys).to_numpy(float) if process_keys is not None else np.zeros(0)

    return {
        "capacity_t": supply["capacity_t"].to_numpy(float),
        "buy_cost": discount(supply["period"]) * supply["price"].to_numpy(float),
        "min_take_t": supply["min_take_t"].to_numpy(float)[st.min_take],
        "licence_cap_t": licence_caps(data, st),
        "demand_t": demand["demand_t"].to_numpy(float),
        "short_cost": discount(demand["period"]) * penalty,
        "process_cap": process_column("capacity"),
        "run_cost": np.array([delta[t] for _, t in st.processes], dtype=float) * process_column("cost"),
        "input_t": recipe["input_t"].reindex(recipe_keys).to_numpy(float) if recipe_keys else np.zeros(0),
        "output_t": recipe["output_t"].reindex(recipe_keys).to_numpy(float) if recipe_keys else np.zeros(0),
        "initial_t": stock_column("initial_t"),
        "size_cost": stock_column("size_cost")[[st.stock.index(h) for h in st.sizable]],
        "end_min_t": stock_column("end_min_t")[st.stock_end],
        "max_size_t": stock_column("max_size_t")[st.size_cap],
        "holding_cost": stock_delta * per_period(stock_column("holding_cost"), n_periods),
        "min_level_t": per_period(stock_column("min_level_t"), n_periods)[st.stock_min],
        "max_level_t": per_period(stock_column("max_level_t"), n_periods)[st.stock_max],
        "max_release_t": per_period(stock_column("max_release_t"), n_periods)[st.release_cap],
        "max_acquire_t": per_period(stock_column("max_acquire_t"), n_periods),
    }


def licence_caps(data: PlanData, st: Structure) -> np.ndarray:
    """cap[s,m,t,u] = Σ requested_t × approval_rate over licences of (s, m, end-use class u) applied in t'
    with t' + lead_time = t. Deliveries falling beyond the horizon are dropped; no licence means cap 0."""
    licences = data["Licences"]
    keys = st.licence_keys
    if licences.empty or not keys:
        return np.zeros(len(keys))
    periods = st.periods
    sectors = data["Sectors"]
    accepting = set(sectors.loc[sectors["accepts_controlled"].astype(bool), "sector"])
    arrival = licences["period"].map({p: i for i, p in enumerate(periods)}).to_numpy(int) + \
        licences["lead_time"].to_numpy(int)
    inside = arrival < len(periods)
    amount = licences["requested_t"].to_numpy(float) * licences["approval_rate"].to_numpy(float)
    classes = [end_use_class(e or "", accepting, st.sectors) for e in licences["end_use"]]
    caps: dict[tuple, float] = defaultdict(float)
    for s, m, a, u, q, ok in zip(licences["source"], licences["material"], arrival, classes, amount, inside):
        if ok:
            caps[s, m, periods[a], u] += q
    return np.array([caps.get(k, 0.0) for k in keys], dtype=float)


class PlanModel:
    """The Pyomo model of one plan (or of the union of a study's cases), with its Params set for `data`."""

    def __init__(self, data: PlanData, structure: Structure | None = None, *, elastic: bool = False):
        self.structure = structure or derive_structure(data)
        self.elastic = elastic
        with PauseGC():
            self.model, self.rows = _build(self.structure, elastic)
        self._store(data)

    def family(self, name: str) -> pyo.Constraint:
        return self.model.component(name)

    def set_numbers(self, data: PlanData) -> None:
        """Load every number of `data` into the Params (StructureChanged if it needs rows the model lacks)."""
        if not _fits(derive_structure(data), self.structure):
            raise StructureChanged("these numbers need rows the model does not have: build a new PlanModel")
        self._store(data)

    def _store(self, data: PlanData) -> None:
        self.values = param_values(data, self.structure)
        for name, values in self.values.items():
            self.model.component(name).store_values(dict(enumerate(values.tolist())), check=False)


def _fits(case: Structure, model: Structure) -> bool:
    """Whether a case's structure is covered by the model's: same channels and variables, rows a subset."""
    for name in case.__dataclass_fields__:
        mine, theirs = getattr(case, name), getattr(model, name)
        if name in OPTIONAL_ROWS:
            if not set(mine) <= set(theirs):
                return False
        elif name == "recipe":
            flags = {(p, mat): (c, o) for p, mat, c, o in theirs}
            if any((p, mat) not in flags or (c and not flags[p, mat][0]) or (o and not flags[p, mat][1])
                   for p, mat, c, o in mine):
                return False
        elif name not in ("runs", "run_process") and mine != theirs:
            return False
    return True


def _build(st: Structure, elastic: bool) -> tuple[pyo.ConcreteModel, dict[str, list[tuple]]]:
    m = pyo.ConcreteModel("reeplan")
    nonneg = pyo.NonNegativeReals
    sizes = {"supply": len(st.supply), "min_take": len(st.min_take), "licence": len(st.licence),
             "demand": len(st.demand), "processes": len(st.processes), "recipe": len(st.recipe),
             "stock": len(st.stock), "sizable": len(st.sizable), "stock_end": len(st.stock_end),
             "size_cap": len(st.size_cap), "stock_periods": len(st.stock_periods), "stock_min": len(st.stock_min),
             "stock_max": len(st.stock_max), "release_cap": len(st.release_cap)}
    for name, over in PARAMS.items():
        m.add_component(name, pyo.Param(range(sizes[over]), mutable=True, initialize=0.0, within=pyo.Any))
    count = {"buy": len(st.buy), "run": len(st.runs), "move": len(st.moves), "use": len(st.use),
             "short": len(st.demand), "level": len(st.stock_periods), "acq": len(st.stock_periods),
             "rel": len(st.stock_periods), "size": len(st.sizable)}
    for name in VARIABLES:
        m.add_component(name, pyo.Var(range(count[name]), within=nonneg))
    # plain lists of the component data: indexing them is much cheaper than indexing the components
    buy, run, move, use, short, level, acq, rel, size = (list(m.component(name).values()) for name in VARIABLES)
    param = {name: list(m.component(name).values()) for name in PARAMS}

    def term(coef, var):
        return MonomialTermExpression((coef, var))

    # Balance (m, c, t): Σ inflow − Σ outflow ≥ 0; a row only where something can flow out.
    inflow, outflow = defaultdict(list), defaultdict(list)
    for i, ((_, mat, t, _), c) in enumerate(zip(st.buy, st.buy_channel)):
        inflow[mat, c, t].append(buy[i])
    recipe_of = defaultdict(list)
    for e, (p, mat, consumes, produces) in enumerate(st.recipe):
        recipe_of[p].append((e, mat, consumes, produces))
    for i, (p, c, t) in enumerate(st.runs):
        for e, mat, consumes, produces in recipe_of[p]:
            if produces:
                inflow[mat, c, t].append(term(param["output_t"][e], run[i]))
            if consumes:
                outflow[mat, c, t].append(term(-param["input_t"][e], run[i]))
    for i, (mat, c, d, t) in enumerate(st.moves):
        outflow[mat, c, t].append(term(-1, move[i]))
        inflow[mat, d, t].append(move[i])
    for q, (g, mat, t) in enumerate(st.stock_periods):
        inflow[mat, st.stock_release[g, mat], t].append(rel[q])
        outflow[mat, st.stock_origin[g, mat], t].append(term(-1, acq[q]))
    for i, (_, mat, c, t) in enumerate(st.use):
        outflow[mat, c, t].append(term(-1, use[i]))
    balance_keys = list(outflow)
    rows = {"balance": balance_keys}
    bodies = {"balance": [(LinearExpression(inflow[key] + outflow[key]), 0.0) for key in balance_keys]}

    served = defaultdict(list)
    for i, d in enumerate(st.use_demand):
        served[d].append(use[i])
    rows["demand"] = st.demand
    bodies["demand"] = [(LinearExpression(served[i] + [short[i]]), param["demand_t"][i]) for i in range(len(st.demand))]

    bought = defaultdict(list)
    for i, j in enumerate(st.buy_supply):
        bought[j].append(buy[i])
    rows["supply_capacity"] = st.supply
    bodies["supply_capacity"] = [(LinearExpression(bought[j]), param["capacity_t"][j]) for j in range(len(st.supply))]
    rows["min_take"] = [st.supply[j] for j in st.min_take]
    bodies["min_take"] = [(LinearExpression(bought[j]), param["min_take_t"][r]) for r, j in enumerate(st.min_take)]
    rows["licence"] = st.licence_keys
    bodies["licence"] = [(buy[i], param["licence_cap_t"][r]) for r, i in enumerate(st.licence)]

    running = defaultdict(list)
    for i, r in enumerate(st.run_process):
        running[r].append(run[i])
    rows["process_capacity"] = st.processes
    bodies["process_capacity"] = [(LinearExpression(running[r]), param["process_cap"][r]) for r in range(len(st.processes))]

    # level[h,t] − level[h,t−1] − acq + rel = 0, with level[h,−1] = initial_t + size[h]
    n_periods = len(st.periods)
    sizable = {h: i for i, h in enumerate(st.sizable)}
    stock_rows = []
    for q, (g, mat, t) in enumerate(st.stock_periods):
        terms = [level[q], term(-1, acq[q]), rel[q]]
        if q % n_periods:
            stock_rows.append((LinearExpression(terms + [term(-1, level[q - 1])]), 0.0))
        else:
            if (g, mat) in sizable:
                terms.append(term(-1, size[sizable[g, mat]]))
            stock_rows.append((LinearExpression(terms), param["initial_t"][q // n_periods]))
    rows["stock_balance"] = st.stock_periods
    bodies["stock_balance"] = stock_rows
    rows["stock_min"] = [st.stock_periods[q] for q in st.stock_min]
    bodies["stock_min"] = [(level[q], param["min_level_t"][r]) for r, q in enumerate(st.stock_min)]
    rows["stock_max"] = [st.stock_periods[q] for q in st.stock_max]
    bodies["stock_max"] = [(level[q], param["max_level_t"][r]) for r, q in enumerate(st.stock_max)]
    rows["stock_end"] = [st.stock[h] for h in st.stock_end]
    bodies["stock_end"] = [(level[h * n_periods + n_periods - 1], param["end_min_t"][r]) for r, h in enumerate(st.stock_end)]
    rows["release_cap"] = [st.stock_periods[q] for q in st.release_cap]
    bodies["release_cap"] = [(rel[q], param["max_release_t"][r]) for r, q in enumerate(st.release_cap)]
    rows["acquire_cap"] = st.stock_periods
    bodies["acquire_cap"] = [(acq[q], param["max_acquire_t"][q]) for q in range(len(st.stock_periods))]
    rows["size_cap"] = [st.stock[h] for h in st.size_cap]
    bodies["size_cap"] = [(LinearExpression([param["initial_t"][h], size[sizable[st.stock[h]]]]), param["max_size_t"][r])
                          for r, h in enumerate(st.size_cap)]

    slacks = []
    for name, family in FAMILIES.items():
        slack = None
        if elastic and family.hard:
            slack = pyo.Var(range(len(rows[name])), within=nonneg)
            m.add_component(f"slack_{name}", slack)
            slacks.append(slack)
        m.add_component(name, pyo.Constraint(range(len(rows[name])), rule=_row_rule(family.sense, bodies[name], slack)))

    if elastic:
        m.objective = pyo.Objective(expr=LinearExpression([s for slack in slacks for s in slack.values()]))
    else:
        m.objective = pyo.Objective(expr=_cost(param, (buy, run, level, short, size), st))
    return m, rows


def _row_rule(sense, bodies, slack):
    def rule(_, i):
        body, rhs = bodies[i]
        if slack is not None:
            body = body + slack[i] if sense == GE else body - slack[i]
        if sense == GE:
            return (rhs, body, None)
        return (None, body, rhs) if sense == LE else (rhs, body, rhs)
    return rule


def _cost(param, columns, st: Structure):
    """Σ buy_cost·buy + Σ run_cost·run + Σ holding_cost·level + Σ short_cost·short + Σ size_cost·size
    (every cost Param already carries its period's δ_t; size_cost is paid once, undiscounted)."""
    buy, run, level, short, size = columns
    terms = [MonomialTermExpression((param["buy_cost"][j], buy[i])) for i, j in enumerate(st.buy_supply)]
    terms += [MonomialTermExpression((param["run_cost"][r], run[i])) for i, r in enumerate(st.run_process)]
    terms += [MonomialTermExpression(pair) for pair in zip(param["holding_cost"], level)]
    terms += [MonomialTermExpression(pair) for pair in zip(param["short_cost"], short)]
    terms += [MonomialTermExpression(pair) for pair in zip(param["size_cost"], size)]
    return LinearExpression(terms)
