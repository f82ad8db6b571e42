"""The bundled US baseline: clean, cited, every scenario solves, and the scenarios say what they should."""
import csv

import pytest

from planner.run import bundled_input, load, solve_plan
from planner.scenarios import scenario_names

BASELINE = bundled_input("baseline")


@pytest.fixture(scope="module")
def loaded():
    return load(BASELINE)


@pytest.fixture(scope="module")
def outcomes(loaded):
    return {name: solve_plan(loaded, name) for name in scenario_names(loaded)}


def test_baseline_validates_with_no_warnings(loaded):
    assert loaded.warnings == []
    assert len(loaded.data.periods) == 20  # 2026Q1 … 2030Q4


def test_every_data_row_names_its_source():
    files = sorted(BASELINE.glob("*.csv"))
    assert len(files) >= 12
    for path in files:
        with path.open(newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                assert (row.get("reference") or "").strip(), f"{path.name} row {line} has no reference"


def test_the_scenario_library(loaded):
    scenarios = dict(zip(loaded.data["Scenarios"]["scenario"], loaded.data["Scenarios"]["probability"]))
    assert set(scenarios) == {"base", "snap-back", "full-denial", "dfars-2027", "magnet-delay", "defense-surge",
                              "approval-25"}
    assert sum(scenarios.values()) == pytest.approx(1)


def test_every_scenario_solves_and_every_override_applies(outcomes):
    for name, outcome in outcomes.items():
        assert outcome.solution.optimal, name
        assert outcome.warnings == [], name  # no override row that matches nothing


def test_no_controlled_material_ever_reaches_defense(outcomes):
    for name, outcome in outcomes.items():
        allocation = outcome.result.sheets["Allocation"]
        to_defense = allocation[(allocation["sector"] == "defense") & (allocation["used_t"] > 0)]
        assert not to_defense.empty
        assert "controlled" not in set(to_defense["channel"]), name


def licence_prices(outcome, material):
    prices = outcome.result.sheets["LicenceShadowPrices"]
    return prices[prices["material"] == material]["shadow_price"]


def total_unmet(outcome):
    return outcome.result.sheets["Shortfall"]["unmet_t"].sum()


def test_full_denial_is_worse_than_the_truce(outcomes):
    truce, denial = outcomes["base"], outcomes["full-denial"]
    assert total_unmet(denial) > total_unmet(truce)
    for material in ("Dy oxide", "Tb oxide"):
        assert licence_prices(denial, material).sum() > licence_prices(truce, material).sum()
        assert licence_prices(denial, material).max() > licence_prices(truce, material).max()


def test_dfars_serves_defense_only_from_the_clean_chain(outcomes):
    allocation = outcomes["dfars-2027"].result.sheets["Allocation"]
    later = allocation[(allocation["sector"] == "defense") & (allocation["period"] >= "2027Q1")
                       & (allocation["material"] == "NdFeB magnet")]
    assert later["used_t"].sum() == pytest.approx(0)
    assert outcomes["dfars-2027"].solution.objective > outcomes["base"].solution.objective
