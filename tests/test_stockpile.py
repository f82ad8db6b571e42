"""Stockpile sizing (SPEC §5) against cases solved on paper.

The paper case: one period; defense needs d_s t of magnets (penalty 1,000/t); US sells up to 20 t at 300;
a sizable stock (initial 0) costs c per tonne added and is released free. Scenarios: calm (p 0.6, d 10)
and crisis (p 0.4, d 50). For a starting level L:
    Q_calm(L)   = 300 · max(0, 10 − L)
    Q_crisis(L) = 6,000 + 1,000 (30 − L) for L ≤ 30;  300 (50 − L) for 30 ≤ L ≤ 50;  0 beyond
With c = 100, F(L) = 100 L + 0.6 Q_calm + 0.4 Q_crisis has slopes −480, −300, −20, +100 on
[0,10], [10,30], [30,50], [50,∞): L* = 50, RP = F(50) = 5,000.
WS = 0.6 · min(100L + Q_calm) + 0.4 · min(100L + Q_crisis) = 0.6 · 1,000 + 0.4 · 5,000 = 2,600; EVPI = 2,400.
Mean-value problem: demand 0.6·10 + 0.4·50 = 26 → x̄ = 26; EEV = F(26) = 2,600 + 0.4 · (6,000 + 4,000) = 6,600;
VSS = 1,600. Saving of the last tonne at 50, before size cost: 0.4 · 300 = 120; of the next: 0.
"""
import numpy as np
import pytest

from planner.issues import InputError
from planner.inputs import load
from planner.studies.pool import Pool
from planner.studies.stockpile import build_study, library_scenarios, run_study
from tests.conftest import write_input

approx = pytest.approx


def paper_case(size_cost=100, settings=(), periods=("P1",), **extra):
    sheets = {
        "Settings": [{"key": k, "value": v} for k, v in settings],
        "Periods": [{"period": p} for p in periods],
        "Materials": [{"material": "mag"}],
        "Sources": [{"source": "US"}],
        "Supply": [{"source": "US", "material": "mag", "capacity_t": 20, "price": 300}],
        "Sectors": [{"sector": "defense", "shortfall_penalty": 1000, "accepts_controlled": "FALSE"}],
        "Demand": [{"sector": "defense", "material": "mag", "demand_t": 10}],
        "Stockpiles": [{"stockpile": "NDS", "material": "mag", "initial_t": 0, "sizable": "TRUE",
                        "size_cost": size_cost, "max_size_t": 100}],
        "Scenarios": [{"scenario": "calm", "probability": 0.6}, {"scenario": "crisis", "probability": 0.4}],
        "Overrides": [{"scenario": "crisis", "sheet": "Demand", "column": "demand_t", "operation": "set",
                       "value": 50}],
    }
    sheets.update(extra)
    return {k: v for k, v in sheets.items() if v}


def study(tmp_path, sheets, method="auto", name="case"):
    loaded = load(write_input(tmp_path / name, sheets))
    return run_study(loaded.data, library_scenarios(loaded.data), Pool(), method=method)


@pytest.mark.parametrize("method", ["ef", "decomposition"])
def test_two_scenario_stockpile_known_on_paper(tmp_path, method):
    result = study(tmp_path, paper_case(), method)
    assert result.rp == approx(5_000)
    assert [s.level_t for s in result.sizes] == approx([50])
    assert result.ws == approx(2_600)
    assert result.eev == approx(6_600)
    assert result.vss == approx(1_600)
    assert result.evpi == approx(2_400)
    size = result.sizes[0]
    assert size.marginal_value_last == approx(120) and size.marginal_value_next == approx(0)
    assert list(result.cost) == approx([5_000, 5_000])  # 100 × 50 of stock; no recourse cost in either
    assert result.unmet.sum() == approx(0)
    assert list(result.used[:, 0]) == approx([10, 50])


def test_sizing_curve_on_paper(tmp_path):
    # levels 0, 10, …, 100 (twice the chosen 50): expected cost F(L) from the slopes above
    result = study(tmp_path, paper_case())
    curve = [(p.level_t, p.expected_cost) for p in result.curve]
    assert [level for level, _ in curve] == approx(list(np.linspace(0, 100, 11)))

    def f(level):
        calm = 300 * max(0, 10 - level)
        crisis = 6_000 + 1_000 * (30 - level) if level <= 30 else 300 * max(0, 50 - level)
        return 100 * level + 0.6 * calm + 0.4 * crisis

    assert [cost for _, cost in curve] == approx([f(level) for level, _ in curve])
    expected_unmet = [p.expected_unmet[0] for p in result.curve]
    assert expected_unmet == approx([0.4 * max(0, 30 - level) for level, _ in curve])


@pytest.mark.parametrize("method", ["ef", "decomposition"])
def test_cvar_moves_the_level_as_on_paper(tmp_path, method):
    """size_cost 150: risk-neutral slope on [30, 50] is 150 − 120 = +30, so L* = 30 and RP = 4,500 + 0.4·6,000 = 6,900.
    With risk_weight 0.5 and cvar_alpha 0.5 the worst half of the mass is crisis (0.4) and calm (0.1):
    CVaR = 0.8 Q_crisis + 0.2 Q_calm, so the slope on [30, 50] is 30 − 0.5 · 0.8 · 300 = −90 < 0: L* = 50, where
    every Q is 0: RP = 150 · 50 = 7,500 (at 30 it would be 6,900 + 0.5 · 0.8 · 6,000 = 9,300)."""
    neutral = study(tmp_path, paper_case(size_cost=150), method, name="neutral")
    assert neutral.sizes[0].level_t == approx(30) and neutral.rp == approx(6_900)
    averse = study(tmp_path, paper_case(size_cost=150, settings=[("risk_weight", 0.5), ("cvar_alpha", 0.5)]), method,
                   name="averse")
    assert averse.sizes[0].level_t == approx(50) and averse.rp == approx(7_500)
    assert averse.ws <= averse.rp + 1e-6 <= averse.eev + 2e-6


def branch_case(branch):
    """Two periods. US sells 100 t at 100 in P1 and 20 t at 300 in P2; demand only in P2 (calm 10, crisis 50).
    A buffer (not sizable) may buy up to 100 t in P1. Without non-anticipativity each scenario buys its own
    demand in P1: RP = 0.6 · 1,000 + 0.4 · 5,000 = 2,600. With branch_period P2 the P1 purchase is one decision
    for both: 100 A + 0.6 Q_calm(A) + 0.4 Q_crisis(A), the same curve as the paper case: A* = 50, RP = 5,000."""
    return paper_case(
        settings=[("branch_period", branch)], periods=("P1", "P2"),
        Supply=[{"source": "US", "material": "mag", "period": "P1", "capacity_t": 100, "price": 100},
                {"source": "US", "material": "mag", "period": "P2", "capacity_t": 20, "price": 300}],
        Demand=[{"sector": "defense", "material": "mag", "period": "P1", "demand_t": 0},
                {"sector": "defense", "material": "mag", "period": "P2", "demand_t": 10}],
        Stockpiles=[{"stockpile": "buffer", "material": "mag", "initial_t": 0, "max_acquire_t": 100}],
        Overrides=[{"scenario": "crisis", "sheet": "Demand", "column": "demand_t", "operation": "set", "value": 50,
                    "period": "P2"}])


def test_branch_period_makes_early_purchases_one_decision(tmp_path):
    free = study(tmp_path, branch_case("P1"), name="free")
    assert free.rp == approx(2_600) and free.ws == approx(2_600)
    bound = study(tmp_path, branch_case("P2"), name="bound")
    assert bound.rp == approx(5_000)
    assert list(bound.used[:, 0]) == approx([10, 50])  # 50 t bought in P1 in both; calm uses 10


def test_scenarios_that_differ_before_the_branch_are_refused(tmp_path):
    sheets = branch_case("P2")
    sheets["Overrides"] = [{"scenario": "crisis", "sheet": "Demand", "column": "demand_t", "operation": "set",
                            "value": 5, "period": "P1"}]
    loaded = load(write_input(tmp_path / "case", sheets))
    with pytest.raises(InputError, match="scenario crisis changes demand of defense for mag in P1"):
        build_study(loaded.data, library_scenarios(loaded.data))


def test_overrides_that_change_channels_are_refused(tmp_path):
    sheets = paper_case(Overrides=[{"scenario": "crisis", "sheet": "Sectors", "column": "accepts_controlled",
                                    "operation": "set", "value": "TRUE"}])
    loaded = load(write_input(tmp_path / "case", sheets))
    with pytest.raises(InputError, match="Overrides row 2, column column: 'accepts_controlled' changes which channels"):
        library_scenarios(loaded.data)
