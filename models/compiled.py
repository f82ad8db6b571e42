"""Compile a PlanModel once into the arrays HiGHS takes, with maps back to families, keys and Params.

    minimise  c·x + offset   subject to   row_lower ≤ A x ≤ row_upper,   col_lower ≤ x ≤ col_upper

Columns follow the model's variable families in declaration order and rows its constraint families
in `FAMILIES` order, each in the order of its structure key list, so `columns[name]` and
`rows[name]` are plain slices. Every entry of c, the row bounds and A is affine in the model's
mutable Params; the compile records those affine maps (`ParamMap`), so new numbers for the same
structure (a scenario, a sweep point, a sampled case) become a few array operations on the compiled
model: no Pyomo work per case.

The compile reads the Pyomo model through its public expression API (constraint bounds and bodies as
linear expressions whose coefficients and constants are numbers or Params). Pyomo's own
`LinearStandardFormCompiler` gives the same arrays but evaluates Params to numbers, so it cannot
tell which Param feeds which entry; `tests/test_compiled.py` checks the two agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyomo.core as pyo  # the modelling core only: no solver plugins are needed to build and compile
from pyomo.common.gc_manager import PauseGC
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.base.param import ParamData
from pyomo.core.base.var import VarData
from pyomo.core.expr import numeric_expr as ne

from models.plan import FAMILIES, PARAMS, PlanModel
from models.structure import Structure

INF = np.inf
TARGETS = ("col_cost", "row_lower", "row_upper", "a_value")


class CompileError(TypeError):
    """An expression the compile does not understand (not linear in variables and Params)."""


@dataclass
class LinearProgram:
    """The numbers of one LP in HiGHS's form (CSC matrix). Plain arrays: cheap to pickle and ship."""

    col_cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    a_start: np.ndarray  # CSC column starts (n_col + 1)
    a_index: np.ndarray  # row of each nonzero
    a_value: np.ndarray
    offset: float = 0.0

    @property
    def num_col(self) -> int:
        return len(self.col_cost)

    @property
    def num_row(self) -> int:
        return len(self.row_lower)

    def with_numbers(self, **arrays: np.ndarray) -> "LinearProgram":
        """A copy sharing the matrix pattern, with some of col_cost, row_lower, row_upper, a_value replaced."""
        fields_ = dict(self.__dict__)
        fields_.update(arrays)
        return LinearProgram(**fields_)


@dataclass
class ParamMap:
    """target = const + Σ coef · p[param] for each of col_cost, row_lower, row_upper, a_value.

    `p` is the global vector of every Param value, components in `PARAMS` order."""

    const: dict[str, np.ndarray]
    entry: dict[str, np.ndarray]  # position in the target array
    param: dict[str, np.ndarray]  # position in the global Param vector
    coef: dict[str, np.ndarray]

    def evaluate(self, p: np.ndarray, target: str) -> np.ndarray:
        weights = self.coef[target] * p[self.param[target]]
        return self.const[target] + np.bincount(self.entry[target], weights, minlength=len(self.const[target]))


@dataclass
class CompiledModel:
    structure: Structure
    lp: LinearProgram
    columns: dict[str, slice]  # variable family -> its columns
    rows: dict[str, slice]  # constraint family -> its rows
    row_keys: dict[str, list[tuple]]  # constraint family -> the key of each of its rows
    params: dict[str, slice]  # Param component -> its positions in the global Param vector
    param_map: ParamMap
    elastic: bool = False
    values: dict[str, np.ndarray] = field(default_factory=dict)  # the Param values `lp` was compiled with

    def param_vector(self, values: dict[str, np.ndarray]) -> np.ndarray:
        p = np.empty(self.params_size)
        for name, where in self.params.items():
            p[where] = values[name]
        return p

    @property
    def params_size(self) -> int:
        return max((s.stop for s in self.params.values()), default=0)

    def numbers(self, values: dict[str, np.ndarray]) -> LinearProgram:
        """The LP for new Param values (same structure): array operations only."""
        p = self.param_vector(values)
        return self.lp.with_numbers(**{t: self.param_map.evaluate(p, t) for t in TARGETS})


def compile_plan(plan: PlanModel) -> CompiledModel:
    """Walk the Pyomo model once: columns, rows, objective and the Param map."""
    with PauseGC():
        return _Compiler(plan).run()


class _Compiler:
    def __init__(self, plan: PlanModel):
        self.plan = plan
        self.model = plan.model
        self.col_of: dict[int, int] = {}
        self.param_of: dict[int, int] = {}
        self.param_value: list[float] = []
        # (entry, param, coef) triplets and constants per target
        self.triplets = {t: ([], [], []) for t in TARGETS}

    def run(self) -> CompiledModel:
        m = self.model
        params = {}
        for name in PARAMS:
            start = len(self.param_value)
            for data in m.component(name).values():
                self.param_of[id(data)] = len(self.param_value)
                self.param_value.append(float(data.value))
            params[name] = slice(start, len(self.param_value))
        columns, lower, upper = {}, [], []
        for var in m.component_objects(pyo.Var, descend_into=False):
            start = len(self.col_of)
            for v in var.values():
                self.col_of[id(v)] = len(self.col_of)
                lower.append(-INF if v.lb is None else v.lb)
                upper.append(INF if v.ub is None else v.ub)
            columns[var.local_name] = slice(start, len(self.col_of))
        n_col = len(self.col_of)

        rows, row_keys = {}, {}
        a_rows, a_cols, a_const = [], [], []
        row_lower, row_upper = [], []
        for name in FAMILIES:
            start = len(row_lower)
            for con in m.component(name).values():
                r = len(row_lower)
                lo, body, up = con.to_bounded_expression()
                shift = self._linear(body, r, a_rows, a_cols, a_const)
                row_lower.append(self._bound(lo, r, "row_lower", shift, -INF))
                row_upper.append(self._bound(up, r, "row_upper", shift, INF))
            rows[name] = slice(start, len(row_lower))
            row_keys[name] = self.plan.rows[name]
            if len(row_keys[name]) != rows[name].stop - start:
                raise CompileError(f"family {name}: {rows[name].stop - start} rows for {len(row_keys[name])} keys")

        cost_rows, cost_cols, cost_const = [], [], []
        objective = next(m.component_data_objects(pyo.Objective, active=True))
        offset = self._linear(objective.expr, 0, cost_rows, cost_cols, cost_const, target="col_cost")

        # A: combine repeated (row, col) terms and sort into CSC order; the map follows the same permutation
        keys = np.asarray(a_cols, dtype=np.int64) * max(len(row_lower), 1) + np.asarray(a_rows, dtype=np.int64)
        unique, position = np.unique(keys, return_inverse=True)
        a_index = (unique % max(len(row_lower), 1)).astype(np.int32)
        a_col = unique // max(len(row_lower), 1)
        a_start = np.searchsorted(a_col, np.arange(n_col + 1)).astype(np.int32)
        const = {
            "a_value": np.bincount(position, np.asarray(a_const, dtype=float), minlength=len(unique)),
            "col_cost": np.bincount(np.asarray(cost_cols, dtype=np.int64), np.asarray(cost_const, dtype=float),
                                    minlength=n_col),
            "row_lower": np.asarray(row_lower, dtype=float),
            "row_upper": np.asarray(row_upper, dtype=float),
        }
        entry, param, coef = {}, {}, {}
        for target, (e, p, c) in self.triplets.items():
            e = np.asarray(e, dtype=np.int64)
            entry[target] = position[e] if target == "a_value" and len(e) else e
            param[target] = np.asarray(p, dtype=np.int64)
            coef[target] = np.asarray(c, dtype=float)
        param_map = ParamMap(const, entry, param, coef)
        p = np.asarray(self.param_value)
        lp = LinearProgram(
            col_cost=param_map.evaluate(p, "col_cost"), col_lower=np.asarray(lower, dtype=float),
            col_upper=np.asarray(upper, dtype=float), row_lower=param_map.evaluate(p, "row_lower"),
            row_upper=param_map.evaluate(p, "row_upper"), a_start=a_start, a_index=a_index,
            a_value=param_map.evaluate(p, "a_value"), offset=offset)
        values = {name: p[where].copy() for name, where in params.items()}
        return CompiledModel(self.plan.structure, lp, columns, rows, row_keys, params, param_map,
                             self.plan.elastic, values)

    # -- expressions

    def _linear(self, expr, row, rows, cols, consts, target="a_value") -> tuple[float, list]:
        """Append expr's variable terms (row, col, coefficient); return its constant part (number, Param terms)."""
        constant, constant_params = 0.0, []
        args = expr.args if type(expr) in (ne.LinearExpression, ne.SumExpression) else (expr,)
        triplets = self.triplets[target]
        for arg in args:
            kind = type(arg)
            if kind is ne.MonomialTermExpression:
                coef, var = arg.args
            elif isinstance(arg, VarData):
                coef, var = 1.0, arg
            elif arg.__class__ in native_numeric_types or not arg.is_potentially_variable():
                number, terms = self._affine(arg)
                constant += number
                constant_params += terms
                continue
            else:
                raise CompileError(f"not linear: {arg}")
            if var.fixed:
                raise CompileError(f"fixed variable {var.name} in the model")
            col = self.col_of[id(var)]
            entry = len(cols) if target == "a_value" else col
            rows.append(row)
            cols.append(col)
            if coef.__class__ in native_numeric_types:
                consts.append(float(coef))
            else:
                number, terms = self._affine(coef)
                consts.append(number)
                for c, p in terms:
                    triplets[0].append(entry)
                    triplets[1].append(p)
                    triplets[2].append(c)
        if target == "col_cost":
            if constant_params:
                raise CompileError("an objective constant that depends on Params")
            return constant
        return constant, constant_params

    def _bound(self, bound, row: int, target: str, shift, infinite: float) -> float:
        """The row bound minus the body's constant part, recording which Params feed it."""
        if bound is None:
            return infinite
        number, terms = self._affine(bound)
        constant, constant_params = shift
        triplets = self.triplets[target]
        for c, p in terms:
            triplets[0].append(row)
            triplets[1].append(p)
            triplets[2].append(c)
        for c, p in constant_params:
            triplets[0].append(row)
            triplets[1].append(p)
            triplets[2].append(-c)
        return number - constant

    def _affine(self, expr, scale: float = 1.0) -> tuple[float, list[tuple[float, int]]]:
        """expr = number + Σ coef · Param, for an expression of numbers and mutable Params only."""
        kind = expr.__class__
        if kind in native_numeric_types:
            return scale * expr, []
        if kind is ParamData:
            if expr.parent_component().mutable:
                return 0.0, [(scale, self.param_of[id(expr)])]
            return scale * expr.value, []
        if kind in (ne.NPV_NegationExpression, ne.NegationExpression):
            return self._affine(expr.args[0], -scale)
        if kind in (ne.NPV_SumExpression, ne.SumExpression, ne.LinearExpression):
            number, terms = 0.0, []
            for arg in expr.args:
                n, t = self._affine(arg, scale)
                number += n
                terms += t
            return number, terms
        if kind in (ne.NPV_ProductExpression, ne.ProductExpression, ne.MonomialTermExpression):
            a, b = expr.args
            if a.__class__ in native_numeric_types:
                return self._affine(b, scale * a)
            if b.__class__ in native_numeric_types:
                return self._affine(a, scale * b)
        if kind in (ne.NPV_DivisionExpression, ne.DivisionExpression) and \
                expr.args[1].__class__ in native_numeric_types:
            return self._affine(expr.args[0], scale / expr.args[1])
        raise CompileError(f"not affine in the Params: {expr}")
