"""The workbook as a planner meets it: template, validation report, result workbook, and LibreOffice."""
import shutil
import subprocess
import sys

import openpyxl
import pytest

from planner import schema as S
from planner.run import solve_plan
from planner.inputs import load

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is installed by .ci/run")


def reeplan(*args, cwd):
    return subprocess.run([sys.executable, "-m", "planner", *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture
def template(tmp_path):
    done = reeplan("template", "template.xlsx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path / "template.xlsx"


def test_template_documents_every_sheet_and_column(template):
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["About"] + [s.name for s in S.SHEETS]
    assert all(len(name) <= 31 for name in wb.sheetnames)
    about = {(r[0], r[1]) for r in wb["About"].iter_rows(min_row=2, values_only=True)}
    assert {(s.name, c.name) for s in S.SHEETS for c in s.columns} <= about
    supply = wb["Supply"]
    assert supply.freeze_panes == "A2"
    assert [c.value for c in supply[1]][:6] == ["source", "material", "period", "capacity_t", "price", "min_take_t"]
    assert "most the source can deliver" in supply["D1"].comment.text
    rules = {str(dv.sqref).split(":")[0]: dv for dv in supply.data_validations.dataValidation}
    assert rules["A2"].type == "list" and rules["A2"].formula1 == "'Sources'!$A$2:$A$501"
    assert rules["D2"].type == "decimal" and rules["D2"].formula1 == "0"
    licences = {str(dv.sqref).split(":")[0]: dv for dv in wb["Licences"].data_validations.dataValidation}
    assert (licences["F2"].formula1, licences["F2"].formula2) == ("0", "1")  # approval_rate
    sectors = {str(dv.sqref).split(":")[0]: dv for dv in wb["Sectors"].data_validations.dataValidation}
    assert sectors["C2"].formula1 == '"TRUE,FALSE"'
    assert isinstance(supply["D2"].value, (int, float))  # numbers stored as numbers, not text
    stockpiles = {str(dv.sqref).split(":")[0]: dv for dv in wb["Stockpiles"].data_validations.dataValidation}
    assert stockpiles["E2"].formula1 == "'Sectors'!$A$2:$A$501"  # reserved_for: a;b lists allowed (warning)
    assert stockpiles["E2"].errorStyle == "warning"


def test_template_edited_with_openpyxl_then_solved(template, tmp_path):
    before = solve_plan(load(template)).solution.objective
    wb = openpyxl.load_workbook(template)
    demand = wb["Demand"]
    demand["D2"] = demand["D2"].value + 100  # 100 t more defense magnet demand in 2026Q1
    wb.save(template)
    done = reeplan("solve", str(template), "--json", "r.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert solve_plan(load(template)).solution.objective > before


def test_blank_template_asks_for_periods(tmp_path):
    assert reeplan("template", "blank.xlsx", "--blank", cwd=tmp_path).returncode == 0
    done = reeplan("validate", "blank.xlsx", cwd=tmp_path)
    assert done.returncode == 2
    assert "Periods row 2, column period: no periods" in done.stderr


def test_validation_report_marks_cells_and_links_them(template, tmp_path):
    wb = openpyxl.load_workbook(template)
    wb["Licences"]["F2"] = 1.4
    wb.save(template)
    original = template.read_bytes()
    done = reeplan("validate", str(template), "--report", "report.xlsx", cwd=tmp_path)
    assert done.returncode == 2
    assert template.read_bytes() == original
    report = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert report.sheetnames[0] == "Issues"
    issue = [c.value for c in report["Issues"][2]]
    assert issue[:5] == ["error", "Licences", 2, "approval_rate", "1.4 is outside [0, 1]"]
    assert report["Issues"]["F2"].hyperlink.location == "'Licences'!F2" or \
        report["Issues"]["F2"].hyperlink.target == "#'Licences'!F2"
    cell = report["Licences"]["F2"]
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "outside [0, 1]" in cell.comment.text


def test_result_workbook_has_charts_highlights_and_summary(tmp_path):
    assert reeplan("solve", "-o", "out.xlsx", cwd=tmp_path).returncode == 0
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    # one chart per material where scales differ: unmet Y and Sm oxide, stock levels, licence values
    titles = [c.title.tx.rich.p[0].r[0].t for c in wb["Charts"]._charts]
    assert "Unmet demand of Sm oxide by sector (t)" in titles and "Unmet demand of Y oxide by sector (t)" in titles
    assert any(t.startswith("Value of one more licensed tonne of Tb oxide") for t in titles)
    assert all(len(c.series) <= 12 for c in wb["Charts"]._charts)  # no 100-bar charts
    assert wb["Shortfall"].conditional_formatting
    summary = [c.value for c in wb["Summary"]["A"]]
    assert summary[0] == "US baseline 2026-2030 (quarterly)"
    assert any(str(v).startswith("Most valuable licence of each material") for v in summary)
    assert "Unmet demand by sector and material (over the horizon)" in summary
    run = {r[0]: r[1] for r in wb["Run"].iter_rows(min_row=2, values_only=True)}
    assert len(run["input SHA-256"]) == 64 and run["solver"].startswith("HiGHS")


def libreoffice(args, cwd):
    done = subprocess.run([SOFFICE, "--headless", "--norestore", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr


def resave_in_libreoffice(path, outdir):
    outdir.mkdir()
    libreoffice(["--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(path)], path.parent)
    return outdir / path.name


@needs_libreoffice
@pytest.mark.parametrize("which", ["template", "result"])
def test_libreoffice_opens_and_converts_every_sheet(template, tmp_path, which):
    if which == "result":
        assert reeplan("solve", "-o", "result.xlsx", cwd=tmp_path).returncode == 0
    path = tmp_path / f"{which}.xlsx"
    sheets = openpyxl.load_workbook(path).sheetnames
    (tmp_path / "csv").mkdir()
    # -1: every sheet to its own CSV file
    libreoffice(["--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                 "--outdir", str(tmp_path / "csv"), str(path)], tmp_path)
    produced = {p.stem.removeprefix(f"{which}-") for p in (tmp_path / "csv").glob("*.csv")}
    assert produced == set(sheets)


@needs_libreoffice
def test_template_resaved_by_libreoffice_solves_to_the_same_objective(template, tmp_path):
    resaved = resave_in_libreoffice(template, tmp_path / "lo")
    assert solve_plan(load(resaved)).solution.objective == pytest.approx(solve_plan(load(template)).solution.objective)


@needs_libreoffice
def test_formula_typed_by_a_planner_and_saved_in_libreoffice(template, tmp_path):
    wb = openpyxl.load_workbook(template)
    assert [c.value for c in wb["Demand"][2]][:3] == ["defense", "NdFeB defense grade", "2026Q1"]
    wb["Demand"]["D2"] = "=2*50"  # defense magnet demand of 2026Q1 typed as a formula
    wb.save(template)
    resaved = resave_in_libreoffice(template, tmp_path / "lo")
    demand = load(resaved).data["Demand"]
    row = demand[(demand["sector"] == "defense") & (demand["material"] == "NdFeB defense grade")
                 & (demand["period"] == "2026Q1")]
    assert list(row["demand_t"]) == [100]


def footer_pages(pdf, sheet):
    """Text of each printed page whose footer names `sheet` (the footer is 'input · scenario  sheet  page n of N')."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    import re

    return [page for page in text.split("\f") if re.search(rf"\s{sheet}\s+page \d+ of \d+", page)]


@needs_libreoffice
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is installed with LibreOffice")
def test_libreoffice_prints_summary_on_one_page_and_every_chart_whole(tmp_path):
    from planner.report import result_charts

    assert reeplan("solve", "-o", "result.xlsx", cwd=tmp_path).returncode == 0
    libreoffice(["--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "result.xlsx")], tmp_path)
    pdf = tmp_path / "result.pdf"
    summary = footer_pages(pdf, "Summary")
    assert len(summary) == 1 and "US baseline 2026-2030 (quarterly)" in summary[0]
    assert "baseline · scenario base" in summary[0]  # the footer names input and scenario
    charts = result_charts(solve_plan(load(bundled_input_path())).result)
    pages = footer_pages(pdf, "Charts")
    assert len(pages) == len(charts) >= 6
    for page, chart in zip(pages, charts):  # one chart per page, its title and its last category together
        assert chart.title in " ".join(page.split())
        assert sum(c.title in " ".join(page.split()) for c in charts) == 1
        flat = " ".join(page.split())
        if len(chart.data.columns) > 2:  # the legend sits under the plot: on the same page, the chart is whole
            assert all(str(name) in flat for name in chart.data.columns[1:]), chart.title


def bundled_input_path():
    from planner.inputs import bundled_input

    return bundled_input()


def test_every_result_sheet_has_print_setup(tmp_path):
    assert reeplan("solve", "--example", "-o", "r.xlsx", cwd=tmp_path).returncode == 0
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    for ws in wb.worksheets:
        assert ws.page_setup.fitToWidth in (1, "1", None) and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert "example · scenario base" in (ws.oddFooter.left.text or ""), ws.title
        assert ws.oddFooter.right.text.startswith("page &P of &N"), ws.title
        if ws.title not in ("Summary", "Charts", "ChartData", "HowToRead"):
            assert ws.print_title_rows == "$1:$1", ws.title
            assert ws.freeze_panes == "A2" and ws.auto_filter.ref, ws.title
    assert wb["Summary"].page_setup.orientation == "landscape"
    assert wb["Summary"].page_setup.fitToHeight in (1, "1", None)  # None: the default, 1 page tall
