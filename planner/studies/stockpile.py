"""`reeplan stockpile` (SPEC §5): size every sizable stock row against a set of scenarios.

The scenarios (the Scenarios sheet, or `--sample N` draws from the Uncertainty sheet) share one compiled
model built on the rows of all of them; each is that model with its own numbers. The two-stage problem
(models.stochastic) is solved as one extensive form when it is small and by multi-cut L-shaped
decomposition otherwise, the scenario solves running on the worker pool. Reported: RP, WS, EEV, VSS,
EVPI; the chosen starting level of each sizable row (the smallest optimal one) with the saving of its
last and next tonne; expected, worst-case and CVaR unmet demand; a per-scenario table; a sizing curve.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from models.compiled import TARGETS, CompiledModel, LinearProgram, compile_plan
from models.data import PlanData
from models.parametric import Curve, trace
from models.plan import PlanModel, param_values
from models.sensitivity import Direction
from models.solve import OPTIMAL, Solver, variable_keys
from models.stochastic import Decomposition, ExtensiveForm, NoPlan, StageSolution, TwoStage, cvar, subproblem_lp
from models.structure import StructureChanged, derive_structure
from planner.issues import InputError, Problem
from planner.overrides import apply_scenario
from planner.schema import BASE
from planner.studies.pool import Case, Job, Numbers, Pool
from planner.studies.sampling import sample_scenarios
from planner.words import Namer

EF_LIMIT = 120_000  # scenarios × columns up to which the extensive form is solved directly
CURVE_POINTS = 11
PIECES_TRACED = 30  # pieces of the cut model traced per side, to find its first linear run
EF_PIECES_TRACED = 2  # of the extensive form (each piece a warm re-solve of the whole EF)
GAP_CURVE = 1e-6  # a curve point's plan counts as re-optimised when F is within this of the cut model (relative)
STRUCTURAL = {"accepts_controlled", "reserved_for", "origin", "end_use", "sizable", "controlled", "export_controlled"}


@dataclass
class Scenarios:
    names: list[str]
    probability: np.ndarray
    data: list[PlanData]


def library_scenarios(data: PlanData) -> Scenarios:
    """The Scenarios sheet's cases; overrides that would change channels or sizable rows are refused."""
    table = data["Scenarios"]
    if table.empty:
        raise InputError([Problem("Scenarios", None, None, "a stockpile study needs scenarios: fill the Scenarios "
                                  "sheet (with Overrides) or draw them with --sample N --seed S")])
    problems = [Problem("Overrides", r["_row"], "column", f"'{r['column']}' changes which channels or sizable rows "
                        "exist: a stockpile study compares scenarios of one model, so this override is refused")
                for r in data["Overrides"].to_dict("records") if r["column"].strip().lower() in STRUCTURAL]
    if problems:
        raise InputError(problems)
    names = list(table["scenario"])
    cases = [data if name == BASE and BASE not in names else apply_scenario(data, name)[0] for name in names]
    return Scenarios(names, table["probability"].to_numpy(float), cases)


def sampled_scenarios(data: PlanData, n: int, seed: int) -> Scenarios:
    drawn = sample_scenarios(data, n, seed)
    return Scenarios([name for name, _ in drawn], np.full(n, 1.0 / n), [case for _, case in drawn])


def column_periods(compiled: CompiledModel) -> np.ndarray:
    """Each column's period index (−1 for the added starting stock, decided before the first period)."""
    order = {p: i for i, p in enumerate(compiled.structure.periods)}
    out = np.full(compiled.lp.num_col, -1)
    for name, (keys, names) in variable_keys(compiled).items():
        if "period" in names:
            where = names.index("period")
            out[compiled.columns[name]] = [order[k[where]] for k in keys]
    return out


@dataclass
class Study:
    scenarios: Scenarios
    compiled: CompiledModel
    problem: TwoStage
    lps: list[LinearProgram]
    sizable: list[tuple[str, str]]
    size_position: np.ndarray  # position of each sizable row's size column within problem.first
    initial: np.ndarray
    max_size: np.ndarray
    size_cost: np.ndarray
    groups: list[tuple[str, str]]  # (sector, material) with demand
    stock_rows: list[tuple[str, str]]
    branch_period: str


def build_study(data: PlanData, scenarios: Scenarios) -> Study:
    try:
        structure = derive_structure(*scenarios.data)
    except StructureChanged as exc:
        raise InputError([Problem("Overrides", None, None, f"the scenarios describe different models ({exc})")]) \
            from None
    compiled = compile_plan(PlanModel(scenarios.data[0], structure))
    lps = [compiled.lp] + [compiled.numbers(param_values(d, structure)) for d in scenarios.data[1:]]
    periods = structure.periods
    branch = str(data.settings.get("branch_period") or periods[0])
    first = np.flatnonzero(column_periods(compiled) < periods.index(branch))
    settings = data.settings
    problem = TwoStage(lps, scenarios.probability, first, float(settings.get("risk_weight", 0.0) or 0.0),
                       float(settings.get("cvar_alpha", 0.95) if settings.get("cvar_alpha") is not None else 0.95))
    if problem.alpha >= 1:
        raise InputError([Problem("Settings", None, "value", "cvar_alpha must be below 1")])
    differing = problem.differing_first_stage()
    if differing:
        namer = Namer(compiled)
        lines = [f"scenario {scenarios.names[s]} changes "
                 f"{namer.row(i)[1] if kind == 'row' else namer.column(i)[1]}" for s, kind, i in differing[:20]]
        raise InputError([Problem("Settings", None, "branch_period", f"decisions before branch_period {branch} are "
                                  "taken before the scenario is known, so every scenario needs the same data there: "
                                  + "; ".join(lines))])
    sizes = compiled.columns["size"]
    position = {c: i for i, c in enumerate(first)}
    stocks = scenarios.data[0]["Stockpiles"].set_index(["stockpile", "material"])
    sizable = list(structure.sizable)
    demand_pairs = list(dict.fromkeys((k, m) for k, m, _ in structure.demand))
    return Study(scenarios, compiled, problem, lps, sizable,
                 np.array([position[c] for c in range(sizes.start, sizes.stop)], dtype=np.int64),
                 np.array([stocks.at[h, "initial_t"] for h in sizable], dtype=float),
                 np.array([stocks.at[h, "max_size_t"] for h in sizable], dtype=float),
                 np.array([stocks.at[h, "size_cost"] for h in sizable], dtype=float),
                 demand_pairs, list(structure.stock), branch)


# ---------------------------------------------------------------- scenario solves on the pool

@dataclass
class ScenarioReadout:
    """Q_s, its subgradient in the first-stage columns, the basis, unmet t per (sector, material) and the
    stock used per stock row: Σ_t max(0, level_{t−1} − level_t), from the starting level."""

    first: np.ndarray
    short_columns: np.ndarray
    short_group: np.ndarray
    n_groups: int
    level_columns: np.ndarray  # stock rows × periods
    start_rows: np.ndarray  # each stock row's first stock-balance row (its bound is initial_t)
    size_columns: np.ndarray  # each stock row's added-stock column, −1 if not sizable

    def __call__(self, solver: Solver, status: str, case: Case):
        if status != OPTIMAL:
            return None
        col, col_dual = solver.column_values(), solver.reduced_costs()
        start = solver.lp.row_lower[self.start_rows] + np.where(self.size_columns >= 0, col[self.size_columns], 0.0)
        levels = np.column_stack([start, col[self.level_columns]]) if len(start) else np.zeros((0, 1))
        used = np.maximum(levels[:, :-1] - levels[:, 1:], 0.0).sum(axis=1)
        return (solver.objective, col_dual[self.first].copy(),
                np.bincount(self.short_group, col[self.short_columns], minlength=self.n_groups), used)


def _variants(base: LinearProgram, lps: list[LinearProgram]) -> list[Numbers]:
    out = []
    for lp in lps:
        numbers = {}
        for target in TARGETS:
            a, b = getattr(base, target), getattr(lp, target)
            changed = np.flatnonzero(a != b)
            if len(changed):
                numbers[target] = (changed, b[changed])
        out.append(numbers)
    return out


class ScenarioSolves:
    """Every scenario solved at given first-stage decisions, on the pool (warm: each chunk of scenarios from
    the base basis, each scenario from the one before it)."""

    def __init__(self, study: Study, pool: Pool):
        compiled, problem = study.compiled, study.problem
        self.study, self.pool = study, pool
        shorts, levels = compiled.columns["short"], compiled.columns["level"]
        group_index = {g: i for i, g in enumerate(study.groups)}
        structure = compiled.structure
        n_periods, n_stock = len(structure.periods), len(structure.stock)
        size_of = {h: compiled.columns["size"].start + i for i, h in enumerate(structure.sizable)}
        self.readout = ScenarioReadout(
            problem.first, np.arange(shorts.start, shorts.stop),
            np.array([group_index[(k, m)] for k, m, _ in structure.demand], dtype=np.int64), len(study.groups),
            np.arange(levels.start, levels.stop).reshape(n_stock, n_periods),
            compiled.rows["stock_balance"].start + np.arange(n_stock) * n_periods,
            np.array([size_of.get(h, -1) for h in structure.stock], dtype=np.int64))
        sub = subproblem_lp(problem)
        base = Solver(compiled.lp)
        base.run()
        self.job = Job(sub, base.basis(), self.readout, _variants(compiled.lp, study.lps))

    def at(self, xs: np.ndarray) -> list:
        """Readouts with scenario s's first stage fixed at xs[s] (None where a scenario has no plan)."""
        first = self.study.problem.first
        return self.pool.map(self.job, [Case(variant=s, fixed=(first, xs[s]), key=s) for s in range(len(xs))])

    def at_plans(self, plans: list[np.ndarray]) -> list[list]:
        """Every scenario at each of several first-stage plans, in one go. Scenario by scenario: its first
        plan starts from its basis at the plan it was last solved at, the others from the plan before, so
        the scenario's numbers are set once and each further solve only moves the first stage."""
        first, n, j = self.study.problem.first, len(self.study.lps), len(plans)
        results = self.pool.map(self.job, [Case(variant=s, fixed=(first, x), start=s if i == 0 else None)
                                           for s in range(n) for i, x in enumerate(plans)], group=j)
        return [results[i::j] for i in range(j)]

    def __call__(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        results = self.at(xs)
        q = np.array([r[0] if r is not None else math.inf for r in results])
        g = np.array([r[1] if r is not None else np.zeros(len(self.study.problem.first)) for r in results])
        return q, g


# ---------------------------------------------------------------- the study

@dataclass
class SizeResult:
    stockpile: str
    material: str
    initial_t: float
    level_t: float
    marginal_value_last: float | None  # expected saving of the last tonne, before size cost
    marginal_value_next: float | None  # … of the next tonne
    size_cost: float


@dataclass
class CurvePoint:
    stockpile: str
    material: str
    level_t: float
    expected_cost: float
    cvar_cost: float
    expected_unmet: np.ndarray  # per group


@dataclass
class StockpileResult:
    method: str
    rp: float
    ws: float
    eev: float | None  # None: the mean-value decision leaves some scenario without a plan
    eev_no_plan: list[str]
    sizes: list[SizeResult]
    groups: list[tuple[str, str]]
    stock_rows: list[tuple[str, str]]
    names: list[str]
    probability: np.ndarray
    cost: np.ndarray  # per scenario: first-stage cost + Q_s
    unmet: np.ndarray  # scenarios × groups
    used: np.ndarray  # scenarios × stock rows: tonnes drawn from stock
    curve: list[CurvePoint] = field(default_factory=list)
    risk_weight: float = 0.0
    alpha: float = 0.95
    branch_period: str = ""
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each phase of the study
    iterations: int = 0  # of the decomposition (0 for the extensive form)

    @property
    def vss(self) -> float | None:
        return None if self.eev is None else max(self.eev - self.rp, 0.0)

    @property
    def evpi(self) -> float:
        return max(self.rp - self.ws, 0.0)

    def expected_unmet(self) -> np.ndarray:
        return self.probability @ self.unmet

    def worst_unmet(self) -> np.ndarray:
        return self.unmet.max(axis=0) if len(self.unmet) else np.zeros(len(self.groups))

    def cvar_unmet(self) -> np.ndarray:
        return np.array([cvar(self.unmet[:, g], self.probability, self.alpha) for g in range(len(self.groups))])


class Solvers:
    """RP solves of one study (extensive form or decomposition), with or without some levels fixed."""

    def __init__(self, study: Study, solves: ScenarioSolves, method: str):
        self.study, self.solves, self.method = study, solves, method
        self.cuts: list = []
        self._memo: dict = {}
        self._slopes: dict = {}
        if method == "extensive form":
            self.ef = ExtensiveForm(study.problem)
        else:
            self.decomposition = Decomposition(study.problem, solves)

    def rp(self, fixed: tuple[np.ndarray, np.ndarray] | None = None) -> StageSolution:
        key = None if fixed is None else (tuple(fixed[0].tolist()), tuple(np.asarray(fixed[1], float).tolist()))
        if key not in self._memo:
            if self.method == "extensive form":
                self._memo[key] = self.ef.solve(fixed)
            else:
                self._memo[key] = result = self.decomposition.solve(fixed, cuts=self.cuts)
                self.cuts = result.cuts
        return self._memo[key]

    def cut_slopes(self, x: np.ndarray) -> list[tuple[float | None, float | None]]:
        """Every sizable row's left and right derivative of min F at plan x (decomposition; see _cut_slopes)."""
        key = x.tobytes()
        if key not in self._slopes:
            self._slopes[key] = _cut_slopes(self.study, self, x)
        return self._slopes[key]

    def at_levels(self, position: int, sizes: np.ndarray):
        """(size, first-stage plan, every scenario's readout) re-optimised with one row's added stock fixed at
        each size (sizes without a plan are left out)."""
        fixed = [(np.array([position]), np.array([size])) for size in sizes]
        if self.method == "extensive form":
            plans = []
            for f in fixed:
                try:
                    plans.append(self.rp(f).x)
                except NoPlan:
                    plans.append(None)
            kept = [j for j, p in enumerate(plans) if p is not None]
            evaluated = self.solves.at_plans([plans[j] for j in kept])
            return [(sizes[j], plans[j], results) for j, results in zip(kept, evaluated)]
        dec, problem = self.decomposition, self.study.problem
        done: dict[int, tuple[np.ndarray, list]] = {}
        pending = list(range(len(sizes)))
        live = {j: Solver(dec.master_with(self.cuts, fixed[j])) for j in pending}  # re-solved warm with new cuts
        new: list = []
        for _ in range(20):  # each round re-optimises only the levels not yet within GAP_CURVE
            masters = [live[j] for j in pending]
            for m in masters:
                for cut in new:
                    dec.add_cut(m.highs, *cut)
            if any(m.run() != OPTIMAL for m in masters):
                raise NoPlan([])
            plans = [m.column_values()[dec._x_of(0)] for m in masters]
            evaluated = self.solves.at_plans(plans)
            still, new = [], []
            for j, m, plan, results in zip(pending, masters, plans, evaluated):
                if any(r is None for r in results):
                    raise NoPlan([s for s, r in enumerate(results) if r is None])
                done[j] = (plan, results)
                q = np.array([r[0] for r in results])
                if problem.objective(problem.first_cost(plan), q) > m.objective + GAP_CURVE * max(1.0, abs(m.objective)):
                    # more cuts only raise the cut model, so a level already within GAP_CURVE stays there
                    still.append(j)
                    new += _violated_cuts(dec, m, plan, q, results)
            self.cuts += new
            if not still or not new:
                break
            pending = still
        return [(sizes[j], *done[j]) for j in range(len(sizes))]

    def smallest(self, rp: StageSolution) -> StageSolution:
        """Among optimal plans, the one with the least added stock."""
        positions = self.study.size_position
        if not len(positions):
            return rp
        if self.method == "extensive form":
            return _ef_smallest(self.ef, positions, rp, self.study.size_cost)
        slopes = self.cut_slopes(rp.x)
        flat = [i for i in range(len(positions)) if rp.x[positions[i]] > 1e-9
                and (left := slopes[i][0]) is not None
                and abs(left) <= 1e-6 * max(1.0, abs(self.study.size_cost[i]))]
        if not flat:  # every level is the least optimal one already
            return rp
        cap = rp.objective + 1e-9 * max(1.0, abs(rp.objective))
        return self.decomposition.solve(cuts=self.cuts, objective_cap=cap, minimise=positions)


def _ef_smallest(ef: ExtensiveForm, positions: np.ndarray, rp: StageSolution, size_cost: np.ndarray) -> StageSolution:
    """Row by row, lower each added stock to the end of the flat part of min F below it (traced exactly),
    holding the rows already chosen. Flat: a slope within solver precision of 0 (relative to its size cost)."""
    chosen: dict[int, float] = {}
    x, result = rp.x, rp
    for position, cost in zip(positions, size_cost):
        column = ef.first_columns()[position]
        lower, upper = ef.lp.col_lower.copy(), ef.lp.col_upper.copy()
        for p, value in chosen.items():
            lower[ef.first_columns()[p]] = upper[ef.first_columns()[p]] = value
        size = float(x[position])
        lower[column] = upper[column] = size
        if size > 0:
            move = np.zeros(ef.lp.num_col)
            move[column] = 1.0
            zero = np.zeros(ef.lp.num_row)
            lp = ef.lp.with_numbers(col_lower=lower, col_upper=upper)
            flat = 1e-7 * max(1.0, abs(cost))
            tiny = 1e-9 * max(1.0, size)
            while size > tiny:  # walk down the flat pieces (several optimal levels) to the first that rises
                below = [p for p in trace(lp, Direction(zero, zero, move, move), size, 0.0, pieces=1).segments
                         if p.end - p.start > tiny]
                piece = max(below, key=lambda p: p.end, default=None)
                if piece is None or abs(piece.slope) > flat:
                    break
                size = piece.start
                lower[column] = upper[column] = size
                lp = ef.lp.with_numbers(col_lower=lower, col_upper=upper)
        chosen[int(position)] = size
        if size != float(x[position]):
            result = ef.solve((np.array(list(chosen)), np.array(list(chosen.values()))))
            x = result.x
    return result


def choose_method(study: Study, requested: str = "auto") -> str:
    if requested == "ef":
        return "extensive form"
    if requested == "decomposition":
        return "decomposition"
    size = len(study.lps) * study.compiled.lp.num_col
    return "extensive form" if size <= EF_LIMIT else "decomposition"


def run_study(data: PlanData, scenarios: Scenarios, pool: Pool, method: str = "auto",
              curve: bool = True) -> StockpileResult:
    clock = _Clock()
    study = build_study(data, scenarios)
    problem = study.problem
    solves = ScenarioSolves(study, pool)
    chosen = choose_method(study, method)
    solvers = Solvers(study, solves, chosen)
    clock.lap("build")
    try:
        rp = solvers.rp()
    except NoPlan as exc:
        raise _no_plan(study, exc) from None
    clock.lap("recourse problem")
    best = solvers.smallest(rp)
    x = best.x
    results = solves.at(np.tile(x, (len(study.lps), 1)))
    first_cost = problem.first_cost(x)
    cost = np.array([first_cost + r[0] for r in results])
    unmet = np.array([r[2] for r in results])
    used = np.array([r[3] for r in results])
    sizes = _sizes(study, solvers, x)
    clock.lap("levels and marginal values")
    ws = _wait_and_see(study, solves, pool)
    clock.lap("wait-and-see")
    eev = _eev(study, solves)
    clock.lap("mean-value decision")
    result = StockpileResult(
        chosen, rp.objective, ws, *eev, sizes, study.groups,
        study.stock_rows, scenarios.names, scenarios.probability, cost, unmet, used,
        risk_weight=problem.risk_weight, alpha=problem.alpha, branch_period=study.branch_period)
    if curve:
        result.curve = _curve(study, solvers, solves, x)
        clock.lap("sizing curve")
    result.seconds, result.iterations = clock.laps, rp.iterations
    return result


class _Clock:
    def __init__(self):
        import time

        self._now = time.perf_counter
        self._last = self._now()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = self._now()
        self.laps[name] = now - self._last
        self._last = now


def _no_plan(study: Study, exc: NoPlan) -> InputError:
    names = [study.scenarios.names[s] for s in exc.scenarios] or study.scenarios.names
    return InputError([Problem("Scenarios", None, None, "no plan exists in scenario(s) " + ", ".join(names[:10])
                               + ": run `reeplan solve --scenario NAME` on one of them to see the conflicting limits")])


def _wait_and_see(study: Study, solves: ScenarioSolves, pool: Pool) -> float:
    """WS: every scenario free to choose its own first stage (perfect information)."""
    problem = study.problem
    if problem.risk_weight == 0:
        job = Job(study.compiled.lp, solves.job.basis, _objective, solves.job.variants)
        z = np.array(pool.map(job, [Case(variant=s) for s in range(len(study.lps))]))
        return float(problem.probability @ z)
    if choose_method(study) == "extensive form":
        return ExtensiveForm(problem, anticipative=True).solve().objective
    return Decomposition(problem, solves, anticipative=True).solve().objective


def _objective(solver: Solver, status: str, case: Case) -> float:
    return solver.objective if status == OPTIMAL else math.inf


def _eev(study: Study, solves: ScenarioSolves) -> tuple[float | None, list[str]]:
    """EEV = F(x̄), x̄ the first stage of the mean-value problem; None (and the scenarios) if x̄ leaves one planless."""
    problem = study.problem
    mean = Solver(problem.mean_value())
    if mean.run() != OPTIMAL:
        return None, ["the mean-value problem"]
    x_bar = mean.column_values()[problem.first]
    q, _ = solves(np.tile(x_bar, (len(study.lps), 1)))
    if not np.all(np.isfinite(q)):
        return None, [study.scenarios.names[s] for s in np.flatnonzero(~np.isfinite(q))]
    return problem.objective(problem.first_cost(x_bar), q), []


def _sizes(study: Study, solvers: Solvers, x: np.ndarray) -> list[SizeResult]:
    """Chosen levels and the saving of the last and next tonne (one-sided derivatives, less size cost)."""
    out = []
    for i, (g, m) in enumerate(study.sizable):
        position, initial = study.size_position[i], study.initial[i]
        size = max(float(x[position]), 0.0)  # a solver's −1e-12 is no stock taken away
        slopes = (_ef_slopes(study, solvers, i, size) if solvers.method == "extensive form"
                  else solvers.cut_slopes(x)[i])
        last, following = (None if v is None else -(v - study.size_cost[i]) for v in slopes)
        out.append(SizeResult(g, m, float(initial), float(initial + size), last, following,
                              float(study.size_cost[i])))
    return out


def _span(study: Study, i: int, size: float) -> float:
    return max(1.0, 0.1 * abs(study.initial[i] + size))


def _ef_slopes(study: Study, solvers: Solvers, i: int, size: float) -> tuple[float | None, float | None]:
    """Exact left and right derivatives of min F in row i's added stock: the extensive form traced
    (models.parametric) with that column's bounds moving, from the chosen value down and up."""
    ef = solvers.ef
    column = ef.first_columns()[study.size_position[i]]
    lower, upper = ef.lp.col_lower.copy(), ef.lp.col_upper.copy()
    lower[column] = upper[column] = size
    lp = ef.lp.with_numbers(col_lower=lower, col_upper=upper)
    zero_rows, move = np.zeros(lp.num_row), np.zeros(lp.num_col)
    move[column] = 1.0
    direction = Direction(zero_rows, zero_rows, move, move)
    span = _span(study, i, size)
    ef.solve((np.array([study.size_position[i]]), np.array([size])))
    basis = ef.solver.basis()
    tiny = 1e-9 * max(1.0, abs(size))
    right = _first_run(trace(lp, direction, size, size + span, pieces=EF_PIECES_TRACED, basis=basis), size, 1, tiny)
    down_to = max(size - span, -study.initial[i])
    left = (_first_run(trace(lp, direction, size, down_to, pieces=EF_PIECES_TRACED, basis=basis), size, -1, tiny)
            if down_to < size else None)
    left_slope, right_slope = (None if run is None else run[0] for run in (left, right))
    return left_slope, right_slope


@dataclass
class _Side:
    """One side (sign −1: the last tonne, +1: the next) of one sizable row's derivative, traced on the cut model."""

    row: int
    sign: int
    size: float
    end: float
    cuts: list  # the row's cut model, shared by its two sides
    slope: float | None = None
    open: bool = True
    master: Solver | None = None
    plan: np.ndarray | None = None


def _cut_slopes(study: Study, solvers: Solvers, x: np.ndarray) -> list[tuple[float | None, float | None]]:
    """Left and right derivatives of min F in each sizable row's added stock at plan x, through the
    decomposition's cut model M of that row.

    Write F*(L) for min F with the row's starting level at L, and M*(L) for min M likewise; M ≤ F, so
    M* ≤ F*. First M is made exact at the chosen level: the plan minimising M there is evaluated on every
    scenario, and cuts are added until F at that plan equals M* (then M* = F* there; the decomposition's
    own stopping gap is far too coarse for a derivative). Then, per side, M* is traced exactly
    (models.parametric) one piece from the chosen level, to a point half way along it, and evaluated there
    the same way: once M* equals F* at both ends of a piece on which M* is linear, F* (convex, ≥ M*) is that
    line, so M*'s slope is F*'s; otherwise the new cuts go into M and the side is traced again. M starts from
    the cuts tight at the chosen plan: far smaller than all cuts. Every round evaluates all open points in
    one batch (each scenario at every point in turn)."""
    dec = solvers.decomposition
    tight = dec.cuts_tight_at(solvers.cuts, x)
    sides = []
    for i in range(len(study.sizable)):
        size = max(float(x[study.size_position[i]]), 0.0)  # a solver's −1e-12 is no stock taken away
        span, cuts = _span(study, i, size), list(tight)
        sides += [_Side(i, -1, size, max(size - span, -study.initial[i]), cuts), _Side(i, 1, size, size + span, cuts)]
    starts = sides[1::2]  # the chosen level of each row, on the row's shared model
    for _ in range(12):
        for side in starts:
            side.master = Solver(dec.master_with(side.cuts, (np.array([study.size_position[side.row]]),
                                                             np.array([side.size]))))
            side.plan = side.master.column_values()[dec._x_of(0)] if side.master.run() == OPTIMAL else None
        starts = [side for side, exact in zip(starts, _exact_or_cut(study, solvers, starts)) if exact is False]
        if not starts:
            break
    for _ in range(12):
        batch = [side for side in sides if side.open and _next_point(study, dec, side)]
        if not batch:
            break
        for side, exact in zip(batch, _exact_or_cut(study, solvers, batch)):
            if exact is None:
                side.slope = None
            side.open = exact is False
    return [(sides[2 * i].slope, sides[2 * i + 1].slope) for i in range(len(study.sizable))]


def _exact_or_cut(study: Study, solvers: Solvers, points: list[_Side]) -> list[bool | None]:
    """Evaluate every scenario at each point's plan (one batch): True where F there equals the cut model's
    value (relative 1e-9), False where it does not (the new cuts are added to the point's model and to the
    study's), None where the point has no plan or some scenario has none."""
    dec, problem = solvers.decomposition, study.problem
    todo = [side for side in points if side.plan is not None]
    evaluated = dict(zip(map(id, todo), solvers.solves.at_plans([side.plan for side in todo]))) if todo else {}
    out = []
    for side in points:
        results = evaluated.get(id(side))
        if results is None or any(r is None for r in results):
            out.append(None)
            continue
        q = np.array([r[0] for r in results])
        model = side.master.objective
        if problem.objective(problem.first_cost(side.plan), q) <= model + 1e-9 * max(1.0, abs(model)):
            out.append(True)
            continue
        new = _violated_cuts(dec, side.master, side.plan, q, results)
        side.cuts += new
        solvers.cuts += new
        out.append(False if new else True)
    return out


def _violated_cuts(dec: Decomposition, master: Solver, plan: np.ndarray, q: np.ndarray, results: list) -> list:
    """The cuts θ_s ≥ Q_s(plan) + g_s·(x − plan) that the master's θ_s falls short of (relative 1e-9)."""
    theta = master.column_values()[dec.theta0:dec.theta0 + dec.N]
    return [(s, float(q[s]), results[s][1].copy(), plan.copy()) for s in range(dec.N)
            if theta[s] < q[s] - 1e-9 * max(1.0, abs(q[s]))]


def _next_point(study: Study, dec: Decomposition, side: _Side) -> bool:
    """Trace M one piece from the chosen value along the side; set its slope and the plan half way along it.
    False (the side is done, its slope as found so far) where there is no room or no piece or no plan."""
    size, sign = side.size, side.sign
    tiny = 1e-9 * max(1.0, abs(size))
    side.open = False
    if sign * (side.end - size) <= tiny:
        return False  # no room on this side (the starting level is at its least)
    position = np.array([study.size_position[side.row]])
    lp = dec.master_with(side.cuts, (position, np.array([size])))
    move = np.zeros(lp.num_col)
    move[int(dec._x_of(0)[study.size_position[side.row]])] = 1.0
    zero = np.zeros(lp.num_row)
    curve = trace(lp, Direction(zero, zero, move, move), size, side.end, pieces=PIECES_TRACED)
    run = _first_run(curve, size, sign, tiny)
    if run is None:
        return False
    side.slope, length = run
    there = size + sign * length / 2
    side.master = Solver(dec.master_with(side.cuts, (position, np.array([there]))))
    if side.master.run() != OPTIMAL:
        return False
    side.plan = side.master.column_values()[dec._x_of(0)]
    side.open = True
    return True


def _first_run(curve: Curve, size: float, sign: int, tiny: float) -> tuple[float, float] | None:
    """Slope and length of the traced curve's first linear run (`Curve.runs`) from `size` along `sign`. A
    leading run shorter than 1e-5 of the interval is the trace stepping off a degenerate vertex (it jumps 1e-7
    of the interval and credits the jump with the slope of whatever optimal basis HiGHS returned there): it
    is passed over, costing at most that sliver of the distance."""
    runs = [(r[0].start, r[-1].end, r[0].slope) for r in curve.runs() if r[-1].end - r[0].start > tiny]
    if sign < 0:  # outward from size: the runs read backwards
        runs = [(size - end, size - start, slope) for start, end, slope in reversed(runs)]
    else:
        runs = [(start - size, end - size, slope) for start, end, slope in runs]
    if not runs or runs[0][0] > tiny:
        return None
    sliver = 1e-5 * (curve.last - curve.first)
    while len(runs) > 1 and runs[0][1] - runs[0][0] < sliver:
        runs.pop(0)
    return runs[0][2], runs[0][1]


def _curve(study: Study, solvers: Solvers, solves: ScenarioSolves, x: np.ndarray) -> list[CurvePoint]:
    """Per sizable row, F re-optimised at CURVE_POINTS starting levels: the plans at all levels are evaluated
    in one batch of scenario solves (with the decomposition, again after new cuts until every level's plan
    is optimal within the study's accuracy)."""
    problem, out = study.problem, []
    for i, (g, m) in enumerate(study.sizable):
        initial, chosen = study.initial[i], study.initial[i] + x[study.size_position[i]]
        top = min(study.max_size[i], max(2 * chosen, initial + 1))
        levels = np.linspace(initial, top, CURVE_POINTS)
        for level, plan, results in solvers.at_levels(study.size_position[i], levels - initial):
            first_cost = problem.first_cost(plan)
            q = np.array([r[0] for r in results])
            unmet = np.array([r[2] for r in results])
            out.append(CurvePoint(g, m, float(level), first_cost + float(problem.probability @ q),
                                  first_cost + cvar(q, problem.probability, problem.alpha),
                                  problem.probability @ unmet))
    return out
