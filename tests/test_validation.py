"""One test per validation rule of SPEC §2: each message names sheet, Excel row and column."""
import openpyxl
import pytest

from planner.issues import InputError
from planner.inputs import load
from tests.conftest import write_input

VALID = {
    "Periods": [{"period": "2026"}, {"period": "2027"}],
    "Materials": [{"material": "Dy oxide", "export_controlled": "TRUE"}, {"material": "NdPr oxide"}],
    "Sources": [{"source": "China", "controlled": "TRUE"}, {"source": "MP", "controlled": "FALSE"}],
    "Supply": [{"source": "China", "material": "Dy oxide", "period": "*", "capacity_t": 50, "price": 290000,
                "min_take_t": 0},
               {"source": "MP", "material": "NdPr oxide", "period": "*", "capacity_t": 4000, "price": 110000,
                "min_take_t": 0}],
    "Licences": [{"source": "China", "material": "Dy oxide", "period": "*", "requested_t": 80,
                  "approval_rate": 0.6, "lead_time": 0}],
    "Sectors": [{"sector": "defense", "shortfall_penalty": 5e6, "accepts_controlled": "FALSE"},
                {"sector": "EV", "shortfall_penalty": 3e5, "accepts_controlled": "TRUE"}],
    "Demand": [{"sector": "EV", "material": "Dy oxide", "period": "*", "demand_t": 30}],
}


def with_changes(**sheets):
    return {**VALID, **sheets}


def problems_of(tmp_path, sheets):
    with pytest.raises(InputError) as caught:
        load(write_input(tmp_path / "in", sheets))
    return [str(p) for p in caught.value.problems]


def changed_row(sheet, index, **cells):
    rows = [dict(r) for r in VALID[sheet]]
    rows[index].update(cells)
    return {sheet: rows}


def test_valid_input_has_no_problems(tmp_path):
    loaded = load(write_input(tmp_path / "in", VALID))
    assert loaded.warnings == []
    assert list(loaded.data["Supply"]["period"]) == ["2026", "2026", "2027", "2027"]


def test_required_sheet_missing(tmp_path):
    sheets = dict(VALID)
    del sheets["Demand"]
    assert problems_of(tmp_path, sheets) == ["Demand: required sheet is missing"]


def test_required_column_missing(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "price"} for r in VALID["Supply"]]
    assert problems_of(tmp_path, with_changes(Supply=rows)) == ["Supply row 1, column price: required column is missing"]


def test_required_value_missing(tmp_path):
    problems = problems_of(tmp_path, with_changes(**changed_row("Supply", 1, capacity_t="")))
    assert problems == ["Supply row 3, column capacity_t: required value is missing"]


@pytest.mark.parametrize("text, message", [
    ("abc", "'abc' is not a number"),
    ("1,000", "'1,000' is not a number (write it without thousands separators or commas)"),
    ("#N/A", "Excel error value #N/A; expected a number"),
])
def test_numbers_that_are_not_numbers(tmp_path, text, message):
    problems = problems_of(tmp_path, with_changes(**changed_row("Supply", 0, capacity_t=text)))
    assert problems == [f"Supply row 2, column capacity_t: {message}"]


@pytest.mark.parametrize("column", ["capacity_t", "price", "min_take_t"])
def test_negative_quantities_capacities_and_prices(tmp_path, column):
    problems = problems_of(tmp_path, with_changes(**changed_row("Supply", 1, **{column: -5})))
    assert problems == [f"Supply row 3, column {column}: -5 is negative; expected a number >= 0"]


def test_rate_outside_unit_interval(tmp_path):
    problems = problems_of(tmp_path, with_changes(**changed_row("Licences", 0, approval_rate=1.4)))
    assert problems == ["Licences row 2, column approval_rate: 1.4 is outside [0, 1]"]


def test_lead_time_must_be_whole_periods(tmp_path):
    problems = problems_of(tmp_path, with_changes(**changed_row("Licences", 0, lead_time=0.5)))
    assert problems == ["Licences row 2, column lead_time: 0.5 is not a whole number"]


def test_boolean_words(tmp_path):
    problems = problems_of(tmp_path, with_changes(**changed_row("Sectors", 0, accepts_controlled="maybe")))
    assert problems == ["Sectors row 2, column accepts_controlled: 'maybe' is not a boolean "
                        "(use TRUE/FALSE, yes/no, y/n or 1/0)"]


def test_duplicate_keys(tmp_path):
    rows = VALID["Supply"] + [dict(VALID["Supply"][0], price=1)]
    problems = problems_of(tmp_path, with_changes(Supply=rows))
    assert problems == ["Supply row 4, column source: duplicate of row 2 (same source, material, period)"]


def test_duplicate_ids_are_case_insensitive(tmp_path):
    problems = problems_of(tmp_path, with_changes(Materials=VALID["Materials"] + [{"material": "dy OXIDE"}]))
    assert problems == ["Materials row 4, column material: duplicate of row 2 (same material)"]


def test_specific_period_overrides_star_row(tmp_path):
    rows = VALID["Supply"] + [dict(VALID["Supply"][0], period="2027", capacity_t=7)]
    supply = load(write_input(tmp_path / "in", with_changes(Supply=rows))).data["Supply"]
    china = supply[supply["source"] == "China"].set_index("period")["capacity_t"]
    assert china.to_dict() == {"2026": 50, "2027": 7}


def test_names_match_case_insensitively_and_take_the_defining_spelling(tmp_path):
    supply = load(write_input(tmp_path / "in", with_changes(**changed_row("Supply", 0, material=" dy oxide ")))).data
    assert set(supply["Supply"]["material"]) == {"Dy oxide", "NdPr oxide"}


def test_ids_that_refer_to_nothing(tmp_path):
    problems = problems_of(tmp_path, with_changes(**changed_row("Supply", 1, material="Unobtainium")))
    assert problems == ["Supply row 3, column material: unknown material 'Unobtainium' (not on sheet Materials)"]


def test_unknown_period(tmp_path):
    problems = problems_of(tmp_path, with_changes(**changed_row("Demand", 0, period="2031")))
    assert problems == ["Demand row 2, column period: unknown period '2031' (not on sheet Periods)"]


def test_licence_on_a_source_that_is_not_controlled(tmp_path):
    rows = VALID["Licences"] + [{"source": "MP", "material": "Dy oxide", "requested_t": 5}]
    problems = problems_of(tmp_path, with_changes(Licences=rows))
    assert problems == ["Licences row 3, column source: source 'MP' is not controlled (Sources.controlled): "
                        "it needs no licence"]


def test_min_take_above_capacity(tmp_path):
    problems = problems_of(tmp_path, with_changes(**changed_row("Supply", 0, min_take_t=60)))
    assert problems == ["Supply row 2, column min_take_t: min_take_t 60 is above capacity_t 50"]


def test_formula_with_no_saved_value(tmp_path):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in VALID.items():
        ws = wb.create_sheet(name)
        columns = list(rows[0])
        ws.append(columns)
        for r in rows:
            ws.append([r.get(c) for c in columns])
    wb["Supply"]["D2"] = "=2*25"  # written by a program, never computed by a spreadsheet
    path = tmp_path / "formula.xlsx"
    wb.save(path)
    problems = problems_of_path(path)
    assert problems == ["Supply row 2, column capacity_t: formula =2*25 has no saved value: open the workbook in "
                        "Excel or LibreOffice, save it, and run again"]


def problems_of_path(path):
    with pytest.raises(InputError) as caught:
        load(path)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("probabilities, message", [
    ([0.5, 0.6], "probabilities sum to 1.1; they must sum to 1"),
    ([-0.1, 1.1], "-0.1 is outside [0, 1]"),
])
def test_scenario_probabilities(tmp_path, probabilities, message):
    scenarios = [{"scenario": f"s{i}", "probability": p} for i, p in enumerate(probabilities)]
    problems = problems_of(tmp_path, with_changes(Scenarios=scenarios))
    assert any(p.startswith("Scenarios row 2, column probability: ") and p.endswith(message) for p in problems)


def test_blank_probabilities_share_the_rest(tmp_path):
    scenarios = [{"scenario": "a", "probability": 0.5}, {"scenario": "b", "probability": ""},
                 {"scenario": "c", "probability": ""}]
    data = load(write_input(tmp_path / "in", with_changes(Scenarios=scenarios))).data
    assert list(data["Scenarios"]["probability"]) == pytest.approx([0.5, 0.25, 0.25])


def test_xls_files_are_refused_with_advice(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    assert problems_of_path(path) == ["old.xls: old .xls workbooks are not supported: save it as .xlsx "
                                      "(Excel Workbook) and retry"]


def test_every_problem_reported_in_one_pass(tmp_path):
    sheets = with_changes(**changed_row("Supply", 0, price="x"), **changed_row("Licences", 0, approval_rate=2))
    problems = problems_of(tmp_path, sheets)
    assert problems == ["Supply row 2, column price: 'x' is not a number",
                        "Licences row 2, column approval_rate: 2 is outside [0, 1]"]


def test_warning_for_unknown_column_but_not_notes_or_reference(tmp_path):
    rows = [dict(r, colour="red", notes="n", reference="[S1]") for r in VALID["Sectors"]]
    loaded = load(write_input(tmp_path / "in", with_changes(Sectors=rows)))
    assert [str(w) for w in loaded.warnings] == ["warning: Sectors row 1, column colour: unknown column is ignored"]


def test_warning_for_export_controlled_flow_with_no_licence(tmp_path):
    loaded = load(write_input(tmp_path / "in", with_changes(Licences=[])))
    assert [str(w) for w in loaded.warnings] == [
        "warning: Supply row 2, column source: no licence for export-controlled 'Dy oxide' from controlled "
        "'China': its licence cap is 0, nothing can be bought"]


def test_unknown_sheets_are_ignored(tmp_path):
    loaded = load(write_input(tmp_path / "in", with_changes(MyNotes=[{"anything": 1}])))
    assert loaded.warnings == []


def test_initial_stock_above_max_size_on_a_row_that_cannot_be_sized(tmp_path):
    stock = [{"stockpile": "NDS", "material": "Dy oxide", "initial_t": 10, "max_size_t": 5}]
    assert problems_of(tmp_path, with_changes(Stockpiles=stock)) == [
        "Stockpiles row 2, column initial_t: initial_t 10 is above max_size_t 5 and the row is not sizable"]


# -- cascades, grouping and did-you-mean (issue: "validation cascades")

def messages(tmp_path, sheets):
    """Errors and warnings as the command line prints them: grouped, defining sheets first."""
    from planner.issues import grouped

    with pytest.raises(InputError) as caught:
        load(write_input(tmp_path / "in", sheets))
    return grouped(caught.value.problems), grouped(caught.value.warnings)


def test_a_rejected_sector_row_is_reported_once_not_on_every_row_that_names_it(tmp_path):
    demand = [{"sector": "EV", "material": "Dy oxide", "period": p, "demand_t": 30} for p in ("2026", "2027")]
    errors, _ = messages(tmp_path, with_changes(**changed_row("Sectors", 1, accepts_controlled="maybe"),
                                                Demand=demand))
    assert errors == ["Sectors row 3, column accepts_controlled: 'maybe' is not a boolean "
                      "(use TRUE/FALSE, yes/no, y/n or 1/0)"]


def test_duplicate_period_comes_first_and_repeats_are_grouped(tmp_path):
    # 2026 typed twice where 2027 was meant: every 2027 row then names an unknown period
    demand = [{"sector": "EV", "material": m, "period": "2027", "demand_t": 30} for m in ("Dy oxide", "NdPr oxide")]
    supply = [dict(r, period="2027") for r in VALID["Supply"]]
    errors, _ = messages(tmp_path, with_changes(Periods=[{"period": "2026"}, {"period": "2026"}], Supply=supply,
                                                Demand=demand))
    assert errors == [
        "Periods row 3, column period: duplicate of row 2 (same period)",
        "Supply rows 2–3, column period: unknown period '2027' (not on sheet Periods)",
        "Demand rows 2–3, column period: unknown period '2027' (not on sheet Periods)",
    ]


def test_did_you_mean_for_a_misspelt_sheet_and_column(tmp_path):
    sheets = dict(VALID)
    sheets["Suply"] = sheets.pop("Supply")
    errors, warnings = messages(tmp_path, sheets)
    assert errors == ["Supply: required sheet is missing (is it the sheet 'Suply'?)"]
    assert warnings == ["warning: Suply: this sheet is not read: no input sheet has this name (did you mean 'Supply'?)"]
    rows = [{("capcity_t" if k == "capacity_t" else k): v for k, v in r.items()} for r in VALID["Supply"]]
    errors, warnings = messages(tmp_path, with_changes(Supply=rows))
    assert errors == ["Supply row 1, column capacity_t: required column is missing (is it column 'capcity_t'?)"]
    assert warnings == ["warning: Supply row 1, column capcity_t: unknown column is ignored (did you mean 'capacity_t'?)"]


def test_did_you_mean_for_override_targets_and_names(tmp_path):
    overrides = [{"scenario": "tight", "sheet": "Licence", "column": "approval_rate", "operation": "set", "value": 0},
                 {"scenario": "tight", "sheet": "Licences", "column": "aproval_rate", "operation": "set", "value": 0},
                 {"scenario": "tight", "sheet": "Licences", "column": "approval_rate", "operation": "set", "value": 0,
                  "material": "Dy oxid"}]
    errors, _ = messages(tmp_path, with_changes(Scenarios=[{"scenario": "tight"}], Overrides=overrides))
    assert errors == [
        "Overrides row 2, column sheet: 'Licence' is not a sheet an override can change (did you mean 'Licences'?)",
        "Overrides row 3, column column: 'aproval_rate' is not a column of Licences an override can change "
        "(did you mean 'approval_rate'?)",
        "Overrides row 4, column material: unknown material 'Dy oxid' (not on sheet Materials) "
        "(did you mean 'Dy oxide'?)",
    ]


def test_an_empty_required_sheet_is_an_error_not_a_solver_failure(tmp_path):
    write_input(tmp_path / "in", VALID)
    (tmp_path / "in" / "Demand.csv").write_text("sector,material,period,demand_t\n")
    with pytest.raises(InputError) as caught:
        load(tmp_path / "in")
    assert [str(p) for p in caught.value.problems] == [
        "Demand row 2: the sheet has no rows: it is required and must list at least one sector"]
