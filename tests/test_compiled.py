"""The compiled route is the Pyomo model, only faster (issue: proof of sameness).

- Solved through `models.compiled` it gives the objective, plan and every shadow price that Pyomo's own
  HiGHS interface gives on the same Pyomo model (hand-solved and generated cases).
- Pyomo's public `LinearStandardFormCompiler` reaches the same optimum from the same model.
- New numbers applied through the Param map equal a fresh compile bit for bit (every baseline scenario).
"""
import highspy
import numpy as np
import pyomo.environ  # noqa: F401 - registers Pyomo's own solver interfaces (reeplan itself needs only pyomo.core)
import pytest
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from models.compiled import compile_plan
from models.plan import FAMILIES, PlanModel, param_values
from models.solve import solve
from models.structure import derive_structure
from planner.overrides import apply_scenario
from planner.inputs import bundled_input, load
from tests.conftest import write_input
from tests.test_shadow_price_property import generated_sheets
from tests.test_validation import VALID


def pyomo_solve(plan: PlanModel):
    """Pyomo's own HiGHS interface on the same model: objective and every constraint's dual."""
    opt = SolverFactory("highs")
    opt.config.load_solutions = False
    result = opt.solve(plan.model)
    duals = result.solution_loader.get_duals()
    return result.incumbent_objective, duals


def standard_form_objective(plan: PlanModel) -> float:
    """Pyomo's public standard-form compiler on the same model, solved straight in HiGHS."""
    form = LinearStandardFormCompiler().write(plan.model, mixed_form=True, set_sense=None)
    a = form.A.tocsc()
    bound_type = np.array([row.bound_type for row in form.rows])  # -1: ≥, 0: =, 1: ≤
    lower = np.where(bound_type <= 0, form.rhs, -np.inf)
    upper = np.where(bound_type >= 0, form.rhs, np.inf)
    col_lower = np.array([-np.inf if v.lb is None else v.lb for v in form.columns])
    col_upper = np.array([np.inf if v.ub is None else v.ub for v in form.columns])
    n = a.shape[1]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(n, a.shape[0], a.nnz, 1, 1, float(form.c_offset[0]), form.c.toarray().ravel(), col_lower,
                col_upper, lower, upper, a.indptr.astype(np.int32), a.indices.astype(np.int32),
                a.data.astype(float), np.zeros(n, dtype=np.int32))
    h.run()
    return h.getInfo().objective_function_value


def cases(tmp_path):
    """(name, data, duals unique): the baseline is degenerate, so its duals may come from another vertex."""
    yield "valid", load(write_input(tmp_path / "valid", VALID)).data, True
    for seed in range(6):
        yield f"generated-{seed}", load(write_input(tmp_path / f"g{seed}", generated_sheets(seed))).data, True
    yield "baseline", load(bundled_input()).data, False


def test_compiled_route_equals_pyomo_route(tmp_path):
    for name, data, unique_duals in cases(tmp_path):
        plan = PlanModel(data)
        ours = solve(compile_plan(plan))
        objective, duals = pyomo_solve(plan)
        assert ours.objective == pytest.approx(objective, rel=1e-9), name
        assert ours.objective == pytest.approx(standard_form_objective(plan), rel=1e-9), name
        if not unique_duals:  # test_shadow_price_property checks such duals against the derivative bracket
            continue
        for family in FAMILIES:
            theirs = [duals[con] for con in plan.family(family).values()]
            assert ours.rows[family]["dual"].to_numpy() == pytest.approx(theirs, rel=1e-7, abs=1e-7), (name, family)


def test_param_map_reproduces_a_fresh_compile_for_every_scenario():
    loaded = load(bundled_input())
    names = list(loaded.data["Scenarios"]["scenario"])
    scenarios = [apply_scenario(loaded.data, name)[0] for name in names]
    structure = derive_structure(loaded.data, *scenarios)
    compiled = compile_plan(PlanModel(loaded.data, structure))
    for name, data in zip(names, scenarios):
        mapped = compiled.numbers(param_values(data, structure))
        fresh = compile_plan(PlanModel(data, structure)).lp
        for field in ("col_cost", "row_lower", "row_upper", "a_value", "a_index", "a_start"):
            assert np.array_equal(getattr(mapped, field), getattr(fresh, field)), (name, field)


def test_union_structure_keeps_rows_a_case_lacks(tmp_path):
    # min_take only in the second case: the union has the row, the first case sets it to 0 (no limit)
    base = load(write_input(tmp_path / "a", VALID)).data
    taking = base.copy()
    taking.tables["Supply"]["min_take_t"] = [5.0, 0.0, 5.0, 0.0]
    structure = derive_structure(base, taking)
    assert len(structure.min_take) == 2
    compiled = compile_plan(PlanModel(base, structure))
    assert solve(compiled).objective == pytest.approx(solve(compile_plan(PlanModel(base))).objective)
