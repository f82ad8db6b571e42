"""`reeplan sweep` (SPEC §5): one parameter changed like an override row, solved at every value.

The points share one compiled model built on the rows of every value. The LP's numbers are affine in
the value for set/scale/add on every column that enters the model linearly, so they are computed at
the first and last value (and checked at a third) and interpolated per point: a point is a handful of
changed entries and a warm re-solve from the previous point's basis. Columns that do not enter linearly
(lead_time, discount factors through discount_rate) are recomputed per point.

`--exact` traces the optimal cost exactly (models.parametric) when the value moves only limits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from models.compiled import TARGETS, CompiledModel, LinearProgram, compile_plan
from models.data import PlanData
from models.parametric import Breakpoint, Curve, trace
from models.plan import FAMILIES, PlanModel, param_values
from models.sensitivity import Direction
from models.solve import OPTIMAL, Solver
from models.structure import derive_structure
from planner import schema as S
from planner.issues import InputError, Problem
from planner.overrides import KEY_COLUMNS, NUMERIC, Change, apply_change, invalid_result
from planner.studies.pool import Case, Job, Pool
from planner.words import Namer

OPTION = "sweep"  # where a problem with the sweep's own options is reported


def parse_values(text: str) -> list[float]:
    """`0,0.25,0.5` or `start:stop:step` (stop included)."""
    def number(part: str) -> float:
        try:
            value = float(part)
        except ValueError:
            raise InputError([Problem(OPTION, None, "--values", f"'{part}' is not a number")]) from None
        if not math.isfinite(value):
            raise InputError([Problem(OPTION, None, "--values", f"'{part}' is not a finite number")])
        return value

    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise InputError([Problem(OPTION, None, "--values", "write start:stop:step, e.g. 0:1:0.05")])
        start, stop, step = (number(p) for p in parts)
        if step == 0 or (stop - start) * step < 0:
            raise InputError([Problem(OPTION, None, "--values", f"step {step:g} does not lead from {start:g} to "
                                      f"{stop:g}")])
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        values = [start + i * step for i in range(count)]
        if abs(values[-1] - stop) > 1e-9 * max(1.0, abs(stop)):
            values.append(stop)
        return [round(v, 12) for v in values]
    values = [number(p) for p in text.split(",") if p.strip()]
    if not values:
        raise InputError([Problem(OPTION, None, "--values", "no values given")])
    return values


@dataclass(frozen=True)
class Parameter:
    """What the sweep changes: like an override row with the value left open."""

    sheet: str
    column: str
    operation: str = "set"
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def change(self, value: float) -> Change:
        return Change(self.sheet, self.column, self.operation, float(value), self.keys)

    def describe(self) -> dict:
        return {"sheet": self.sheet, "column": self.column, "operation": self.operation,
                "keys": {k: ";".join(v) for k, v in self.keys.items()}}


def make_parameter(data: PlanData, sheet: str, column: str, operation: str,
                   keys: dict[str, str | None]) -> Parameter:
    """Check the sheet, column and key filters the user named; spell names as the data does."""
    target = next((s for s in S.SHEETS if s.name.lower() == sheet.strip().lower()), None)
    if target is None or target.name in ("Overrides", "Scenarios", "Settings", "Uncertainty"):
        raise InputError([Problem(OPTION, None, "--sheet", f"'{sheet}' is not a sheet a sweep can change")])
    col = target.column(column.strip().lower())
    if col is None or col.kind not in NUMERIC or col.key:
        numeric = ", ".join(c.name for c in target.columns if c.kind in NUMERIC and not c.key)
        raise InputError([Problem(OPTION, None, "--column", f"'{column}' is not a numeric column of {target.name} "
                                  f"(numeric columns: {numeric})")])
    if operation not in S.OPERATIONS:
        raise InputError([Problem(OPTION, None, "--operation", f"'{operation}' is not one of set, scale, add")])
    table = data[target.name]
    filters, problems = {}, []
    for key, text in keys.items():
        if not text:
            continue
        if key not in KEY_COLUMNS or target.column(key) is None:
            problems.append(Problem(OPTION, None, f"--{key.replace('_', '-')}",
                                    f"sheet {target.name} has no column {key} to match on"))
            continue
        wanted = [part.strip() for part in text.split(";") if part.strip()]
        known = {str(v).casefold(): v for v in table[key].unique()}
        if key == "end_use":
            order = {k: i for i, k in enumerate(data["Sectors"]["sector"])}
            spelled = {k.casefold(): k for k in order}
            wanted = [";".join(sorted((spelled.get(w.casefold(), w) for w in wanted), key=lambda k: order.get(k, 0)))]
        missing = [w for w in wanted if w.casefold() not in known]
        if missing:
            problems.append(Problem(OPTION, None, f"--{key.replace('_', '-')}",
                                    f"no {target.name} row has {key} {', '.join(missing)}"))
        filters[key] = tuple(known.get(w.casefold(), w) for w in wanted)
    if problems:
        raise InputError(problems)
    parameter = Parameter(target.name, col.name, operation, filters)
    probe = data.copy()
    if not apply_change(probe, parameter.change(0.0)).any():
        raise InputError([Problem(OPTION, None, None, f"the filters match no row of {target.name}")])
    return parameter


def data_at(data: PlanData, parameter: Parameter, value: float) -> PlanData:
    """A copy of `data` with the parameter at `value`; InputError if a changed cell becomes invalid."""
    out = data.copy()
    mask = apply_change(out, parameter.change(value))
    message = invalid_result(out[parameter.sheet].loc[mask, parameter.column],
                             S.SHEET_BY_NAME[parameter.sheet].column(parameter.column))
    if message:
        raise InputError([Problem(OPTION, None, "--values", f"at {value:g}: {message}")])
    return out


@dataclass
class SweepModel:
    """The compiled model every point shares, and how to get each point's numbers."""

    compiled: CompiledModel
    values: list[float]
    lp_first: LinearProgram  # the LP at values[0]
    slope: dict[str, np.ndarray] | None  # d(array)/d(value) for each target when the LP is affine in the value
    lps: list[LinearProgram] | None = None  # every point's LP when it is not

    def case(self, i: int) -> Case:
        if self.slope is None:
            lp, numbers = self.lps[i], {}
            for target in TARGETS:
                changed = np.flatnonzero(getattr(lp, target) != getattr(self.lp_first, target))
                numbers[target] = (changed, getattr(lp, target)[changed])
            return Case(numbers)
        dv = self.values[i] - self.values[0]
        return Case({t: (np.flatnonzero(s), getattr(self.lp_first, t)[s != 0] + dv * s[s != 0])
                     for t, s in self.slope.items()})

    @property
    def moves_only_limits(self) -> bool:
        return self.slope is not None and not self.slope["col_cost"].any() and not self.slope["a_value"].any()


def build_sweep(data: PlanData, parameter: Parameter, values: list[float]) -> SweepModel:
    ends = sorted({values[0], values[-1], min(values), max(values)})
    probes = {v: data_at(data, parameter, v) for v in ends}
    column = S.SHEET_BY_NAME[parameter.sheet].column(parameter.column)
    every_point = column.kind == S.COUNT
    if every_point:
        probes.update({v: data_at(data, parameter, v) for v in values})
    structure = derive_structure(*probes.values())
    compiled = compile_plan(PlanModel(probes[values[0]], structure))

    def lp_of(v: float) -> LinearProgram:
        return compiled.numbers(param_values(probes[v] if v in probes else data_at(data, parameter, v), structure))

    first, last = values[0], max(values, key=lambda v: abs(v - values[0]))
    if last == first:
        return SweepModel(compiled, values, compiled.lp, {t: np.zeros_like(getattr(compiled.lp, t)) for t in TARGETS})
    lp_a, lp_b = compiled.lp, lp_of(last)
    slope = _slope(lp_a, lp_b, last - first)
    middle = first + (last - first) * 0.37
    if slope is not None and not every_point and _matches(slope, lp_a, lp_of(middle), middle - first):
        return SweepModel(compiled, values, lp_a, slope)
    return SweepModel(compiled, values, lp_a, None, [lp_of(v) for v in values])


def _slope(a: LinearProgram, b: LinearProgram, dv: float) -> dict[str, np.ndarray] | None:
    out = {}
    for target in TARGETS:
        x, y = getattr(a, target), getattr(b, target)
        same = (x == y)
        if not np.all(same | (np.isfinite(x) & np.isfinite(y))):
            return None  # a limit that appears or vanishes: not affine
        with np.errstate(invalid="ignore"):
            out[target] = np.where(same, 0.0, (y - x) / dv)
    return out


def _matches(slope, a: LinearProgram, c: LinearProgram, dv: float) -> bool:
    for target, s in slope.items():
        x, z = getattr(a, target), getattr(c, target)
        finite = np.isfinite(x)
        if not np.array_equal(np.isfinite(z), finite):
            return False
        predicted = x[finite] + dv * s[finite]
        if not np.allclose(predicted, z[finite], rtol=1e-9, atol=1e-9):
            return False
    return True


@dataclass
class Point:
    value: float
    objective: float | None  # None: no plan at this value
    unmet: np.ndarray  # t per (sector, material) group, see SweepReadout.groups
    licence_shadow: np.ndarray
    licence_cap: np.ndarray
    licence_flow: np.ndarray


@dataclass
class SweepReadout:
    """Per point: objective, unmet tonnes per sector × material, licence caps, flows and shadow prices."""

    short_columns: np.ndarray
    short_group: np.ndarray
    n_groups: int
    licence_rows: np.ndarray

    def __call__(self, solver: Solver, status: str, case: Case):
        if status != OPTIMAL:
            return None
        col, row, dual, _ = solver.values()
        unmet = np.bincount(self.short_group, col[self.short_columns], minlength=self.n_groups)
        rows = self.licence_rows
        return (solver.objective, unmet, FAMILIES["licence"].shadow_sign * dual[rows], solver.lp.row_upper[rows],
                row[rows])


def unmet_groups(compiled: CompiledModel) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The (sector, material) pairs with demand, and each short column's pair."""
    pairs = [(k, m) for k, m, _ in compiled.structure.demand]
    groups = list(dict.fromkeys(pairs))
    index = {g: i for i, g in enumerate(groups)}
    return groups, np.array([index[p] for p in pairs], dtype=np.int64)


def run_grid(model: SweepModel, pool: Pool) -> tuple[list[Point], list[tuple[str, str]]]:
    compiled = model.compiled
    groups, group_of = unmet_groups(compiled)
    shorts = compiled.columns["short"]
    licence = compiled.rows["licence"]
    readout = SweepReadout(np.arange(shorts.start, shorts.stop), group_of, len(groups),
                           np.arange(licence.start, licence.stop))
    base = Solver(model.lp_first)  # cold, with presolve (HiGHS still returns the full LP's basis)
    base_basis = base.basis() if base.run() == OPTIMAL else _empty_basis(model.lp_first)
    job = Job(model.lp_first, base_basis, readout)
    results = pool.map(job, [model.case(i) for i in range(len(model.values))])
    points = []
    for value, result in zip(model.values, results):
        if result is None:
            empty = np.full(len(readout.licence_rows), np.nan)
            points.append(Point(value, None, np.full(len(groups), np.nan), empty, empty, empty))
        else:
            points.append(Point(value, *result))
    return points, groups


def _empty_basis(lp: LinearProgram):
    return (np.zeros(lp.num_col, dtype=np.int8), np.ones(lp.num_row, dtype=np.int8))


@dataclass
class DescribedBreakpoint:
    value: float
    objective: float
    slope_left: float
    slope_right: float
    changes: list[str]


LIMIT_FAMILIES = {name for name, family in FAMILIES.items() if family.hard}


def run_exact(model: SweepModel) -> tuple[Curve, list[DescribedBreakpoint]]:
    if model.slope is None:
        raise InputError([Problem(OPTION, None, "--exact", "this parameter does not move the model's numbers in "
                                  "proportion to its value (e.g. lead_time shifts deliveries between periods): "
                                  "use a grid sweep")])
    if not model.moves_only_limits:
        raise InputError([Problem(OPTION, None, "--exact", "--exact traces parameters that move limits "
                                  "(right-hand sides: approval_rate, requested_t, capacity_t, demand_t, capacity, "
                                  "initial_t, stock limits); this one changes costs or coefficients: use a grid "
                                  "sweep")])
    values = model.values
    curve = trace(model.lp_first, Direction(model.slope["row_lower"], model.slope["row_upper"]), values[0],
                  values[-1])
    namer = Namer(model.compiled)
    return curve, [_describe(b, namer) for b in curve.breakpoints()]


REPORTED_COLUMNS = {"short", "buy", "run", "acq", "rel", "size"}  # moves and uses are bookkeeping


def _describe(b: Breakpoint, namer: Namer) -> DescribedBreakpoint:
    """The limits that start or stop binding, and the shortfalls, purchases, processes and stock moves that
    end or start, in planner words."""
    changes = []
    for items, row_text, column_text in ((b.became_nonbasic, "starts binding", "ends"),
                                         (b.became_basic, "stops binding", "starts")):
        for kind, index in items:
            if kind == "row":
                family, words = namer.row(index)
                if family in LIMIT_FAMILIES:
                    changes.append(f"{words} {row_text}")
            else:
                family, words = namer.column(index)
                if family in REPORTED_COLUMNS:
                    changes.append(f"{words} {column_text}")
    if not changes:
        changes.append("material is rerouted between channels (no limit starts or stops binding)")
    return DescribedBreakpoint(b.value, b.objective, b.slope_left, b.slope_right, changes)
