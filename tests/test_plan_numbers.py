"""Numbers change without a rebuild (SPEC §7 'Fast'); a change that needs new rows is refused loudly."""
import pytest

from models.plan import PlanModel, StructureChanged
from models.solve import solve
from planner.inputs import load
from tests.conftest import write_input
from tests.test_validation import VALID


def test_set_numbers_resolves_with_new_numbers(tmp_path):
    # licence 80 × 0.6 = 48 t/period ≥ 30 t EV demand; approval 0.25 → 20 t, 10 t short in each of 2 periods
    data = load(write_input(tmp_path / "in", VALID)).data
    plan = PlanModel(data)
    assert solve(plan).value("short").sum() == pytest.approx(0)
    tighter = data.copy()
    tighter.tables["Licences"]["approval_rate"] = 0.25
    plan.set_numbers(tighter)
    assert solve(plan).value("short").sum() == pytest.approx(20)


def test_set_numbers_refuses_numbers_that_need_new_rows(tmp_path):
    data = load(write_input(tmp_path / "in", VALID)).data
    plan = PlanModel(data)
    changed = data.copy()
    changed.tables["Supply"]["min_take_t"] = 1.0  # min-take rows did not exist
    with pytest.raises(StructureChanged):
        plan.set_numbers(changed)
