"""Planner-grade touches on the result workbook: Summary tables, highlights and native Excel charts."""
from __future__ import annotations

import pandas as pd
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from planner.results import PlanResult
from planner.workbook import MONEY, PERCENT, TONNES, cell_value, number_format

RED = PatternFill("solid", fgColor="FFC7CE")
AMBER = PatternFill("solid", fgColor="FFEB9C")
TOP_LICENCES = 10
UNIT_FORMATS = {"t": TONNES, "fraction": PERCENT}


def summary_tables(result: PlanResult) -> dict[str, pd.DataFrame]:
    """The side tables of the Summary sheet: unmet by sector, top licence caps, binding capacities."""
    shortfall = result.sheets["Shortfall"].groupby("sector", sort=False)[["demand_t", "unmet_t"]].sum()
    unmet = shortfall.reset_index()
    unmet["unmet_share"] = (unmet["unmet_t"] / unmet["demand_t"].where(unmet["demand_t"] > 0)).fillna(0.0)
    licences = result.sheets["LicenceShadowPrices"]
    top = licences[licences["shadow_price"] > 0].sort_values("shadow_price", ascending=False, kind="stable")
    shadow = result.sheets["ShadowPrices"]
    binding = shadow[shadow["family"].isin(["supply_capacity", "process_capacity"])
                     & (shadow["slack"] == 0) & (shadow["shadow_price"] > 0)]
    binding = binding.assign(capacity=binding["meaning"] + ": " + binding["keys"])
    return {
        "Unmet demand by sector": unmet[["sector", "demand_t", "unmet_t", "unmet_share"]],
        "Most valuable licence caps": top.head(TOP_LICENCES)[["source", "material", "period", "cap_t", "shadow_price",
                                                              "range_low_t", "range_high_t"]],
        "Binding capacities": binding.sort_values("shadow_price", ascending=False)
        .head(TOP_LICENCES)[["capacity", "rhs", "shadow_price"]],
    }


def decorate(wb, result: PlanResult) -> None:
    _summary(wb["Summary"], result)
    _highlight(wb["Shortfall"], "unmet_t", RED)
    _highlight(wb["LicenceShadowPrices"], "shadow_price", AMBER)
    _charts(wb, result)


def _summary(ws, result: PlanResult) -> None:
    ws.page_setup.orientation = "landscape"  # one screen, one printed page
    for letter, width in zip("ABCDEFG", (52, 18, 24, 16, 16, 16, 16)):
        ws.column_dimensions[letter].width = width
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = 1
    for row in ws.iter_rows(min_row=2):
        unit = row[2].value
        if isinstance(row[1].value, (int, float)):
            row[1].number_format = UNIT_FORMATS.get(unit, MONEY if unit and "present value" in unit else "0.00")
    top = ws.max_row + 2
    for title, frame in summary_tables(result).items():
        ws.cell(row=top, column=1, value=title).font = Font(bold=True, size=12)
        _write_block(ws, frame, top=top + 1, left=1, fit_widths=False)
        top += len(frame) + 3


def _write_block(ws, frame: pd.DataFrame, top: int, left: int, fit_widths: bool = True) -> None:
    for j, name in enumerate(frame.columns):
        ws.cell(row=top, column=left + j, value=name).font = Font(bold=True)
        fmt = PERCENT if name == "unmet_share" else number_format(name)
        for i, value in enumerate(frame[name], start=1):
            cell = ws.cell(row=top + i, column=left + j, value=cell_value(value))
            if fmt and isinstance(cell.value, (int, float)):
                cell.number_format = fmt
        if fit_widths:
            ws.column_dimensions[get_column_letter(left + j)].width = max(
                [len(str(name))] + [len(str(v)) for v in frame[name]]) + 3


def _highlight(ws, column: str, fill: PatternFill) -> None:
    headers = [c.value for c in ws[1]]
    if column not in headers or ws.max_row < 2:
        return
    letter = get_column_letter(headers.index(column) + 1)
    ws.conditional_formatting.add(f"{letter}2:{letter}{ws.max_row}",
                                  CellIsRule(operator="greaterThan", formula=["0.0001"], fill=fill))


def _charts(wb, result: PlanResult) -> None:
    """A Charts sheet: pivoted data and three native charts beside it."""
    ws = wb.create_sheet("Charts")  # after the fixed §4 sheets, whose order planners build on
    sheets = result.sheets
    unmet = sheets["Shortfall"].pivot_table(index="period", columns="sector", values="unmet_t", aggfunc="sum",
                                            sort=False).reset_index()
    stock = sheets["Stockpiles"].assign(row=lambda d: d["stockpile"] + " " + d["material"])
    levels = stock.pivot_table(index="period", columns="row", values="level_t", aggfunc="sum", sort=False).reset_index()
    prices = sheets["LicenceShadowPrices"].assign(
        licence=lambda d: d["source"] + " / " + d["material"] + " / " + d["period"].astype(str))[
        ["licence", "shadow_price"]]
    top = 1
    for title, frame, chart in (("Unmet demand by sector and period (t)", unmet, _stacked_columns),
                                ("Stockpile levels (t)", levels, _lines),
                                ("Licence shadow prices (per t)", prices, _bars)):
        ws.cell(row=top, column=1, value=title).font = Font(bold=True, size=12)
        _write_block(ws, frame, top=top + 1, left=1)
        if len(frame) and len(frame.columns) > 1:
            ws.add_chart(chart(ws, title, top + 1, len(frame), len(frame.columns)), f"{get_column_letter(len(frame.columns) + 3)}{top}")
        top += max(len(frame) + 4, 20)


def _reference(ws, top, rows, columns):
    data = Reference(ws, min_col=2, max_col=columns, min_row=top, max_row=top + rows)
    categories = Reference(ws, min_col=1, min_row=top + 1, max_row=top + rows)
    return data, categories


def _stacked_columns(ws, title, top, rows, columns):
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    return _finish(chart, ws, title, top, rows, columns, "t")


def _lines(ws, title, top, rows, columns):
    return _finish(LineChart(), ws, title, top, rows, columns, "t")


def _bars(ws, title, top, rows, columns):
    chart = BarChart()
    chart.type = "bar"
    return _finish(chart, ws, title, top, rows, columns, "per t")


def _finish(chart, ws, title, top, rows, columns, unit):
    data, categories = _reference(ws, top, rows, columns)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    chart.title = title
    chart.y_axis.title = unit
    chart.width, chart.height = 18, 9
    return chart
