"""Sweeps (SPEC §5) against curves worked out on paper, and the exact trace against independent solves.

The paper case (as test_hand_solved f): CN (controlled) sells up to 100 t of magnets at 10 under one
licence, requested R t × approval rate ρ, so the cap is c = Rρ; US (free) sells 30 t at 60; EV needs
100 t at a shortfall penalty of 200. The optimal cost in the cap c:
    c ∈ [0, 70]:   CN c, US 30, short 70 − c   → 10c + 1,800 + 200(70 − c) = 15,800 − 190c
    c ∈ [70, 100]: CN c, US 100 − c             → 10c + 60(100 − c)       = 6,000 − 50c
    c ≥ 100:       CN 100 (its capacity)        → 1,000
"""
import random

import numpy as np
import pytest

from models.compiled import compile_plan
from models.plan import PlanModel
from models.solve import solve
from planner.inputs import load
from planner.studies.pool import Pool
from planner.studies.sweep import build_sweep, data_at, make_parameter, parse_values, run_exact, run_grid
from tests.conftest import BASE, write_input
from tests.test_shadow_price_property import generated_sheets

approx = pytest.approx


def paper_case(requested):
    return {
        **BASE,
        "Supply": [{"source": "CN", "material": "mag", "capacity_t": 100, "price": 10},
                   {"source": "US", "material": "mag", "capacity_t": 30, "price": 60}],
        "Licences": [{"source": "CN", "material": "mag", "requested_t": requested, "approval_rate": 0.6}],
        "Sectors": [{"sector": "EV", "shortfall_penalty": 200}],
        "Demand": [{"sector": "EV", "material": "mag", "demand_t": 100}],
    }


def approval_sweep(tmp_path, requested, values):
    data = load(write_input(tmp_path / f"case{requested}", paper_case(requested))).data
    parameter = make_parameter(data, "Licences", "approval_rate", "set", {"source": "CN"})
    return data, parameter, build_sweep(data, parameter, values)


def test_values_lists_and_ranges():
    assert parse_values("0,0.25,0.5") == [0, 0.25, 0.5]
    assert parse_values("0:1:0.25") == [0, 0.25, 0.5, 0.75, 1]
    assert parse_values("0:1:0.3") == [0, 0.3, 0.6, 0.9, 1]  # the stop is always included
    assert len(parse_values("0:1:0.05")) == 21


def test_grid_sweep_is_piecewise_linear_with_the_known_breakpoint(tmp_path):
    # R = 100: cap = 100ρ; breakpoint at ρ = 0.7 (shortfall gone); slope −19,000 before, −5,000 after
    _, _, model = approval_sweep(tmp_path, 100, parse_values("0:1:0.1"))
    assert model.slope is not None  # approval rates move the caps in proportion
    points, groups = run_grid(model, Pool())
    objective = [p.objective for p in points]
    expected = [15_800 - 19_000 * r if r <= 0.7 else 6_000 - 5_000 * r for r in np.linspace(0, 1, 11)]
    assert objective == approx(expected)
    assert groups == [("EV", "mag")]
    assert points[5].unmet[0] == approx(20)  # ρ = 0.5: cap 50, 20 t short
    assert points[5].licence_shadow[0] == approx(190)  # a licensed tonne replaces a shortfall: 200 − 10
    assert points[8].licence_shadow[0] == approx(50)  # ρ = 0.8: it replaces a US tonne: 60 − 10
    assert points[8].licence_cap[0] == approx(80) and points[8].licence_flow[0] == approx(80)


def test_exact_sweep_finds_both_breakpoints_known_on_paper(tmp_path):
    # R = 150: cap = 150ρ; breakpoints at ρ = 70/150 = 7/15 (shortfall gone) and 100/150 = 2/3 (CN capacity)
    #   f = 15,800 − 28,500ρ on [0, 7/15];  6,000 − 7,500ρ on [7/15, 2/3];  1,000 on [2/3, 1]
    _, _, model = approval_sweep(tmp_path, 150, [0.0, 1.0])
    curve, breakpoints = run_exact(model)
    assert [b.value for b in breakpoints] == approx([7 / 15, 2 / 3])
    assert [b.objective for b in breakpoints] == approx([2_500, 1_000])
    assert [b.slope_left for b in breakpoints] == approx([-28_500, -7_500])
    assert [b.slope_right for b in breakpoints] == approx([-7_500, 0])
    assert "shortfall of mag for EV in P1 ends" in breakpoints[0].changes
    assert "capacity of CN for mag in P1 starts binding" in breakpoints[1].changes
    assert "licence cap CN / mag / P1 stops binding" in breakpoints[1].changes
    assert curve.objective(0.0) == approx(15_800) and curve.objective(1.0) == approx(1_000)


def test_exact_curve_equals_independent_solves_at_random_values(tmp_path):
    rng = random.Random(7)
    checked = 0
    for seed in range(4):
        data = load(write_input(tmp_path / f"g{seed}", generated_sheets(seed))).data
        parameter = make_parameter(data, "Licences", "approval_rate", "set", {"source": "CN"})
        model = build_sweep(data, parameter, [0.0, 1.0])
        curve, _ = run_exact(model)
        for _ in range(5):
            value = rng.random()
            independent = solve(compile_plan(PlanModel(data_at(data, parameter, value)))).objective
            assert curve.objective(value) == approx(independent, rel=1e-6), (seed, value)
            checked += 1
    assert checked == 20


def test_exact_curve_stays_exact_when_rounding_blocks_every_step_near_a_breakpoint(tmp_path, monkeypatch):
    """At a degenerate vertex rounding can leave a basic variable on its bound: just past a breakpoint no
    basis holds back to it and the ratio test allows no step forward either. Simulated here for CN's flow
    within 1e-6 t above 70 (the first breakpoint). The trace must step on by its first gap (1e-7 of the
    interval: 1.2e-5 t of cap) instead of creeping by 1e-15 per solve, and the curve must still be the
    paper's.

    Requested 120 t, so the cap is c = 120ρ: breaks at ρ = 70/120 and 100/120;
    f = 15,800 − 22,800ρ, then 6,000 − 6,000ρ, then 1,000."""
    import models.parametric as parametric

    data = load(write_input(tmp_path / "case", paper_case(120))).data
    parameter = make_parameter(data, "Licences", "approval_rate", "set", {"source": "CN"})
    model = build_sweep(data, parameter, [0.0, 1.0])
    licence_row = model.compiled.rows["licence"].start
    original, calls = parametric.step_limit, []

    def rounding_near_the_breakpoint(lp, x, r, move, direction, status):
        step = original(lp, x, r, move, direction, status)
        calls.append(step.length)
        backward = direction.row_upper.sum() < 0
        if backward or 0 < r[licence_row] - 70 < 1e-6:
            step.length = 0.0
        return step

    monkeypatch.setattr(parametric, "step_limit", rounding_near_the_breakpoint)
    monkeypatch.setattr(parametric, "MAX_STEPS", 2_000)
    curve, breakpoints = run_exact(model)
    assert len(calls) < 200  # a few gaps tried per breakpoint, not a creep of thousands of solves
    assert [b.value for b in breakpoints] == approx([70 / 120, 100 / 120], abs=1e-6)
    for value in (0.1, 0.5, 70 / 120, 0.7, 100 / 120, 0.9, 1.0):
        paper = max(15_800 - 22_800 * value, 6_000 - 6_000 * value, 1_000)
        assert curve.objective(value) == approx(paper, rel=1e-6), value


def test_objective_never_rises_as_approval_rates_rise(tmp_path):
    for seed in range(4):
        data = load(write_input(tmp_path / f"g{seed}", generated_sheets(seed))).data
        parameter = make_parameter(data, "Licences", "approval_rate", "set", {})
        points, _ = run_grid(build_sweep(data, parameter, parse_values("0:1:0.1")), Pool())
        objective = [p.objective for p in points]
        assert all(b <= a + 1e-6 * max(1, abs(a)) for a, b in zip(objective, objective[1:])), seed


def test_price_sweep_is_a_grid_only(tmp_path):
    from planner.issues import InputError

    data = load(write_input(tmp_path / "case", paper_case(100))).data
    parameter = make_parameter(data, "Supply", "price", "scale", {"source": "US"})
    model = build_sweep(data, parameter, [0.5, 2.0])
    points, _ = run_grid(model, Pool())
    # US at 30 or 120 per t: cap 60 → CN 60, US 30, 10 short: 600 + 900 + 2,000 and 600 + 3,600 + 2,000
    assert [p.objective for p in points] == approx([3_500, 6_200])
    with pytest.raises(InputError, match="changes costs or coefficients"):
        run_exact(model)


def test_breakpoints_closer_than_the_tolerance_are_one():
    """A run shorter than 1e-6 of the interval between two others (the sliver the trace steps through at a
    degenerate vertex) is no breakpoint pair: its neighbours meet at one breakpoint, where the first ends."""
    from models.parametric import Curve, Segment

    basis = (np.zeros(1, dtype=np.int8), np.zeros(1, dtype=np.int8))
    curve = Curve(0.0, 1.0, [Segment(0.0, 0.5, 10.0, -2.0, basis), Segment(0.5, 0.5 + 1e-8, 9.0, -5.0, basis),
                             Segment(0.5 + 1e-8, 1.0, 9.0, -1.0, basis)], (0.0, 1.0))
    (only,) = curve.breakpoints()
    assert (only.value, only.slope_left, only.slope_right) == approx((0.5, -2.0, -1.0), abs=1e-7)
    same = Curve(0.0, 1.0, [Segment(0.0, 0.5, 10.0, -2.0, basis), Segment(0.5, 0.5 + 1e-8, 9.0, -5.0, basis),
                            Segment(0.5 + 1e-8, 1.0, 9.0, -2.0, basis)], (0.0, 1.0))
    assert same.breakpoints() == []
    near_an_end = Curve(0.0, 1.0, [Segment(0.0, 1e-8, 10.0, 0.0, basis), Segment(1e-8, 1.0, 10.0, 1.0, basis)],
                        (0.0, 1.0))
    (kept,) = near_an_end.breakpoints()  # a short first run is a genuine breakpoint near the start: kept
    assert (kept.value, kept.slope_left, kept.slope_right) == approx((1e-8, 0.0, 1.0))
    stuck = Curve(0.0, 1.0, [Segment(0.0, 0.0, 10.0, -3.0, basis), Segment(0.0, 1.0, 10.0, -2.0, basis)], (0.0, 1.0))
    assert stuck.breakpoints() == []  # a step that could not move (zero length) is no piece of the curve
