"""Properties of stockpile studies on generated cases (SPEC §5), and sampled scenarios.

WS ≤ RP ≤ EEV (so VSS, EVPI ≥ 0) whatever the data; the extensive form and the L-shaped decomposition give
the same RP (1e-6), the same levels and the same marginal values; a seed gives the same sampled scenarios every time.
"""
import random

import numpy as np
import pytest

from planner.inputs import bundled_input, load
from planner.issues import InputError
from planner.studies.pool import Pool
from planner.studies.sampling import sample_scenarios
from planner.studies.stockpile import library_scenarios, run_study, sampled_scenarios
from tests.conftest import write_input
from tests.test_shadow_price_property import generated_sheets
from tests.test_validation import VALID


def stochastic_sheets(seed: int) -> dict[str, list[dict]]:
    """A generated plan with a sizable defense stock and three scenarios that change demand, approvals and supply."""
    rng = random.Random(100 + seed)
    sheets = generated_sheets(seed)
    sheets["Stockpiles"] = [{"stockpile": "NDS", "material": "mag", "initial_t": rng.choice([0, 5]),
                             "reserved_for": "defense", "sizable": "TRUE", "size_cost": rng.randint(20, 400),
                             "max_size_t": rng.choice([40, ""]), "holding_cost": rng.choice([0, 1])}]
    sheets["Scenarios"] = [{"scenario": "calm", "probability": 0.5}, {"scenario": "tight", "probability": 0.3},
                           {"scenario": "crisis", "probability": 0.2}]
    sheets["Overrides"] = [
        {"scenario": "tight", "sheet": "Licences", "column": "approval_rate", "operation": "scale", "value": 0.5},
        {"scenario": "crisis", "sheet": "Licences", "column": "approval_rate", "operation": "set", "value": 0},
        {"scenario": "crisis", "sheet": "Demand", "column": "demand_t", "operation": "scale",
         "value": rng.choice([1.5, 2]), "sector": "defense"},
        {"scenario": "crisis", "sheet": "Supply", "column": "capacity_t", "operation": "scale", "value": 0.5,
         "source": "US"},
    ]
    if rng.random() < 0.5:
        sheets["Settings"] = sheets.get("Settings", []) + [{"key": "risk_weight", "value": rng.choice([0.5, 1])},
                                                           {"key": "cvar_alpha", "value": 0.6}]
    return sheets


@pytest.mark.parametrize("seed", range(6))
def test_ws_rp_eev_order_and_both_methods_agree(tmp_path, seed):
    data = load(write_input(tmp_path / "case", stochastic_sheets(seed))).data
    scenarios = library_scenarios(data)
    ef = run_study(data, scenarios, Pool(), method="ef", curve=False)
    tolerance = 1e-6 * max(1.0, abs(ef.rp))
    assert ef.ws <= ef.rp + tolerance
    assert ef.eev is None or ef.rp <= ef.eev + tolerance
    assert ef.evpi >= 0 and (ef.vss is None or ef.vss >= 0)
    lshaped = run_study(data, scenarios, Pool(), method="decomposition", curve=False)
    assert lshaped.rp == pytest.approx(ef.rp, rel=1e-6)
    assert lshaped.ws == pytest.approx(ef.ws, rel=1e-6)
    assert [s.level_t for s in lshaped.sizes] == pytest.approx([s.level_t for s in ef.sizes], rel=1e-5, abs=1e-5)
    assert lshaped.cost == pytest.approx(ef.cost, rel=1e-6)
    for a, b in zip(lshaped.sizes, ef.sizes):  # exact one-sided derivatives, by the cut model and by the EF
        for mine, theirs in ((a.marginal_value_last, b.marginal_value_last), (a.marginal_value_next, b.marginal_value_next)):
            assert (mine is None) == (theirs is None)
            assert mine is None or mine == pytest.approx(theirs, rel=1e-5, abs=1e-6 * max(1.0, abs(ef.rp)))


def test_marginal_values_by_decomposition_equal_the_extensive_forms_on_the_baseline():
    """On the baseline the cut model sits on a degenerate vertex: its minimum at the chosen level is below F
    by up to the decomposition's stopping gap, and the exact trace steps off it through a sliver with the
    slope of an arbitrary optimal basis. Either made the saving of the last or next tonne wrong by up to
    40%; both methods must give the same one-sided derivatives (10 sampled scenarios, seed 1)."""
    data = load(bundled_input()).data
    scenarios = sampled_scenarios(data, 10, 1)
    ef = run_study(data, scenarios, Pool(), method="ef", curve=False)
    lshaped = run_study(data, scenarios, Pool(), method="decomposition", curve=False)
    assert lshaped.rp == pytest.approx(ef.rp, rel=1e-9)
    for a, b in zip(lshaped.sizes, ef.sizes):
        for mine, theirs in ((a.marginal_value_last, b.marginal_value_last), (a.marginal_value_next, b.marginal_value_next)):
            assert (mine is None) == (theirs is None), a
            assert mine is None or mine == pytest.approx(theirs, rel=1e-6, abs=1.0), a


UNCERTAINTY = [
    {"sheet": "Licences", "column": "approval_rate", "operation": "set", "distribution": "uniform", "low": 0.2,
     "high": 0.8},
    {"sheet": "Demand", "column": "demand_t", "operation": "scale", "distribution": "triangular", "low": 0.8,
     "mode": 1, "high": 1.5, "sector": "EV"},
    {"sheet": "Supply", "column": "capacity_t", "operation": "set", "distribution": "bernoulli", "probability": 0.5,
     "value": 0, "source": "MP"},
]


def test_a_seed_gives_the_same_scenarios_and_each_scenario_its_own_stream(tmp_path):
    data = load(write_input(tmp_path / "case", dict(VALID, Uncertainty=UNCERTAINTY))).data
    first = sample_scenarios(data, 20, seed=7)
    again = sample_scenarios(data, 20, seed=7)
    assert [n for n, _ in first] == [f"sample-{k:04d}" for k in range(1, 21)]
    for (_, a), (_, b) in zip(first, again):
        for sheet in ("Licences", "Demand", "Supply"):
            assert a[sheet].equals(b[sheet])
    longer = sample_scenarios(data, 30, seed=7)  # scenario k does not depend on how many are drawn
    assert longer[4][1]["Demand"].equals(first[4][1]["Demand"])
    rates = [case["Licences"]["approval_rate"].iloc[0] for _, case in first]
    assert len(set(rates)) == 20 and all(0.2 <= r <= 0.8 for r in rates)
    mp = [case["Supply"].query("source == 'MP'")["capacity_t"].max() for _, case in first]
    assert set(mp) <= {0.0, 4000.0} and 0 < mp.count(0.0) < 20


def test_sampled_study_is_the_same_on_two_workers(tmp_path):
    data = load(write_input(tmp_path / "case", dict(VALID, Uncertainty=UNCERTAINTY))).data
    serial = run_study(data, sampled_scenarios(data, 12, 3), Pool(chunk=3), curve=False)
    with Pool(workers=2, chunk=3) as pool:
        parallel = run_study(data, sampled_scenarios(data, 12, 3), pool, curve=False)
    assert (parallel.rp, parallel.ws) == (serial.rp, serial.ws)
    assert np.array_equal(parallel.cost, serial.cost)


@pytest.mark.parametrize("row, message", [
    ({"sheet": "Demand", "column": "sector", "operation": "set", "distribution": "uniform", "low": 1, "high": 2},
     "Uncertainty row 2, column column: 'sector' is not a numeric column of Demand a draw can change"),
    ({"sheet": "Demand", "column": "demand_t", "operation": "set", "distribution": "uniform", "low": 1},
     "Uncertainty row 2, column high: a uniform draw needs high"),
    ({"sheet": "Demand", "column": "demand_t", "operation": "set", "distribution": "triangular", "low": 1,
      "mode": 5, "high": 2}, "Uncertainty row 2, column mode: mode 5 is outside [low 1, high 2]"),
    ({"sheet": "Demand", "column": "demand_t", "operation": "scale", "distribution": "poisson", "low": 1},
     "Uncertainty row 2, column distribution: 'poisson' is not one of uniform, triangular, bernoulli"),
    ({"sheet": "Demand", "column": "demand_t", "operation": "set", "distribution": "bernoulli", "value": 1},
     "Uncertainty row 2, column probability: a bernoulli draw needs probability"),
    ({"sheet": "Supply", "column": "capacity_t", "operation": "set", "distribution": "uniform", "low": 1,
      "high": 2, "sector": "EV"}, "Uncertainty row 2, column sector: sheet Supply has no column sector to match on"),
])
def test_uncertainty_rows_are_validated_with_sheet_row_and_column(tmp_path, row, message):
    with pytest.raises(InputError) as caught:
        load(write_input(tmp_path / "case", dict(VALID, Uncertainty=[row])))
    assert message in [str(p) for p in caught.value.problems]


def test_a_draw_that_breaks_a_column_is_refused_naming_the_row(tmp_path):
    row = {"sheet": "Licences", "column": "approval_rate", "operation": "scale", "distribution": "uniform",
           "low": 1, "high": 3}
    data = load(write_input(tmp_path / "case", dict(VALID, Uncertainty=[row]))).data
    with pytest.raises(InputError, match=r"Uncertainty row 2, column operation: in sample-0001 the draw .* makes "
                                         r"approval_rate invalid"):
        sample_scenarios(data, 3, seed=1)
