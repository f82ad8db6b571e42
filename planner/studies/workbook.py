"""The result workbooks of `reeplan sweep` and `reeplan stockpile` (SPEC §5 "Outputs").

Sweep: a first sheet saying what was swept and how to read it, Points, LicenceShadowPrices,
Breakpoints (with --exact), then Charts (optimal cost against the value with the breakpoints marked;
unmet demand of each material by sector; the most valuable licence of each material) and ChartData.
Stockpile: Summary (RP, WS, EEV, VSS, EVPI with their meaning, the study's settings, the chosen levels,
expected unmet demand), Sizes, Unmet, Scenarios, StockUsed, SizingCurve, HowToRead, then Charts (one sizing curve
per sizable row, the chosen level marked; the cost of each scenario, as a sorted curve when there are
many) and ChartData.

Everything goes through `planner.workbook.Book`: formats per column, text as text, print setup and a
footer naming the input and the study on every sheet, one chart per printed page.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from models.stochastic import cvar
from planner.overrides import matching_rows
from planner.studies import report
from planner.studies.report import group_label, unmet_column
from planner.studies.stockpile import StockpileResult
from planner.studies.sweep import DescribedBreakpoint, Parameter, Point, SweepModel
from planner.workbook import AMBER, MONEY, PERCENT, RED, TONNES, TONNES_FINE, Book, Chart, footer_text

MAX_CHARTS = 12  # materials charted per kind: the most affected
SCALE_RATIO = 20  # licence values whose peaks differ more than this are charted apart
MANY_SCENARIOS = 30  # above this, per-scenario costs are charted as a sorted curve, not one bar each
WIDE_COLUMN = 14  # width of a sector × material column; its header wraps over a few lines
OPERATIONS = {"set": "each matching cell is set to the value",
              "scale": "each matching cell is multiplied by the value",
              "add": "the value is added to each matching cell"}


def study_footer(input_name: str, study: str) -> str:
    """Print footer: input and study on the left, the sheet in the middle, page of pages on the right."""
    return footer_text(f"{input_name} · {study}", "")


# ---------------------------------------------------------------- shared layout

class Money:
    """Money charted in millions or thousands where amounts are large, with a number format fine enough for
    their spread."""

    def __init__(self, values, currency: str):
        finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
        largest = max((abs(v) for v in finite), default=0.0)
        self.divisor, word = (1e6, " million") if largest >= 1e6 else (1e3, " thousand") if largest >= 1e4 else (1, "")
        self.unit = f"{currency}{word}"
        spread = (max(finite) - min(finite)) / self.divisor if finite else 0.0
        self.format = "#,##0" if spread >= 100 or spread == 0 else "#,##0.0" if spread >= 5 else "#,##0.00"

    def __call__(self, value):
        return None if value is None or not math.isfinite(float(value)) else float(value) / self.divisor


def nice_range(values) -> tuple[float, float] | None:
    """An axis range around `values` on round numbers, not from 0 where the values sit far above it (a cost
    curve's shape is its message); None where 0 is close enough to show, or nothing varies."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return None
    low, high = min(finite), max(finite)
    span = high - low
    if span <= 0 or low <= 0 or low < span:
        return None
    step = 10 ** math.floor(math.log10(span))
    if span / step < 3:
        step /= 5 if span / step < 1.5 else 2
    return math.floor((low - 0.05 * span) / step) * step, math.ceil((high + 0.05 * span) / step) * step


def tonnes_format(values) -> str:
    """Tonnes on an axis: no decimals where they are large, one where small."""
    largest = max((abs(float(v)) for v in values if v is not None and math.isfinite(float(v))), default=0.0)
    return "#,##0" if largest >= 50 else "#,##0.0" if largest >= 2 else "#,##0.00"


class Sheet:
    """A free layout (first sheet, Summary): title, headings, label/value rows and small tables, in rows."""

    def __init__(self, book: Book, name: str, widths: list[float], *, landscape: bool, fit_height: int = 0):
        self.book, self.row = book, 0
        self.ws = book.sheet(name, landscape=landscape, fit_height=fit_height)
        self.ws.hide_gridlines(2)
        self.columns = len(widths)
        for j, width in enumerate(widths):
            self.ws.set_column(j, j, width)
        f = book.format
        self.f = {"title": f(bold=True, font_size=16), "text": f(valign="top"), "bold": f(bold=True, valign="top"),
                  "heading": f(bold=True, font_size=12, top=1), "small": f(italic=True, font_size=9),
                  "head": f(bold=True, bottom=1, bg_color="#DDEBF7"),
                  "head_num": f(bold=True, bottom=1, bg_color="#DDEBF7", align="right"),
                  "wrap": f(text_wrap=True, valign="top")}

    def title(self, text: str, subtitle: str) -> None:
        self.ws.write_string(0, 0, text, self.f["title"])
        self.ws.write_string(1, 0, subtitle, self.f["text"])
        self.row = 2

    def heading(self, text: str, note: str = "") -> None:
        self.row += 1
        self.ws.write_string(self.row, 0, text, self.f["heading"])
        for j in range(1, self.columns):
            self.ws.write_blank(self.row, j, None, self.f["heading"])
        if note:
            self.row += 1
            self.ws.write_string(self.row, 0, note, self.f["small"])
        self.row += 1

    def line(self, values: list, formats: list | None = None, *, lines: int = 1) -> None:
        """One row: text as text, numbers with their format (None: skipped); `lines` tall."""
        for j, v in enumerate(values):
            fmt = formats[j] if formats and j < len(formats) else None
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                continue
            if isinstance(v, str):
                self.ws.write_string(self.row, j, v, fmt or self.f["text"])
            elif isinstance(v, (bool, np.bool_)):
                self.ws.write_boolean(self.row, j, bool(v), fmt)
            else:
                self.ws.write_number(self.row, j, float(v), fmt)
        if lines > 1:
            self.ws.set_row(self.row, 15 * lines)
        self.row += 1

    def header(self, names: list[str], numeric: list[bool], *, to_end: bool = False) -> None:
        """Column headers; `to_end`: the header band runs on to the last column (over a long text column)."""
        for j in range(len(names), self.columns if to_end else 0):
            self.ws.write_blank(self.row, j, None, self.f["head"])
        self.line(names, [self.f["head_num"] if n else self.f["head"] for n in numeric])

    def text_block(self, rows: list[tuple[str, str]], chars: int) -> None:
        """Topic in the first column, its text wrapped in the second (`chars` wide), rows tall enough."""
        for topic, text in rows:
            self.line([topic, text], [self.f["bold"], self.f["wrap"]], lines=_lines(text, chars))

    def print_area(self) -> None:
        self.ws.print_area(0, 0, max(self.row - 1, 1), self.columns - 1)


def _lines(text: str, chars: int) -> int:
    return sum(max(1, math.ceil(len(part) / max(chars - 2, 10))) for part in text.split("\n"))


def wide_table(book: Book, name: str, frame: pd.DataFrame, wide: list[str], notes: dict[str, str],
               formats: dict[str, str], **options) -> None:
    """A table whose sector × material columns are narrow, their long headers wrapped over a few lines."""
    widths = {c: WIDE_COLUMN for c in wide}
    info = book.table(name, frame, formats={**{c: TONNES for c in wide}, **formats}, notes=notes, widths=widths,
                      **options)
    if not wide:
        return
    ws = book.wb.get_worksheet_by_name(name)
    header = book.format(bold=True, bottom=1, align="right", valign="bottom", text_wrap=True)
    for c in wide:
        ws.write_string(info.first_row, info.columns.index(c), c, header)
    tallest = max(_lines(c, WIDE_COLUMN + 1) for c in wide)
    ws.set_row(info.first_row, 15 * max(tallest, 1))


# ---------------------------------------------------------------- sweeps

SWEEP_NOTES = {
    "Points": {"value": "The value of the swept parameter",
               "status": "optimal, or 'no plan' where no plan meets the hard limits at this value",
               "objective": "Optimal discounted cost ({currency}, present value): spend plus the notional "
                            "shortfall penalties"},
    "LicenceShadowPrices": {"value": "The value of the swept parameter", "cap_t": "Licence cap at this value (t)",
                            "flow_t": "Tonnes shipped under the licence (t)",
                            "shadow_price": "Value of one more licensed tonne ({currency}/t, present value)",
                            "end_use": "The sectors the licence names as destination; blank: any that accepts "
                                       "controlled supply"},
    "Breakpoints": {"value": "Value of the parameter where the slope changes",
                    "objective": "Optimal cost at the breakpoint ({currency}, present value)",
                    "slope_left": "Change of the optimal cost per unit of the value just below the breakpoint "
                                  "({currency} per 1 of the value)",
                    "slope_right": "… just above it ({currency} per 1 of the value)",
                    "changes": "What changes in the plan there, in planner words (at a degenerate vertex, one of "
                               "several valid descriptions)"},
}


def _filters(parameter: Parameter) -> str:
    return ", ".join(f"{k} = {'; '.join(v)}" for k, v in parameter.keys.items())


def _value_text(values: list[float]) -> str:
    ordered = sorted(values)
    if len(values) <= 8:
        return ", ".join(f"{v:g}" for v in values)
    steps = np.diff(ordered)
    even = len(steps) and np.allclose(steps, steps[0], rtol=1e-6, atol=1e-12)
    step = f", step {steps[0]:g}" if even else ", unevenly spaced"
    return f"{ordered[0]:g} … {ordered[-1]:g} ({len(values)} values{step})"


def write_sweep_workbook(target: Path, parameter: Parameter, model: SweepModel, points: list[Point],
                         groups: list[tuple[str, str]], breakpoints: list[DescribedBreakpoint] | None, data, *,
                         input_name: str, scenario: str) -> None:
    """The sweep's result workbook: first sheet Sweep, the tables, Charts and ChartData."""
    currency = str(data.settings.get("currency") or "USD")
    tables = report.sweep_tables(parameter, model, points, groups, breakpoints)
    study = f"sweep of {parameter.sheet}.{parameter.column} ({parameter.operation})"
    with Book(target, footer=study_footer(input_name, f"{study} · {_case(scenario)}")) as book:
        _sweep_sheet(book, parameter, points, groups, breakpoints, data, input_name, scenario, currency)
        notes = {name: {c: text.format(currency=currency) for c, text in table.items()}
                 for name, table in SWEEP_NOTES.items()}
        wide = [unmet_column(g) for g in groups]
        notes["Points"].update({unmet_column(g): f"Unmet demand of {g[1]} for {g[0]}, summed over the periods (t)"
                                for g in groups})
        wide_table(book, "Points", tables["Points"], wide, notes["Points"], {"value": "General"},
                   highlight={c: RED for c in wide})
        book.table("LicenceShadowPrices", tables["LicenceShadowPrices"], notes=notes["LicenceShadowPrices"],
                   formats={"value": "General", "cap_t": TONNES_FINE, "flow_t": TONNES_FINE},
                   highlight={"shadow_price": AMBER})
        if "Breakpoints" in tables:
            book.table("Breakpoints", tables["Breakpoints"], notes=notes["Breakpoints"], wrap=("changes",),
                       widths={"changes": 90}, landscape=True,
                       formats={"value": "0.000000", "slope_left": MONEY, "slope_right": MONEY})
        book.charts("Charts", sweep_charts(parameter, points, groups, breakpoints, tables, currency),
                    data_sheet="ChartData", empty_note="No value has a plan: nothing to chart.")


def _case(scenario: str | None) -> str:
    return "base case" if not scenario or scenario.casefold() == "base" else f"scenario {scenario}"


def _sweep_sheet(book, parameter, points, groups, breakpoints, data, input_name, scenario, currency) -> None:
    s = Sheet(book, "Sweep", [30, 100], landscape=True, fit_height=1)
    plan = str(data.settings.get("name") or input_name)
    s.title(plan, f"sweep  ·  input {input_name}  ·  {_case(scenario)}")
    try:
        matched = int(matching_rows(data.tables[parameter.sheet], parameter.keys).sum())
    except Exception:  # noqa: BLE001 - a count for the reader only
        matched = None
    filters = _filters(parameter)
    s.heading("What was swept")
    rows = [("parameter", f"{parameter.sheet}.{parameter.column}"),
            ("operation", f"{parameter.operation}: {OPERATIONS.get(parameter.operation, '')}"),
            ("rows changed", (f"{parameter.sheet} rows with {filters}" if filters else f"every {parameter.sheet} row")
             + (f" ({matched} row{'s' if matched != 1 else ''})" if matched is not None else "")),
            ("values", _value_text([p.value for p in points])),
            ("case", f"{_case(scenario)}: every other number as in the input"
             + ("" if not scenario or scenario.casefold() == "base" else " with that scenario's overrides")),
            ("method", "one solve per value, and the exact optimal cost traced between the first and last value"
             if breakpoints is not None else "one solve per value (grid); --exact traces the cost exactly")]
    for label, text in rows:
        s.line([label, text], [s.f["bold"], s.f["wrap"]], lines=_lines(text, 100))
    s.heading("Results at a glance")
    solved = [p for p in points if p.objective is not None]
    money = book.format(num_format=f'#,##0 "{currency}"', align="left")
    for p in (solved[:1] + solved[-1:]) if len(solved) > 1 else solved:
        s.line([f"optimal cost at {p.value:g}", p.objective], [s.f["bold"], money])
    none = [p.value for p in points if p.objective is None]
    if none:
        s.line(["no plan at", ", ".join(f"{v:g}" for v in none[:30]) + (" …" if len(none) > 30 else "")],
               [s.f["bold"], s.f["wrap"]])
    if breakpoints is not None:
        s.line(["breakpoints", f"{len(breakpoints)} between {points[0].value:g} and {points[-1].value:g} "
                               "(sheet Breakpoints; marked on the first chart)"], [s.f["bold"], s.f["wrap"]])
    short = [g for i, g in enumerate(groups) if any(p.objective is not None and p.unmet[i] > 1e-6 for p in points)]
    text = "; ".join(group_label(g) for g in short) if short else "none: every demand is met at every value"
    s.line(["short at some value", text], [s.f["bold"], s.f["wrap"]], lines=_lines(text, 100))
    s.heading("How to read it")
    s.text_block(sweep_how_to_read(parameter, currency, breakpoints is not None), 100)
    s.print_area()


def sweep_how_to_read(parameter: Parameter, currency: str, exact: bool) -> list[tuple[str, str]]:
    rate = parameter.column.endswith("rate") and parameter.operation == "set"
    per_unit = (" For a rate, one unit is 100 percentage points: divide by 100 for the effect of one point."
                if rate else "")
    return [
        ("Objective", f"The optimal discounted cost of the plan at each value ({currency}, present value): what is "
                      "spent on supply, processing and stock, plus the shortfall penalties of unmet demand. The "
                      "penalties are notional: they tell the optimiser how bad a shortfall is, nobody pays them."),
        ("Unmet demand", "Tonnes of demand left unmet over the horizon, per sector and material (sheet Points, "
                         "one chart per material). Tonnes of different materials are never added together."),
        ("Slopes", f"slope_left and slope_right are the change of the optimal cost per unit of the parameter just "
                   f"below and just above a breakpoint ({currency} per 1 of {parameter.column}).{per_unit} A "
                   "negative slope: raising the value saves money."),
        ("Breakpoints", "Values where the slope changes; between two breakpoints the optimal cost is exactly a "
                        "straight line in the value. 'changes' lists the limits that start or stop binding there "
                        "and the shortfalls, purchases, processes and stock moves that end or start."
                        + ("" if exact else " Run with --exact to find them.")),
        ("Degenerate plans", "Where several plans are optimal, or one has several descriptions (a degenerate "
                             "vertex), the listed changes are one of several valid ones; the cost and slopes are "
                             "exact all the same."),
        ("Licence shadow prices", f"What one more licensed tonne would save at each value ({currency}/t, present "
                                  "value), per licence row (sheet LicenceShadowPrices); the chart shows the most "
                                  "valuable licence of each material."),
        ("Charts", "One message and one printed page per chart. Values are solved on the grid and joined by "
                   "straight lines" + (", except the optimal cost, which is exact through every breakpoint."
                                       if exact else "; the true curve may bend between them.")),
    ]


def sweep_charts(parameter: Parameter, points: list[Point], groups: list[tuple[str, str]],
                 breakpoints: list[DescribedBreakpoint] | None, tables: dict[str, pd.DataFrame],
                 currency: str) -> list[Chart]:
    """Optimal cost against the value (exact with breakpoints marked, else the grid); unmet demand of each
    material by sector; the value of the most valuable licence of each material."""
    solved = sorted((p for p in points if p.objective is not None), key=lambda p: p.value)
    if not solved:
        return []
    filters = _filters(parameter)
    x_title = f"{parameter.column} ({parameter.operation})" + (f", {parameter.sheet} rows with {filters}"
                                                               if filters else f", every {parameter.sheet} row")
    values = [p.value for p in points]
    x_range = (min(values), max(values))
    name = parameter.column
    charts = []

    # 1. optimal cost: exact through the breakpoints and the ends of the traced interval, or the grid
    if breakpoints is not None:
        low, high = sorted((points[0].value, points[-1].value))
        inside = [p for p in solved if low <= p.value <= high]
        line = {p.value: p.objective for p in inside[:1] + inside[-1:]}
        line.update({b.value: b.objective for b in breakpoints})
        marked = {b.value: b.objective for b in breakpoints}
        money = Money(list(line.values()), currency)
        xs = sorted(line)
        frame = pd.DataFrame({name: xs, "optimal cost (exact)": [money(line[x]) for x in xs],
                              "breakpoint (the slope changes)": [money(marked.get(x)) for x in xs]})
        styles = {"optimal cost (exact)": "curve", "breakpoint (the slope changes)": "points"}
        title = f"Optimal cost against {name}: exact, {len(breakpoints)} breakpoints ({money.unit})"
    else:
        money = Money([p.objective for p in solved], currency)
        frame = pd.DataFrame({name: [p.value for p in solved], "optimal cost": [money(p.objective) for p in solved]})
        styles = {}
        title = f"Optimal cost against {name} ({money.unit}, present value)"
    charts.append(Chart(title, frame, kind="scatter", unit=f"{money.unit}, present value", number_format=money.format,
                        x_title=x_title, styles=styles, x_range=x_range, y_range=nice_range(frame.iloc[:, 1]),
                        note="optimal discounted cost incl. notional shortfall penalties"))

    # 2. unmet demand of each material, series = sectors short at some value
    unmet = np.array([p.unmet for p in solved])
    materials = list(dict.fromkeys(m for _, m in groups))
    peaks = {m: max((unmet[:, i].max() for i, g in enumerate(groups) if g[1] == m), default=0.0) for m in materials}
    affected = [m for m in materials if peaks[m] > 1e-6]
    top = set(sorted(affected, key=lambda m: -peaks[m])[:MAX_CHARTS])
    for material in (m for m in affected if m in top):
        columns = {g[0]: unmet[:, i] for i, g in enumerate(groups) if g[1] == material and unmet[:, i].max() > 1e-6}
        frame = pd.DataFrame({name: [p.value for p in solved], **columns})
        charts.append(Chart(f"Unmet demand of {material} by sector against {name} (t over the horizon)", frame,
                            kind="scatter", unit="t unmet, over the horizon", x_title=x_title, x_range=x_range,
                            number_format=tonnes_format(np.concatenate(list(columns.values())))))

    # 3. the most valuable licence of each material, materials of like scale on one chart
    licences = tables["LicenceShadowPrices"]
    if len(licences):
        best = licences.pivot_table(index="value", columns="material", values="shadow_price", aggfunc="max",
                                    sort=False)
        order = list(dict.fromkeys(licences["material"]))
        best = best.reindex(columns=order).sort_index()
        peak = best.max()
        valuable = [m for m in order if peak[m] > 1e-6]
        valuable = sorted(valuable, key=lambda m: -peak[m])[:MAX_CHARTS]
        for chunk in _scale_groups(valuable, peak):
            frame = pd.DataFrame({name: best.index.to_numpy(float), **{m: best[m].to_numpy(float) for m in chunk}})
            names = ", ".join(chunk)
            which = names if len(names) <= 40 else \
                f"materials peaking at {peak[chunk[-1]]:,.0f} to {peak[chunk[0]]:,.0f} {currency}/t"
            charts.append(Chart(f"Value of one more licensed tonne, most valuable licence: {which} ({currency}/t)",
                                frame, kind="scatter", unit=f"{currency}/t, present value", number_format=MONEY,
                                x_title=x_title, x_range=x_range,
                                note="per value, the highest shadow price among the material's licence rows"))
    return charts


def _scale_groups(names: list[str], peak) -> list[list[str]]:
    """Names ordered by falling peak, cut where the peaks of one chart would differ more than SCALE_RATIO."""
    out: list[list[str]] = []
    for n in names:
        if out and peak[out[-1][0]] <= SCALE_RATIO * peak[n]:
            out[-1].append(n)
        else:
            out.append([n])
    return out


# ---------------------------------------------------------------- stockpile sizing

STOCK_NOTES = {
    "Sizes": {"initial_t": "Stock held at the start, from the input (t)",
              "starting_level_t": "Chosen starting level: initial_t + added_t (t); the smallest where several are "
                                  "optimal",
              "added_t": "Tonnes added before the first period (t)",
              "size_cost": "Cost of adding one tonne ({currency}/t)",
              "saving_last_tonne": "Expected saving of the last tonne of the starting level, before size cost "
                                   "({currency}/t); blank: no smaller level has a plan",
              "saving_next_tonne": "Expected saving of one more tonne, before size cost ({currency}/t); blank: at "
                                   "its size limit",
              "note": "Why the level sits where it does: the saving of a tonne against its size cost"},
    "Unmet": {"expected_unmet_t": "Probability-weighted unmet demand over the horizon (t)",
              "worst_unmet_t": "Largest unmet demand in any scenario (t)",
              "cvar_unmet_t": "Mean unmet demand of the worst (1 − cvar_alpha) of probability (t)"},
    "Scenarios": {"probability": "Probability of the scenario",
                  "cost": "Total discounted cost of the scenario at the chosen starting levels, incl. size cost and "
                          "notional shortfall penalties ({currency}, present value)"},
    "SizingCurve": {"starting_level_t": "Starting level of the row (t); every other decision re-optimised",
                    "chosen": "TRUE at the chosen starting level",
                    "expected_cost": "Expected total cost at this level ({currency}, present value)",
                    "cvar_cost": "Mean cost of the worst (1 − cvar_alpha) of probability ({currency}, present "
                                 "value)"},
}


def stockpile_how_to_read(currency: str, alpha: float) -> list[tuple[str, str]]:
    tail = f"{(1 - alpha):.0%}"
    return [
        ("How to read this workbook", ""),
        ("The study", "Starting stock levels are chosen once, before anyone knows which scenario comes; every "
                      "scenario then runs its own plan (decisions before branch_period are shared). Costs are "
                      f"discounted ({currency}, present value) and include the notional shortfall penalties."),
        ("RP, WS, EEV, VSS, EVPI", "RP is the optimal expected cost (plus risk_weight × CVaR of cost); WS what it "
                                   "would be with each scenario foreseen; EEV the expected cost of stocking for the "
                                   "average scenario. VSS = EEV − RP is what planning for all scenarios saves; "
                                   "EVPI = RP − WS what perfect foresight would be worth. WS ≤ RP ≤ EEV."),
        ("Sizes", "The chosen starting level of each sizable row. A tonne is added while its expected saving (the "
                  "cost of shortfalls, purchases and processing it avoids across the scenarios) is worth its size "
                  "cost: at the chosen level the saving of the last tonne is at least the size cost and the saving "
                  "of the next tonne at most."),
        ("Unmet", f"Unmet demand over the horizon per sector and material: expected (probability-weighted), worst "
                  f"case, and CVaR (the mean of the worst {tail} of probability). Tonnes of different materials are "
                  "never added together."),
        ("Scenarios, StockUsed", "Each scenario's total cost at the chosen levels and its unmet demand; the "
                                 "stock each scenario draws from each row (the falls of its level, from the starting "
                                 "level)."),
        ("SizingCurve", "For each sizable row, 11 starting levels from its initial stock up; at each, every other "
                        "decision is re-optimised: the expected cost and CVaR of cost show how flat or steep the "
                        "choice is around the chosen level."),
        ("Charts", "One chart per printed page: the sizing curve of each row (expected total cost and CVaR of cost, "
                   "each drawn as how much more it is than at the chosen level, which is marked: 0 there), then the "
                   "cost of each scenario (sorted, when scenarios are many)."),
    ]


def write_stockpile_workbook(target: Path, result: StockpileResult, data, *, input_name: str,
                             sample: int | None = None, seed: int | None = None) -> None:
    currency = str(data.settings.get("currency") or "USD")
    tables = report.stockpile_tables(result, currency)
    where = f"{len(result.names)} sampled scenarios" if sample else f"{len(result.names)} scenarios"
    with Book(target, footer=study_footer(input_name, f"stockpile study · {where}")) as book:
        _stockpile_summary(book, result, data, input_name, currency, sample, seed)
        notes = {name: {c: text.format(currency=currency) for c, text in table.items()}
                 for name, table in STOCK_NOTES.items()}
        book.table("Sizes", tables["Sizes"], notes=notes["Sizes"], wrap=("note",), widths={"note": 60},
                   formats={"saving_last_tonne": MONEY, "saving_next_tonne": MONEY}, landscape=True)
        book.table("Unmet", tables["Unmet"], notes=notes["Unmet"], highlight={"expected_unmet_t": RED})
        groups = [unmet_column(g) for g in result.groups]
        wide_table(book, "Scenarios", tables["Scenarios"], groups,
                   {**notes["Scenarios"], **{unmet_column(g): f"Unmet demand of {g[1]} for {g[0]} over the horizon "
                                                              "(t)" for g in result.groups}},
                   {"probability": PERCENT}, highlight={c: RED for c in groups}, landscape=True)
        wide_table(book, "StockUsed", tables["StockUsed"], [unmet_column(h, "used from") for h in result.stock_rows],
                   {"probability": notes["Scenarios"]["probability"],
                    **{unmet_column(h, "used from"): f"Tonnes drawn from {h[0]} ({h[1]}) in the scenario: the falls "
                                                     "of its level over the horizon, from the starting level (t)"
                       for h in result.stock_rows}}, {"probability": PERCENT})
        curve_unmet = [unmet_column(g, "expected unmet") for g in result.groups]
        wide_table(book, "SizingCurve", tables["SizingCurve"], curve_unmet,
                   {**notes["SizingCurve"], **{unmet_column(g, "expected unmet"): f"Expected unmet demand of {g[1]} "
                                               f"for {g[0]} at this level (t)" for g in result.groups}}, {},
                   landscape=True)
        how = Sheet(book, "HowToRead", [30, 100], landscape=False)
        rows = stockpile_how_to_read(currency, result.alpha)
        how.ws.write_string(0, 0, rows[0][0], book.format(bold=True, font_size=14))
        how.row = 2
        how.text_block(rows[1:], 100)
        book.charts("Charts", stockpile_charts(result, currency), data_sheet="ChartData",
                    empty_note="No sizable stockpile row and no scenario cost: nothing to chart.")


def _stockpile_summary(book, result: StockpileResult, data, input_name, currency, sample, seed) -> None:
    s = Sheet(book, "Summary", [44, 15, 15, 15, 15, 17, 17, 62], landscape=True, fit_height=1)
    f = book.format
    plan = str(data.settings.get("name") or input_name)
    source = (f"{len(result.names)} scenarios sampled from the Uncertainty sheet (--sample {sample} --seed {seed})"
              if sample else f"{len(result.names)} scenarios of the Scenarios sheet")
    s.title(plan, f"stockpile sizing  ·  input {input_name}  ·  {source}")
    money, tonnes = f(num_format=MONEY), f(num_format=TONNES)
    bold_money = f(num_format=MONEY, bold=True)
    s.heading("What the choice is worth", f"{currency}, present value, incl. notional shortfall penalties")
    s.header(["figure", "value", "unit", "meaning"], [False, True, False, False], to_end=True)
    s.ws.write_string(s.row - 1, 2, "unit", f(bold=True, bottom=1, bg_color="#DDEBF7", indent=1))
    no_plan = ", ".join(result.eev_no_plan)
    figures = [
        ("RP: optimal expected cost", result.rp, "the best plan: starting levels chosen before the scenario is known"
         + (" (objective incl. risk_weight × CVaR)" if result.risk_weight else "")),
        ("WS: wait-and-see", result.ws, "the same with each scenario foreseen (perfect information): a lower bound"),
        ("EEV: the mean-value decision", result.eev,
         "expected cost of stocking as the average scenario suggests" if result.eev is not None else
         f"stocking for the average scenario leaves {no_plan} without a plan"),
        ("VSS = EEV − RP", result.vss, "what planning against every scenario saves over planning for the average"),
        ("EVPI = RP − WS", result.evpi, "the most that knowing the scenario in advance would be worth"),
    ]
    for label, value, meaning in figures:
        shown = value if value is not None else "no plan"
        s.line([label, shown, currency if value is not None else "", meaning],
               [s.f["bold"] if label.startswith("RP") else s.f["text"],
                bold_money if label.startswith("RP") else money if value is not None else f(align="right"),
                f(indent=1), None])
    s.heading("How it was computed")
    settings = [("method", result.method, "extensive form: one LP of all scenarios; decomposition: L-shaped cuts"),
                ("scenarios", str(len(result.names)), source),
                ("risk_weight", f"{result.risk_weight:g}", "weight of CVaR of cost in the objective (0: expected cost "
                                                           "only)"),
                ("cvar_alpha", f"{result.alpha:g}", f"CVaR is the mean cost of the worst {(1 - result.alpha):.0%} "
                                                    "of probability"),
                ("branch_period", result.branch_period or "the first period",
                 "decisions before it are the same in every scenario")]
    for label, value, meaning in settings:
        s.line([label, value, "", meaning], [None, f(align="right"), None, None])

    s.heading("Starting levels", f"What the last and the next tonne of stock save in expectation ({currency}/t, "
                                 "before size cost): a tonne is added while it saves at least its size cost. "
                                 "Details: sheets Sizes and SizingCurve.")
    if result.sizes:
        s.header(["stockpile / material", "initial (t)", "chosen (t)", "added (t)", f"size cost ({currency}/t)",
                  "last t saves", "next t saves", "reading"], [False] + [True] * 6 + [False])
        s.ws.write_string(s.row - 1, 7, "reading", f(bold=True, bottom=1, bg_color="#DDEBF7", indent=1))
        for size in result.sizes:
            s.line([f"{size.stockpile} / {size.material}", size.initial_t, size.level_t,
                    size.level_t - size.initial_t, size.size_cost, report.clean(size.marginal_value_last),
                    report.clean(size.marginal_value_next), size_reading(size)],
                   [None, tonnes, f(num_format=TONNES, bold=True), tonnes, money, money, money, f(indent=1)])
    else:
        s.line(["no sizable stockpile rows: nothing to size (Stockpiles.sizable)"])
    s.heading("Unmet demand across the scenarios (over the horizon)",
              "Sectors and materials short in some scenario; all of them: sheet Unmet.")
    expected, worst, tail = result.expected_unmet(), result.worst_unmet(), result.cvar_unmet()
    short = [i for i in range(len(result.groups)) if worst[i] > 1e-6]
    if short:
        s.header(["sector / material", "expected (t)", "worst (t)", f"CVaR, worst {1 - result.alpha:.0%} (t)"],
                 [False, True, True, True])
        for i in sorted(short, key=lambda i: -expected[i]):
            s.line([group_label(result.groups[i]), expected[i], worst[i], tail[i]],
                   [None, f(num_format=TONNES, font_color="#9C0006", bold=True) if expected[i] > 1e-6 else tonnes,
                    tonnes, tonnes])
    else:
        s.line(["every demand is met in every scenario"])
    s.print_area()


def size_reading(size) -> str:
    """The Summary's one-line reading of a chosen level (Sizes has the long note)."""
    if size.marginal_value_next is None:
        return "at its size limit (max_size_t)"
    if size.level_t - size.initial_t <= 1e-9 * max(1.0, size.level_t):
        return "not enlarged: a tonne more saves less than it costs"
    return "enlarged until a tonne more saves less than it costs"


def stockpile_charts(result: StockpileResult, currency: str) -> list[Chart]:
    """One sizing curve per sizable row (chosen level marked), then the cost of each scenario."""
    if not len(result.cost):
        return []
    charts: list[Chart] = []
    tail = f"{(1 - result.alpha):.0%}"
    cvar_name = f"CVaR of cost (mean of the worst {tail})"
    # at the chosen levels, exactly: what the sizing curves are read against
    at_expected = float(result.probability @ result.cost)
    at_cvar = cvar(result.cost, result.probability, result.alpha)
    curve = pd.DataFrame([(c.stockpile, c.material, c.level_t, c.expected_cost, c.cvar_cost) for c in result.curve],
                         columns=["stockpile", "material", "level", "expected", "cvar"])
    for size in result.sizes:
        rows = curve[(curve["stockpile"] == size.stockpile) & (curve["material"] == size.material)]
        if rows.empty:
            continue
        extra_expected, extra_cvar = rows["expected"] - at_expected, rows["cvar"] - at_cvar
        money = Money(list(extra_expected) + list(extra_cvar), currency)
        points = {float(level): [money(e), money(c), None] for level, e, c in
                  zip(rows["level"], extra_expected, extra_cvar)}
        level = next((x for x in points if abs(x - size.level_t) <= 1e-9 * max(1.0, abs(x))), size.level_t)
        points.setdefault(level, [0.0, 0.0, None])[2] = 0.0
        xs = sorted(points)
        chosen = f"chosen level {size.level_t:,.1f} t"
        frame = pd.DataFrame({"starting level (t)": xs, "expected total cost": [points[x][0] for x in xs],
                              cvar_name: [points[x][1] for x in xs], chosen: [points[x][2] for x in xs]})
        charts.append(Chart(f"Sizing {size.stockpile} / {size.material}: extra cost by starting level "
                            f"({money.unit})", frame, kind="scatter",
                            unit=f"{money.unit} more than at the chosen level", number_format=money.format,
                            x_title=f"starting level of {size.material} in {size.stockpile} (t)",
                            styles={chosen: "points"}, x_format=tonnes_format(xs),
                            x_range=(float(min(xs)), float(max(xs))),
                            note=f"at the chosen level: expected total cost {at_expected:,.0f} {currency}, CVaR "
                                 f"{at_cvar:,.0f} {currency}"))
    money = Money(list(result.cost), currency)
    if len(result.names) <= MANY_SCENARIOS:  # a bar per scenario, in the Scenarios sheet's order
        frame = pd.DataFrame({"scenario": [f"{n} ({p:.0%})" for n, p in zip(result.names, result.probability)],
                              "cost": [money(c) for c in result.cost]})
        charts.append(Chart(f"Cost of each scenario at the chosen starting levels ({money.unit}, probability in "
                            "brackets)", frame, kind="bar", unit=f"{money.unit}, present value",
                            number_format=money.format))
    else:  # many (sampled) scenarios: their costs sorted against the probability of a cost as high or lower
        order = np.argsort(result.cost, kind="stable")
        share = np.cumsum(result.probability[order])
        blank = [None] * len(share)
        frame = pd.DataFrame({
            "share of probability": [0.0] + list(share) + [1.0],
            "scenario cost, sorted": [None] + [money(c) for c in result.cost[order]] + [None],
            "expected cost": [money(at_expected)] + blank + [money(at_expected)],
            cvar_name: [money(at_cvar)] + blank + [money(at_cvar)]})
        charts.append(Chart(f"Cost of the {len(result.names)} scenarios at the chosen starting levels, sorted "
                            f"({money.unit})", frame, kind="scatter", unit=f"{money.unit}, present value",
                            number_format=money.format, x_title="share of probability at this cost or less",
                            styles={"scenario cost, sorted": "curve", "expected cost": "reference",
                                    cvar_name: "reference"},
                            x_format="0%", x_range=(0.0, 1.0), y_range=nice_range(frame.iloc[:, 1:].stack()),
                            note="each scenario's cost against the probability of a cost as high or lower"))
    return charts
