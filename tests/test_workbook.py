"""The workbook writer every result, comparison and study workbook uses (planner/workbook.py)."""
import math
import os

import openpyxl
import pandas as pd
import pytest

from planner.workbook import MONEY, TONNES, TONNES_FINE, Book, Chart, footer_text, number_format


def frame():
    return pd.DataFrame({
        "source": ["=HYPERLINK(\"http://x\",\"y\")", "http://example.com", "0042", "+1", "A & B"],
        "bought_t": [1.5, math.nan, math.inf, 0.0, 1234.5],
        "price": [10.0, 20.0, 30.0, 40.0, 50.0],
        "controlled": [True, False, True, False, True],
    })


def test_a_table_has_header_filters_formats_per_column_and_text_as_text(tmp_path):
    target = tmp_path / "t.xlsx"
    with Book(target, footer=footer_text("in & out.xlsx", "tight")) as book:
        book.table("Procurement", frame(), notes={"price": "price per t (USD/t)"})
    ws = openpyxl.load_workbook(target)["Procurement"]
    assert [c.value for c in ws[1]] == ["source", "bought_t", "price", "controlled"]
    assert all(c.font.b for c in ws[1])
    assert ws["B1"].alignment.horizontal == "right" and ws["A1"].alignment.horizontal != "right"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:D6"
    texts = [ws.cell(row=r, column=1) for r in range(2, 7)]
    assert [c.value for c in texts] == list(frame()["source"]) and {c.data_type for c in texts} == {"s"}
    assert ws["B3"].value is None and ws["B4"].value is None  # NaN and infinity are blank cells
    assert ws["B2"].number_format == TONNES and ws["C2"].number_format == MONEY  # from the column's format
    assert ws["D2"].value is True
    assert ws["C1"].comment.text == "price per t (USD/t)"
    assert ws.print_title_rows == "$1:$1" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddFooter.left.text.endswith("in && out.xlsx · scenario tight")  # & escaped in a footer
    assert ws.column_dimensions["A"].width >= len("http://example.com")


def test_number_formats_follow_the_column_name():
    assert number_format("unmet_t") == TONNES
    assert number_format("allowable_increase_t") == TONNES_FINE and number_format("range_low_t") == TONNES_FINE
    assert number_format("shadow_price") == MONEY and number_format("reduced_cost") == MONEY
    assert number_format("service_level") == "0.0%" and number_format("source") is None


def test_nothing_is_left_behind_when_writing_fails(tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"the previous result")
    with pytest.raises(RuntimeError):
        with Book(target) as book:
            book.table("A", frame())
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"the previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_mode_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        with Book(tmp_path / "m.xlsx") as book:
            book.table("A", frame())
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "m.xlsx").st_mode & 0o777 == 0o640


def test_charts_one_per_page_with_formatted_data(tmp_path):
    data = pd.DataFrame({"period": ["P1", "P2"], "NDS": [1.25, 2.5], "buffer": [3.0, 4.0]})
    with Book(tmp_path / "c.xlsx") as book:
        book.charts("Charts", [Chart("Levels (t)", data), Chart("Again (t)", data, kind="bar")], data_sheet="ChartData")
    wb = openpyxl.load_workbook(tmp_path / "c.xlsx")
    assert len(wb["Charts"]._charts) == 2
    assert [b.id for b in wb["Charts"].row_breaks.brk] == [32]  # the second chart starts a new page
    assert wb["ChartData"]["B3"].value == 1.25 and wb["ChartData"]["B3"].number_format == TONNES
