"""The result workbooks of `reeplan sweep` and `reeplan stockpile` as a planner opens and prints them:
sheets in order, numbers where the paper cases put them, native charts with one message each, text kept
as text, print setup and a footer naming the input and the study, and in LibreOffice one chart per page."""
import shutil
import subprocess
import sys
import zipfile

import openpyxl
import pytest

from tests.conftest import write_input
from tests.test_excel import SOFFICE, footer_pages, libreoffice, needs_libreoffice
from tests.test_stockpile import paper_case
from tests.test_sweep import paper_case as sweep_case

approx = pytest.approx


def reeplan(*args, cwd):
    done = subprocess.run([sys.executable, "-m", "planner", *args, "--quiet"], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def hostile_sweep_case():
    """The sweep paper case (cap 150ρ; breakpoints 7/15 and 2/3) with a material named like a formula."""
    case = sweep_case(150)
    case["Materials"] = [{"material": "=mag", "export_controlled": "TRUE"}]
    for sheet in ("Supply", "Licences", "Demand"):
        case[sheet] = [{**row, "material": "=mag"} for row in case[sheet]]
    return case


def chart_titles(ws):
    return [c.title.tx.rich.p[0].r[0].t for c in ws._charts]


def chart_blocks(ws):
    """ChartData as {title: data rows}: each block is a title, a header, rows with values, then a note or a gap."""
    blocks, rows = {}, list(ws.iter_rows(values_only=True))
    i = 0
    while i < len(rows):
        row = rows[i]
        if isinstance(row[0], str) and not any(v is not None for v in row[1:]) and i + 1 < len(rows):
            data, j = [], i + 2
            while j < len(rows) and any(v is not None for v in rows[j][1:]):
                data.append(rows[j])
                j += 1
            blocks[row[0]] = data
            i = j + 1
        else:
            i += 1
    return blocks


@pytest.fixture(scope="module")
def sweep_book(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep")
    folder = write_input(tmp / "case", hostile_sweep_case())
    reeplan("sweep", str(folder), "--sheet", "Licences", "--column", "approval_rate", "--values", "0:1:0.1",
            "--source", "CN", "--exact", "-o", "sweep.xlsx", cwd=tmp)
    return tmp / "sweep.xlsx"


@pytest.fixture(scope="module")
def stockpile_book(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stockpile")
    folder = write_input(tmp / "case", paper_case())
    reeplan("stockpile", str(folder), "-o", "stockpile.xlsx", cwd=tmp)
    return tmp / "stockpile.xlsx"


def test_sweep_workbook_says_what_was_swept_and_holds_the_paper_numbers(sweep_book):
    wb = openpyxl.load_workbook(sweep_book)
    assert wb.sheetnames == ["Sweep", "Points", "LicenceShadowPrices", "Breakpoints", "Charts", "ChartData"]
    about = {r[0]: r[1] for r in wb["Sweep"].iter_rows(values_only=True) if r[0]}
    assert about["parameter"] == "Licences.approval_rate"
    assert about["rows changed"] == "Licences rows with source = CN (1 row)"
    assert about["values"] == "0 … 1 (11 values, step 0.1)"
    assert about["case"].startswith("base case")
    assert about["breakpoints"].startswith("2 between 0 and 1")
    assert about["short at some value"] == "EV / =mag"
    assert {"Objective", "Slopes", "Breakpoints", "Degenerate plans"} <= set(about)
    assert "notional" in about["Objective"] and "per unit of the parameter" in about["Slopes"]

    points = wb["Points"]
    header = [c.value for c in points[1]]
    assert header == ["value", "status", "objective", "unmet EV / =mag (t)"]
    assert "Unmet demand of =mag for EV" in points["D1"].comment.text
    row = [c.value for c in points[5]]  # ρ = 0.3: cap 45, US 30, 25 t short
    assert row[:3] == [approx(0.3), "optimal", approx(7_250)] and row[3] == approx(25)
    assert points["C1"].comment.text.startswith("Optimal discounted cost (USD, present value)")

    breakpoints = wb["Breakpoints"]
    rows = list(breakpoints.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == approx([7 / 15, 2 / 3])
    assert [(r[2], r[3]) for r in rows] == [(approx(-28_500), approx(-7_500)), (approx(-7_500), approx(0))]
    assert "shortfall of =mag for EV in P1 ends" in rows[0][4]
    assert breakpoints["E2"].alignment.wrap_text
    assert "per 1 of the value" in breakpoints["C1"].comment.text

    licences = wb["LicenceShadowPrices"]
    material = [licences.cell(row=r, column=3) for r in range(2, licences.max_row + 1)]
    assert {c.value for c in material} == {"=mag"} and {c.data_type for c in material} == {"s"}  # text, no formula


def test_sweep_charts_the_exact_cost_with_breakpoints_and_unmet_per_material(sweep_book):
    wb = openpyxl.load_workbook(sweep_book)
    charts = wb["Charts"]._charts
    assert chart_titles(wb["Charts"]) == [
        "Optimal cost against approval_rate: exact, 2 breakpoints (USD thousand)",
        "Unmet demand of =mag by sector against approval_rate (t over the horizon)",
        "Value of one more licensed tonne, most valuable licence: =mag (USD/t)"]
    assert all(c.tagname == "scatterChart" for c in charts)
    cost = charts[0]
    assert len(cost.series) == 2 and cost.series[1].spPr.ln.noFill  # breakpoints: markers, no line
    blocks = chart_blocks(wb["ChartData"])
    exact = blocks["Optimal cost against approval_rate: exact, 2 breakpoints (USD thousand)"]
    # the exact curve through the ends and both breakpoints, in USD thousand; the breakpoints marked apart
    assert [r[0] for r in exact] == approx([0, 7 / 15, 2 / 3, 1])
    assert [r[1] for r in exact] == approx([15.8, 2.5, 1.0, 1.0])
    assert [r[2] for r in exact] == [None, approx(2.5), approx(1.0), None]
    unmet = blocks["Unmet demand of =mag by sector against approval_rate (t over the horizon)"]
    assert [r[0] for r in unmet] == approx([i / 10 for i in range(11)])
    assert unmet[3][1] == approx(25)
    assert cost.x_axis.scaling.min == 0 and cost.x_axis.scaling.max == 1


def test_sweep_on_a_grid_charts_the_solved_points(tmp_path):
    folder = write_input(tmp_path / "case", sweep_case(100))
    reeplan("sweep", str(folder), "--sheet", "Licences", "--column", "approval_rate", "--values", "0,0.5,0.6,1",
            "--source", "CN", "-o", "grid.xlsx", cwd=tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "grid.xlsx")
    assert "Breakpoints" not in wb.sheetnames
    titles = chart_titles(wb["Charts"])
    assert titles[0] == "Optimal cost against approval_rate (USD thousand, present value)"
    block = chart_blocks(wb["ChartData"])[titles[0]]
    assert [r[0] for r in block] == approx([0, 0.5, 0.6, 1])  # unevenly spaced values on a numeric axis
    assert [r[1] for r in block] == approx([15.8, 6.3, 4.4, 1.0])


def test_stockpile_workbook_summary_sizes_and_tables(stockpile_book):
    wb = openpyxl.load_workbook(stockpile_book)
    assert wb.sheetnames == ["Summary", "Sizes", "Unmet", "Scenarios", "StockUsed", "SizingCurve", "HowToRead",
                             "Charts", "ChartData"]
    summary = {r[0]: r[1:] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    figures = {label.split(":")[0]: values for label, values in summary.items()}
    assert figures["RP"][0] == approx(5_000) and figures["WS"][0] == approx(2_600)
    assert figures["EEV"][0] == approx(6_600)
    assert figures["VSS = EEV − RP"][0] == approx(1_600) and figures["EVPI = RP − WS"][0] == approx(2_400)
    assert "perfect information" in figures["WS"][2]
    assert summary["method"][0] == "extensive form" and summary["cvar_alpha"][0] == "0.95"
    assert summary["NDS / mag"][:3] == (approx(0), approx(50), approx(50))
    assert summary["NDS / mag"][6] == "enlarged until a tonne more saves less than it costs"

    header = [c.value for c in wb["Sizes"][1]]
    sizes = [dict(zip(header, row)) for row in wb["Sizes"].iter_rows(min_row=2, values_only=True)]
    assert len(sizes) == 1
    size = sizes[0]
    assert (size["starting_level_t"], size["added_t"], size["size_cost"]) == (approx(50), approx(50), approx(100))
    assert size["saving_last_tonne"] == approx(120) and size["saving_next_tonne"] == 0  # not -0
    assert size["note"].startswith("enlarged by 50.0 t")

    scenarios = wb["Scenarios"]
    assert [c.value for c in scenarios[1]] == ["scenario", "probability", "cost", "unmet defense / mag (t)"]
    assert [r[0] for r in scenarios.iter_rows(min_row=2, values_only=True)] == ["calm", "crisis"]
    used = list(wb["StockUsed"].iter_rows(values_only=True))
    assert used[0] == ("scenario", "probability", "used from NDS / mag (t)")
    assert [r[2] for r in used[1:]] == approx([10, 50])
    curve = list(wb["SizingCurve"].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in curve if r[3] is True] == approx([50])  # the chosen level is flagged


def test_stockpile_charts_the_sizing_curve_and_the_scenario_costs(stockpile_book):
    wb = openpyxl.load_workbook(stockpile_book)
    titles = chart_titles(wb["Charts"])
    assert titles == ["Sizing NDS / mag: extra cost by starting level (USD thousand)",
                      "Cost of each scenario at the chosen starting levels (USD, probability in brackets)"]
    sizing = chart_blocks(wb["ChartData"])[titles[0]]
    # expected cost F(L) − F(50) on the 11 levels 0 … 100 (test_stockpile: the sizing curve on paper), in thousand
    assert [r[0] for r in sizing] == approx([10.0 * i for i in range(11)])
    assert sizing[5][1:] == (approx(0), approx(0), approx(0))  # the chosen level: 0 more, and marked
    assert [r[3] for r in sizing if r[3] is not None] == [approx(0)]
    assert sizing[0][1] == approx((0.6 * 3_000 + 0.4 * 36_000 - 5_000) / 1e3)
    assert wb["Charts"]._charts[1].tagname == "barChart"
    bars = chart_blocks(wb["ChartData"])[titles[1]]
    assert [r[:2] for r in bars] == [("calm (60%)", approx(5_000)), ("crisis (40%)", approx(5_000))]


def test_many_sampled_scenarios_chart_as_a_sorted_cost_curve_not_bars(tmp_path):
    case = paper_case()
    case["Uncertainty"] = [{"sheet": "Demand", "column": "demand_t", "operation": "set", "distribution": "uniform",
                            "low": 5, "high": 60}]
    folder = write_input(tmp_path / "case", case)
    reeplan("stockpile", str(folder), "--sample", "40", "--seed", "3", "-o", "s.xlsx", cwd=tmp_path)
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    charts = wb["Charts"]._charts
    costs = charts[-1]
    title = chart_titles(wb["Charts"])[-1]
    assert title.startswith("Cost of the 40 scenarios at the chosen starting levels, sorted")
    assert costs.tagname == "scatterChart" and len(costs.series) == 3  # sorted costs, expected cost, CVaR
    block = chart_blocks(wb["ChartData"])[title]
    shares = [r[0] for r in block]
    sorted_costs = [r[1] for r in block if r[1] is not None]
    assert len(sorted_costs) == 40 and sorted_costs == sorted(sorted_costs)
    assert shares[0] == 0 and shares[-1] == approx(1) and shares == sorted(shares)
    assert "40 sampled scenarios" in wb["Summary"].oddFooter.left.text


def test_every_study_sheet_has_print_setup_and_a_footer_naming_input_and_study(sweep_book, stockpile_book):
    for path, study in ((sweep_book, "case · sweep of Licences.approval_rate (set) · base case"),
                        (stockpile_book, "case · stockpile study · 2 scenarios")):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            assert ws.sheet_properties.pageSetUpPr.fitToPage, (path.name, ws.title)
            assert ws.page_setup.fitToWidth in (1, "1", None), (path.name, ws.title)
            assert study in ws.oddFooter.left.text, (path.name, ws.title)
            assert ws.oddFooter.right.text.startswith("page &P of &N"), (path.name, ws.title)
        for name in ("Points", "Scenarios", "SizingCurve", "Sizes"):
            if name in wb.sheetnames:
                assert wb[name].print_title_rows == "$1:$1" and wb[name].freeze_panes == "A2", name


@needs_libreoffice
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is installed with LibreOffice")
@pytest.mark.parametrize("which", ["sweep", "stockpile"])
def test_libreoffice_prints_each_study_chart_whole_on_its_own_page(sweep_book, stockpile_book, which):
    path = sweep_book if which == "sweep" else stockpile_book
    assert SOFFICE
    libreoffice(["--convert-to", "pdf", "--outdir", str(path.parent), str(path)], path.parent)
    pdf = path.with_suffix(".pdf")
    wb = openpyxl.load_workbook(path)
    titles = chart_titles(wb["Charts"])
    first = wb.sheetnames[0]
    assert len(footer_pages(pdf, first)) == 1  # the first sheet on one page
    pages = footer_pages(pdf, "Charts")
    assert len(pages) == len(titles) >= 2
    for page, title, chart in zip(pages, titles, wb["Charts"]._charts):
        flat = " ".join(page.split())
        assert title in flat and sum(t in flat for t in titles) == 1, title
        for series in chart.series:  # the legend sits under the plot: on the same page, the chart is whole
            if len(chart.series) > 1:
                name = wb["ChartData"][series.tx.strRef.f.split("!")[1].replace("$", "")].value
                assert name in flat, (title, name)


def test_scatter_chart_has_a_numeric_x_axis_and_skips_blanks(tmp_path):
    import pandas as pd

    from planner.workbook import Book, Chart

    data = pd.DataFrame({"rate": [0.0, 0.3, 1.0], "cost": [10.0, 4.0, 1.0], "breakpoint": [None, 4.0, None]})
    with Book(tmp_path / "s.xlsx") as book:
        book.charts("Charts", [Chart("Cost (USD)", data, kind="scatter", styles={"breakpoint": "points"},
                                     x_range=(0, 1), y_range=(0, 12))], data_sheet="ChartData")
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    chart = wb["Charts"]._charts[0]
    assert chart.tagname == "scatterChart"
    with zipfile.ZipFile(tmp_path / "s.xlsx") as archive:
        assert '<c:dispBlanksAs val="span"/>' in archive.read("xl/charts/chart1.xml").decode()  # joins over blanks
    assert chart.series[1].spPr.ln.noFill and chart.series[1].marker.symbol == "diamond"
    assert (chart.y_axis.scaling.min, chart.y_axis.scaling.max) == (0, 12)
    data_sheet = wb["ChartData"]
    assert [data_sheet.cell(row=r, column=1).value for r in (3, 4, 5)] == [0, 0.3, 1]  # numbers, not text
    assert data_sheet["C3"].value is None and data_sheet["C4"].value == 4
