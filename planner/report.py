"""The result workbook of `reeplan solve` (SPEC §4): Summary first, the tables, a how-to-read note, charts.

Everything is written through `planner.workbook.Book`: formats per column, text as text, print
setup on every sheet, native charts one per printed page, and the file renamed into place only
when complete.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.plan import FAMILIES
from planner.results import PlanResult
from planner.workbook import AMBER, MONEY, PERCENT, RED, SECONDS, TONNES, TONNES_FINE, Book, Chart, footer_text

HOW_TO_READ = [
    ("How to read this workbook", ""),
    ("Summary", "What the plan costs (real spend first; the shortfall penalty is notional: it only tells the "
                "optimiser how bad unmet demand is), what is short per sector and material, and the most valuable "
                "licence of each material. Tonnes of different materials are never added together."),
    ("Shadow price", "What the objective (present value) would fall if a limit were eased by one unit: for a "
                     "licence cap, the value of one more licensed tonne; for a capacity, of one more tonne (or "
                     "activity unit) of capacity; for a material balance (MaterialPrices), the cost of one more "
                     "tonne of that material in that channel and period; for a floor, the cost of raising it by a "
                     "tonne. Stock balance rows (initial stock) may be negative where holding costs more than it saves."),
    ("Range, allowable increase and decrease", "A shadow price holds while the limit stays between range_low_t and "
     "range_high_t (right-hand-side ranging of the basis HiGHS reports, as in a spreadsheet solver's sensitivity "
     "report): allowable_increase_t = range_high_t − cap_t, allowable_decrease_t = cap_t − range_low_t. A blank "
     "cell means no limit. A value that holds over less than one tonne is flagged: the average value of a whole "
     "extra tonne can be much lower."),
    ("Degenerate plans", "Where the plan is degenerate, a shadow price is one of several valid values (all between "
     "the left and right derivatives of the optimal cost) and an allowable change may be 0. Use `reeplan sweep "
     "--exact` for the exact curve of cost against a limit."),
    ("Reduced cost (Procurement)", "How much a source's price must fall (in money of its period) before more is "
     "bought from it; 0 where it is bought."),
    ("ShortfallCauses", "For every shortfall, the binding limits behind it, in order of the tonnes of that "
     "shortfall one more unit of the limit would serve (served_t_per_unit) while the plan's basis holds, i.e. while "
     "the limit stays between holds_from and holds_to. A unit is a tonne, except for process capacity (activity "
     "units). 'no limit' means serving it would cost more than its penalty."),
    ("Prices set by a penalty", "Where demand goes unmet, the cost of one more tonne is the penalty of the "
     "sector that goes short (MaterialPrices, column set_by): it says how bad the shortfall was declared to be, "
     "not what the material costs. Licence values that rest on such shortfalls inherit it (see ShortfallCauses)."),
    ("Binding", "A licence is binding when its cap is fully used and one more tonne is worth something."),
    ("Charts", "One message and one printed page per chart, per material (tonnes of different materials differ "
               "in scale and are never added). On a plan with many materials, the 12 most affected of each kind are "
               "charted: largest unmet share, highest licence value."),
    ("ShadowPrices families", "; ".join(f"{name}: {family.label}" for name, family in FAMILIES.items())),
]

NOTES = {
    "Procurement": {
        "bought_t": "Tonnes bought (t), summed over destination classes", "capacity_t": "Source capacity (t)",
        "licence_cap_t": "Licence cap: Σ requested × approval_rate delivering in the period (t)",
        "price": "Price per tonne (currency/t, money of the period)",
        "reduced_cost": "How much the price must fall (currency/t) before more is bought; 0 where bought",
        "controlled": "A Chinese-controlled source (needs a licence for export-controlled material)"},
    "Allocation": {"used_t": "Tonnes used by the sector from the channel (t)"},
    "Shortfall": {"demand_t": "Demand (t)", "served_t": "Served (t)", "unmet_t": "Unmet demand (t)",
                  "service_level": "Served / demand"},
    "Stockpiles": {"level_t": "Level at the end of the period (t)", "acquired_t": "Acquired (t)",
                   "released_t": "Released (t)"},
    "Processes": {"activity": "Activity (units of the process)"},
    "LicenceShadowPrices": {
        "cap_t": "Licence cap (t)", "flow_t": "Tonnes shipped under the licence (t)",
        "shadow_price": "Value of one more licensed tonne (currency/t, present value)",
        "range_low_t": "Lowest cap at which the shadow price holds (t); blank = no limit",
        "range_high_t": "Highest cap at which the shadow price holds (t); blank = no limit",
        "allowable_increase_t": "range_high_t − cap_t (t); blank = no limit",
        "allowable_decrease_t": "cap_t − range_low_t (t); blank = no limit",
        "binding": "TRUE where the cap is fully used and worth something"},
    "MaterialPrices": {"shadow_price": "Cost of one more tonne of the material in the channel and period "
                                       "(currency/t, present value)",
                       "set_by": "Where the price is a sector's shortfall penalty (that sector goes short of the "
                                 "material then): an assumption of the input, not a market price"},
    "ShadowPrices": {"rhs": "The limit's value (t or units)", "slack": "How far the plan is from the limit",
                     "shadow_price": "Fall in the objective per unit the limit is eased (currency per unit, present "
                                     "value)"},
    "ShortfallCauses": {
        "unmet_t": "Unmet demand of the shortfall (t)", "rank": "1 = serves the most per unit",
        "limit": "The binding limit, in planner words", "limit_value": "The limit's value (unit column)",
        "shadow_price": "Value of easing the limit by one unit (currency per unit, present value)",
        "served_t_per_unit": "Tonnes of this shortfall one more unit of the limit would serve",
        "holds_from": "The rate holds while the limit stays at or above this", "holds_to": "… and at or below this"},
}

SHEET_FORMATS = {
    "LicenceShadowPrices": {"cap_t": TONNES_FINE, "flow_t": TONNES_FINE},
    "ShortfallCauses": {"unmet_t": TONNES_FINE},
}
SCALE_RATIO = 20  # series whose peaks differ more than this get charts of their own
MAX_CHARTS = 12  # materials charted per kind on a large plan: the most affected (largest unmet share, value)
HIGHLIGHT = {"Shortfall": {"unmet_t": RED}, "LicenceShadowPrices": {"shadow_price": AMBER},
             "ShortfallCauses": {"unmet_t": RED}}


def write_result(result: PlanResult, target: Path) -> None:
    """The result workbook of one solve, in SPEC §4 sheet order, then HowToRead, Charts and ChartData."""
    with Book(target, footer=footer_text(result.run.input_name, result.run.scenario)) as book:
        write_summary(book, result)
        for name, frame in result.sheets.items():
            if name == "Summary":
                continue
            book.table(name, frame, formats=SHEET_FORMATS.get(name), notes=NOTES.get(name),
                       highlight=HIGHLIGHT.get(name), widths={"note": 45} if "note" in frame else None,
                       wrap=("note",))
        write_how_to_read(book)
        book.charts("Charts", result_charts(result), data_sheet="ChartData",
                    empty_note="No unmet demand, no stockpile and no valuable licence: nothing to chart.")


def write_how_to_read(book: Book) -> None:
    ws = book.sheet("HowToRead")
    ws.set_column(0, 0, 34, book.format(bold=True, valign="top"))
    ws.set_column(1, 1, 100, book.format(text_wrap=True, valign="top"))
    ws.write_string(0, 0, HOW_TO_READ[0][0], book.format(bold=True, font_size=14))
    for i, (topic, text) in enumerate(HOW_TO_READ[1:], start=2):
        ws.write_string(i, 0, topic)
        ws.write_string(i, 1, text)


def write_summary(book: Book, result: PlanResult) -> None:
    """Title block; figures (spend first); unmet per sector and material; controlled share; top licences; causes."""
    s = result.summary
    ws = book.sheet("Summary", landscape=True, fit_height=1)
    ws.hide_gridlines(2)
    for j, width in enumerate((30, 24, 14, 14, 14, 14, 14, 48)):
        ws.set_column(j, j, width)
    f = book.format
    title, bold, text = f(bold=True, font_size=16), f(bold=True), f()
    heading = f(bold=True, font_size=12, top=1)
    head, head_num = f(bold=True, bottom=1, bg_color="#DDEBF7"), f(bold=True, bottom=1, bg_color="#DDEBF7",
                                                                    align="right")
    money, tonnes, fine, share, seconds = (f(num_format=c) for c in (MONEY, TONNES, TONNES_FINE, PERCENT, SECONDS))
    red_share = f(num_format=PERCENT, font_color="#9C0006", bold=True)
    wrap = f(text_wrap=True, valign="top", font_size=9)

    ws.write_string(0, 0, s.title["plan"], title)
    ws.write_string(1, 0, f"scenario {s.title['scenario']}  ·  input {s.title['input']}  ·  "
                          f"run {s.title['run at']}", text)
    row = 3
    ws.write_string(row, 0, "figure", head)
    ws.write_string(row, 1, "value", head_num)
    ws.write_string(row, 2, "unit", head)
    ws.freeze_panes(row + 1, 0)
    ws.autofilter(row, 0, row + len(s.figures), 2)
    for r in s.figures.itertuples(index=False):
        row += 1
        label_format = bold if r.figure in ("total spend", "objective") else text
        ws.write_string(row, 0, r.figure, label_format)
        if isinstance(r.value, str):
            ws.write_string(row, 1, r.value)
        elif r.unit == "s":
            ws.write_number(row, 1, float(r.value), seconds)
        else:
            ws.write_number(row, 1, float(r.value), f(num_format=MONEY, bold=r.figure in ("total spend", "objective")))
        ws.write_string(row, 2, r.unit)

    def block(label: str, headers: list[str], rows: list[list], formats: list, note: str = ""):
        nonlocal row
        row += 2
        ws.write_string(row, 0, label, heading)
        for j in range(1, 8):
            ws.write_blank(row, j, None, heading)
        if note:
            row += 1
            ws.write_string(row, 0, note, f(italic=True, font_size=9))
        row += 1
        for j, h in enumerate(headers):
            ws.write_string(row, j, h, head if formats[j] is None or formats[j] is wrap else head_num)
        for values in rows:
            row += 1
            for j, v in enumerate(values):
                if v is None or (isinstance(v, float) and v != v):
                    continue
                if isinstance(v, str):
                    ws.write_string(row, j, v, formats[j] if formats[j] is wrap else text)
                elif isinstance(v, bool):
                    ws.write_boolean(row, j, v)
                elif formats[j] is red_share and v <= 0:
                    ws.write_number(row, j, float(v), share)
                else:
                    ws.write_number(row, j, float(v), formats[j])

    unmet_rows = [[r.sector, r.material, r.demand_t, r.unmet_t, r.unmet_share] for r in s.unmet.itertuples()]
    share_formats = [None, None, tonnes, tonnes, red_share]
    block("Unmet demand by sector and material (over the horizon)",
          ["sector", "material", "demand (t)", "unmet (t)", "unmet share"], unmet_rows, share_formats)
    block("Share of supply from controlled sources, per material",
          ["material", "", "bought (t)", "controlled (t)", "controlled share"],
          [[r.material, "", r.bought_t, r.controlled_t, r.controlled_share] for r in s.controlled.itertuples()],
          [None, None, tonnes, tonnes, share])
    currency = result.currency
    licence_rows = [[r.material, f"{r.source} / {r.period}" + (f" / for {r.end_use}" if r.end_use else "")
                     if r.source else "",
                     r.shadow_price, r.cap_t, r.range_low_t, r.range_high_t, r.allowable_increase_t, r.note]
                    for r in s.top_licences.itertuples()]
    block(f"Most valuable licence of each material: value of one more licensed tonne ({currency}/t, present value)",
          ["material", "licence (source / period)", f"value ({currency}/t)", "cap (t)", "holds from (t)",
           "holds to (t)", "increase (t)", "note"],
          licence_rows or [["no licence cap binds: one more licensed tonne is worth nothing"]],
          [None, None, money, fine, fine, fine, fine, wrap],
          note="Blank 'holds to' = no limit. Every licence, period and range: sheet LicenceShadowPrices.")
    if len(s.causes):
        block("Why demand goes unmet: the limit that serves most per unit (all limits: sheet ShortfallCauses)",
              ["sector", "material", "unmet (t)", "", "periods short", "", "", "first limit"],
              [[r.sector, r.material, r.unmet_t, None, r.periods, None, None, r.main_limit]
               for r in s.causes.itertuples()],
              [None, None, tonnes, None, None, None, None, wrap])
    if len(s.binding):
        block(f"Binding capacities worth most ({currency} per unit of capacity, present value)",
              ["capacity", "", "capacity", "unit", "value per unit"],
              [[r.capacity, "", r.capacity_value, r.unit, r.shadow_price] for r in s.binding.itertuples()],
              [None, None, fine, None, money])
    ws.print_area(0, 0, row, 7)


def result_charts(result: PlanResult) -> list[Chart]:
    """One message per chart, per material where scales differ: unmet demand, stock levels, licence values."""
    sheets, periods, currency = result.sheets, result.periods, result.currency
    charts = []
    shortfall = sheets["Shortfall"]
    totals = shortfall.groupby("material", sort=False)[["demand_t", "unmet_t"]].sum()
    worst = (totals["unmet_t"] / totals["demand_t"].where(totals["demand_t"] > 0)).fillna(0)
    worst = set(worst[worst > 0].sort_values(ascending=False, kind="stable").index[:MAX_CHARTS])
    for material, group in shortfall.groupby("material", sort=False):
        if group["unmet_t"].max() <= 1e-6 or material not in worst:
            continue
        pivot = _pivot(group, "sector", "unmet_t", periods)
        pivot = pivot.loc[:, (pivot != 0).any(axis=0) | (pivot.columns == "period")]
        charts.append(Chart(f"Unmet demand of {material} by sector (t)", pivot, kind="column_stacked", unit="t",
                            number_format=TONNES))
    stock = sheets["Stockpiles"]
    held = stock.groupby("material", sort=False)["level_t"].max()
    for material, group in stock.groupby("material", sort=False):
        if material not in set(held[held > 1e-6].index[:MAX_CHARTS]):
            continue
        peaks = group.groupby("stockpile", sort=False)["level_t"].max()
        peaks = peaks[peaks > 1e-6]
        if peaks.empty:
            continue
        # stocks of one material on one axis only where their scales are alike (within a factor of 20)
        scales = [list(peaks.index)] if peaks.max() <= SCALE_RATIO * peaks.min() else [[g] for g in peaks.index]
        for stockpiles in scales:
            which = "" if len(scales) == 1 else f" in {stockpiles[0]}"
            charts.append(Chart(f"Stockpile level of {material}{which} at the end of each period (t)",
                                _pivot(group[group["stockpile"].isin(stockpiles)], "stockpile", "level_t", periods),
                                kind="line", unit="t", number_format=TONNES))
    licences = sheets["LicenceShadowPrices"]
    licences = licences.assign(licence=licences["source"] + licences["end_use"].map(lambda e: f" for {e}" if e else ""))
    valuable = licences.groupby("material", sort=False)["shadow_price"].max()
    valuable = set(valuable[valuable > 0].sort_values(ascending=False, kind="stable").index[:MAX_CHARTS])
    for material, group in licences.groupby("material", sort=False):
        if material not in valuable:
            continue
        charts.append(Chart(f"Value of one more licensed tonne of {material} ({currency}/t, present value)",
                            _pivot(group, "licence", "shadow_price", periods), kind="line", unit=f"{currency}/t",
                            number_format=MONEY))
    return charts


def _pivot(frame: pd.DataFrame, series: str, value: str, periods: list[str]) -> pd.DataFrame:
    table = frame.pivot_table(index="period", columns=series, values=value, aggfunc="sum", sort=False)
    table = table.reindex([p for p in periods if p in table.index])
    table.columns = [str(c) for c in table.columns]
    return table.reset_index()
