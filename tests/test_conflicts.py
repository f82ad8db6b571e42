"""No plan: the limits that cannot hold together are named (SPEC §3, last paragraph)."""
import pytest

from planner.run import describe_conflict, solve_plan
from planner.inputs import load
from planner.issues import NoPlan
from tests.conftest import write_input
from tests.test_validation import VALID


def conflicts_of(tmp_path, stockpile_row):
    """The conflicting limits as worded for the planner (without the amount), and the total violation."""
    loaded = load(write_input(tmp_path / "in", dict(VALID, Stockpiles=[stockpile_row])))
    with pytest.raises(NoPlan) as caught:
        solve_plan(loaded)
    conflicts = caught.value.conflicts
    return {describe_conflict(c).split(" — ")[0] for c in conflicts}, sum(c.violation for c in conflicts)


def test_end_level_that_cannot_be_reached(tmp_path):
    # 5 t held, at most 2 t acquired a period over 2 periods: the end level can reach 9 t, not 10 t.
    conflicts, violation = conflicts_of(tmp_path, {"stockpile": "NDS", "material": "NdPr oxide", "initial_t": 5,
                                                   "max_acquire_t": 2, "end_min_t": 10})
    assert violation == pytest.approx(1)
    assert conflicts == {
        "end level of stockpile NDS (NdPr oxide): end_min_t = 10 t",
        "acquisition limit of stockpile NDS (NdPr oxide) in 2026: max_acquire_t = 2 t",
        "acquisition limit of stockpile NDS (NdPr oxide) in 2027: max_acquire_t = 2 t",
    }


def test_floor_above_ceiling(tmp_path):
    # in each of the 2 periods the level must be ≥ 8 and ≤ 6: 2 t of violation per period
    conflicts, violation = conflicts_of(tmp_path, {"stockpile": "NDS", "material": "NdPr oxide", "initial_t": 5,
                                                   "min_level_t": 8, "max_level_t": 6, "max_acquire_t": 100})
    assert violation == pytest.approx(4)
    assert {"floor of stockpile NDS (NdPr oxide) in 2026: min_level_t = 8 t",
            "ceiling of stockpile NDS (NdPr oxide) in 2026: max_level_t = 6 t",
            "floor of stockpile NDS (NdPr oxide) in 2027: min_level_t = 8 t",
            "ceiling of stockpile NDS (NdPr oxide) in 2027: max_level_t = 6 t"} <= conflicts
