"""The result tables and summary a planner acts on (SPEC §4): per material, spend first, spreadsheet-style ranging."""
import json

import numpy as np
import openpyxl
import pytest

from planner.compare import compare_results, compare_text, read_result, write_comparison
from planner.report import write_result
from planner.run import solve_plan
from planner.inputs import load
from planner.summary import summary_text
from tests.conftest import BASE, write_input

approx = pytest.approx


def two_materials():
    """One period. 'other' needs 10 t of Sm and 100 t of Y; EV needs 1,000 t of magnets, all served.

    Sm: CN licence 6 t → 4 t short (40%). Y: CN licence 76 t → 24 t short (24%). Magnets: US 1,000 t.
    Summed over materials 'other' would be 28 t short out of 110 t (25%), and 28 t of 1,110 t (2.5%) over
    all demand: numbers that describe no material. Each is reported on its own.
    """
    return {
        "Periods": [{"period": "P1"}],
        "Materials": [{"material": "Sm", "export_controlled": "TRUE"}, {"material": "Y", "export_controlled": "TRUE"},
                      {"material": "mag"}],
        "Sources": BASE["Sources"],
        "Supply": [{"source": "CN", "material": "Sm", "capacity_t": 100, "price": 10},
                   {"source": "CN", "material": "Y", "capacity_t": 100, "price": 10},
                   {"source": "US", "material": "mag", "capacity_t": 1000, "price": 50}],
        "Licences": [{"source": "CN", "material": "Sm", "requested_t": 6},
                     {"source": "CN", "material": "Y", "requested_t": 76}],
        "Sectors": [{"sector": "EV", "shortfall_penalty": 500}, {"sector": "other", "shortfall_penalty": 100}],
        "Demand": [{"sector": "EV", "material": "mag", "demand_t": 1000},
                   {"sector": "other", "material": "Sm", "demand_t": 10},
                   {"sector": "other", "material": "Y", "demand_t": 100}],
    }


@pytest.fixture
def outcome(tmp_path):
    return solve_plan(load(write_input(tmp_path / "two", two_materials())))


def test_unmet_is_never_summed_across_materials(outcome):
    unmet = outcome.result.summary.unmet
    rows = {(r.sector, r.material): (r.unmet_t, r.unmet_share) for r in unmet.itertuples()}
    assert rows[("other", "Sm")] == (approx(4), approx(0.4))
    assert rows[("other", "Y")] == (approx(24), approx(0.24))
    assert rows[("EV", "(every material)")][0] == 0
    assert np.isnan(unmet.loc[unmet["material"] == "(every material)", "demand_t"]).all()  # no tonnes summed
    text = summary_text(outcome.result)
    assert "other: Sm 4.00 t (40.0%), Y 24.00 t (24.0%)" in text
    assert "28" not in text.split("unmet demand")[1].split("\n")[1]  # no total of Sm and Y
    share = outcome.result.summary.controlled.set_index("material")["controlled_share"]
    assert share["Sm"] == approx(1) and share["Y"] == approx(1) and "mag" not in share or share["mag"] == 0
    json_unmet = outcome.result.to_json()["unmet_t"]
    assert json_unmet == {"EV": {"mag": 0.0}, "other": {"Sm": approx(4), "Y": approx(24)}}


def test_prices_set_by_a_shortfall_penalty_say_so(outcome):
    """Sm and Y go short for 'other' (penalty 100, one period, δ = 1): one more tonne of either is worth exactly
    that penalty, an assumption rather than a market price. Magnets are fully served at the US price of 50."""
    prices = outcome.result.sheets["MaterialPrices"].set_index("material")
    assert prices.loc["Sm", "shadow_price"] == approx(100) and prices.loc["Sm", "set_by"] == "shortfall penalty: other"
    assert prices.loc["Y", "shadow_price"] == approx(100) and prices.loc["Y", "set_by"] == "shortfall penalty: other"
    assert prices.loc["mag", "shadow_price"] == approx(50) and prices.loc["mag", "set_by"] == ""
    records = {r["material"]: r["set_by"] for r in outcome.result.to_json()["material_prices"]}
    assert records == {"mag": "", "Sm": "shortfall penalty: other", "Y": "shortfall penalty: other"}


def test_summary_puts_spend_before_the_notional_penalty_and_the_objective(outcome):
    figures = list(outcome.result.summary.figures["figure"])
    assert figures.index("total spend") < figures.index("shortfall penalty (notional)") < figures.index("objective")
    spend = outcome.result.summary.figure("total spend")
    assert spend == approx(6 * 10 + 76 * 10 + 1000 * 50)
    assert outcome.result.summary.figure("objective") == approx(spend + 28 * 100)
    title = outcome.result.summary.title
    assert title["scenario"] == "base" and title["input"] == "two" and title["run at"]


def test_allowable_increase_and_decrease_equal_range_minus_cap_on_the_hand_solved_case(tmp_path):
    """Case (f) of test_hand_solved: cap 40 → range [0, 70]; cap 80 → range [70, 100] (checked on paper there)."""
    for requested, increase, decrease in ((40, 30, 40), (80, 20, 10)):
        sheets = {**BASE,
                  "Supply": [{"source": "CN", "material": "mag", "capacity_t": 100, "price": 10},
                             {"source": "US", "material": "mag", "capacity_t": 30, "price": 60}],
                  "Licences": [{"source": "CN", "material": "mag", "requested_t": requested}],
                  "Sectors": [{"sector": "EV", "shortfall_penalty": 200}],
                  "Demand": [{"sector": "EV", "material": "mag", "demand_t": 100}]}
        result = solve_plan(load(write_input(tmp_path / f"f{requested}", sheets))).result
        row = result.sheets["LicenceShadowPrices"].iloc[0]
        assert row["allowable_increase_t"] == approx(increase) == row["range_high_t"] - row["cap_t"]
        assert row["allowable_decrease_t"] == approx(decrease) == row["cap_t"] - row["range_low_t"]
        assert bool(row["binding"])


def test_unbounded_range_is_blank_and_a_slack_cap_is_not_binding(tmp_path):
    # cap 500 > the 100 t bought: shadow price 0 for any cap ≥ 100, no upper limit
    sheets = {**BASE, "Supply": [{"source": "CN", "material": "mag", "capacity_t": 100, "price": 10}],
              "Licences": [{"source": "CN", "material": "mag", "requested_t": 500}],
              "Sectors": [{"sector": "EV", "shortfall_penalty": 200}],
              "Demand": [{"sector": "EV", "material": "mag", "demand_t": 100}]}
    result = solve_plan(load(write_input(tmp_path / "slack", sheets))).result
    row = result.sheets["LicenceShadowPrices"].iloc[0]
    assert np.isnan(row["allowable_increase_t"]) and row["allowable_decrease_t"] == approx(400)
    assert not bool(row["binding"])
    payload = result.to_json()["licence_shadow_prices"][0]
    assert payload["allowable_increase_t"] is None and payload["range_high_t"] is None


def test_a_value_holding_over_less_than_a_tonne_says_so_with_the_average_of_a_whole_tonne(tmp_path):
    """EV needs 10.5 t: CN licence 10 t at price 10, then US at 60 (capacity 100). Penalty 200.

    At cap 10.2 (requested 10.2): CN 10.2 t, US 0.3 t. One more licensed tonne first replaces 0.3 t of US
    (worth 60 − 10 = 50 each) and then nothing (all demand met by CN): the shadow price 50 holds for 0.3 t,
    and a whole tonne is worth 0.3 × 50 = 15 on average.
    """
    sheets = {**BASE, "Supply": [{"source": "CN", "material": "mag", "capacity_t": 100, "price": 10},
                                 {"source": "US", "material": "mag", "capacity_t": 100, "price": 60}],
              "Licences": [{"source": "CN", "material": "mag", "requested_t": 10.2}],
              "Sectors": [{"sector": "EV", "shortfall_penalty": 200}],
              "Demand": [{"sector": "EV", "material": "mag", "demand_t": 10.5}]}
    result = solve_plan(load(write_input(tmp_path / "thin", sheets))).result
    top = result.summary.top_licences.iloc[0]
    assert top["shadow_price"] == approx(50) and top["allowable_increase_t"] == approx(0.3)
    assert top["whole_tonne_value"] == approx(15)
    assert top["note"] == "holds for 0.300 t only; a whole extra tonne is worth 15 USD/t on average"
    assert result.sheets["LicenceShadowPrices"].iloc[0]["note"] == "value holds for the next 0.300 t only"


def test_most_valuable_licence_per_material_not_ten_periods_of_one(tmp_path):
    periods = [{"period": f"P{i}"} for i in range(1, 13)]
    sheets = dict(two_materials(), Periods=periods)
    sheets["Licences"] = [dict(r, period="*") for r in sheets["Licences"]]
    sheets["Demand"] = [dict(r, period="*") for r in sheets["Demand"]]
    sheets["Supply"] = [dict(r, period="*") for r in sheets["Supply"]]
    result = solve_plan(load(write_input(tmp_path / "many", sheets))).result
    top = result.summary.top_licences
    assert list(top["material"]) == ["Sm", "Y"] or list(top["material"]) == ["Y", "Sm"]
    assert (top["period"] == "P1").all()  # earliest period on ties


def test_procurement_reduced_cost_is_how_far_the_price_must_fall(tmp_path):
    """US sells at 60 but CN covers the 50 t needed at 10 with capacity to spare: US's price must fall by 50."""
    sheets = {**BASE, "Supply": [{"source": "CN", "material": "mag", "capacity_t": 100, "price": 10},
                                 {"source": "US", "material": "mag", "capacity_t": 100, "price": 60}],
              "Licences": [{"source": "CN", "material": "mag", "requested_t": 100}],
              "Sectors": [{"sector": "EV", "shortfall_penalty": 200}],
              "Demand": [{"sector": "EV", "material": "mag", "demand_t": 50}]}
    procurement = solve_plan(load(write_input(tmp_path / "rc", sheets))).result.sheets["Procurement"]
    reduced = procurement.set_index("source")["reduced_cost"]
    assert reduced["CN"] == 0 and reduced["US"] == approx(50)


# -- compare (SPEC §6)

def hand_made_result(path, scenario, objective, unmet_sm, bought_cn, price_sm):
    payload = {
        "status": "optimal", "objective": objective, "scenario": scenario,
        "shortfall": [{"sector": "other", "material": "Sm", "period": "P1", "demand_t": 10, "served_t": 10 - unmet_sm,
                       "unmet_t": unmet_sm},
                      {"sector": "EV", "material": "mag", "period": "P1", "demand_t": 100, "served_t": 100,
                       "unmet_t": 0}],
        "procurement": [{"source": "CN", "material": "Sm", "period": "P1", "bought_t": bought_cn, "price": 10},
                        {"source": "US", "material": "mag", "period": "P1", "bought_t": 100, "price": 50}],
        "licence_shadow_prices": [{"source": "CN", "material": "Sm", "period": "P1", "end_use": "", "cap_t": bought_cn,
                                   "flow_t": bought_cn, "shadow_price": price_sm, "range_low_t": 0,
                                   "range_high_t": None}],
        "material_prices": [], "stockpiles": []}
    path.write_text(json.dumps(payload))
    return path


def test_compare_two_hand_made_results(tmp_path):
    a = hand_made_result(tmp_path / "a.json", "base", 1000.0, 4, 6, 90)
    b = hand_made_result(tmp_path / "b.json", "denial", 1600.0, 10, 0, 90)
    comparison = compare_results(read_result(a), read_result(b))
    assert comparison.overview.set_index("figure").loc["objective", "change"] == approx(600)
    unmet = comparison.unmet.set_index(["sector", "material"])
    assert unmet.loc[("other", "Sm"), "change_t"] == approx(6)
    assert unmet.loc[("EV", "mag"), "change_t"] == 0
    bought = comparison.procurement.set_index(["source", "material"])
    assert bought.loc[("CN", "Sm"), "change_t"] == approx(-6)
    text = compare_text(comparison, "out.xlsx")
    assert "objective: A 1,000, B 1,600, change +600" in text
    assert "other / Sm: 4.00 → 10.00 (+6.00)" in text
    out = tmp_path / "cmp.xlsx"
    write_comparison(comparison, out)
    wb = openpyxl.load_workbook(out)
    assert wb["Charts"]._charts  # a chart in the comparison workbook
    # a workbook written by solve compares with its JSON twin: no change at all
    result = solve_plan(load(write_input(tmp_path / "two", two_materials()))).result
    write_result(result, tmp_path / "two.xlsx")
    (tmp_path / "two.json").write_text(json.dumps(result.to_json()))
    same = compare_results(read_result(tmp_path / "two.xlsx"), read_result(tmp_path / "two.json"))
    assert same.overview.set_index("figure").loc["objective", "change"] == approx(0)
    assert (same.unmet["change_t"].abs() < 1e-9).all() and (same.licences["change"].abs() < 1e-9).all()


def test_compare_command_default_name_and_a_bad_file(tmp_path):
    import subprocess
    import sys

    a = hand_made_result(tmp_path / "a.json", "base", 1000.0, 4, 6, 90)
    b = hand_made_result(tmp_path / "b.json", "denial", 1600.0, 10, 0, 90)
    done = subprocess.run([sys.executable, "-m", "planner", "compare", str(a), str(b)], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "results" / "a-vs-b-compare.xlsx").exists()
    (tmp_path / "c.json").write_text("{}")
    done = subprocess.run([sys.executable, "-m", "planner", "compare", str(a), "c.json"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "not a result of reeplan solve" in done.stderr


def test_names_that_look_like_formulas_are_written_as_text(tmp_path):
    sheets = two_materials()
    sheets["Sources"] = [{"source": "=1+1", "controlled": "TRUE"}, {"source": "US", "controlled": "FALSE"}]
    for table in ("Supply", "Licences"):
        sheets[table] = [dict(r, source="=1+1" if r["source"] == "CN" else r["source"]) for r in sheets[table]]
    result = solve_plan(load(write_input(tmp_path / "f", sheets))).result
    write_result(result, tmp_path / "f.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "f.xlsx")
    cells = [c for row in wb["Procurement"].iter_rows(min_row=2) for c in row if c.value == "=1+1"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_binding_capacities_leave_out_capacities_of_zero(outcome):
    from planner.results import binding_capacities

    shadow = outcome.result.sheets["ShadowPrices"]
    zero = shadow.assign(rhs=0.0, slack=0.0, shadow_price=5.0, family="supply_capacity")
    assert binding_capacities(zero).empty


def test_summary_and_charts_stay_short_on_a_plan_with_many_materials(tmp_path):
    from bench.generate import generated
    from planner.report import MAX_CHARTS, result_charts
    from planner.results import SUMMARY_ROWS, UNMET_ROWS

    result = solve_plan(load(write_input(tmp_path / "big", generated(30, 4, 1)))).result
    s = result.summary
    assert (s.unmet["unmet_t"] > 0).sum() <= UNMET_ROWS
    assert s.unmet["sector"].iloc[-1].endswith("more short sector and material pairs: sheet Shortfall)")
    assert len(s.controlled) <= SUMMARY_ROWS + 1 and len(s.top_licences) <= SUMMARY_ROWS + 1
    assert len(result_charts(result)) <= 3 * MAX_CHARTS
    assert "more short sector and material pairs" in summary_text(result)
