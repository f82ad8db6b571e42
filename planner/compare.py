"""`reeplan compare A B`: what changed between two results of `reeplan solve` (workbooks or JSON), SPEC §6.

Both sides are read into the same few facts (objective, unmet t per sector and material, tonnes
bought per source and material, licence shadow prices); the comparison is B − A throughout.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd

from planner.issues import InputError, Problem
from planner.words import money, tonnes
from planner.workbook import MONEY, TONNES, Book, Chart, footer_text

LICENCE_KEYS = ["source", "material", "period", "end_use"]


@dataclass
class ResultFacts:
    name: str  # file name without extension
    path: Path
    scenario: str
    objective: float
    unmet: pd.DataFrame  # sector, material, unmet_t (over the horizon)
    procurement: pd.DataFrame  # source, material, bought_t (over the horizon)
    licences: pd.DataFrame  # source, material, period, end_use, shadow_price


def read_result(path: Path) -> ResultFacts:
    """Read a result workbook or JSON written by `reeplan solve`; InputError naming what is missing otherwise."""
    path = Path(path)
    if not path.exists():
        raise InputError([Problem(str(path), None, None, "file not found")])
    try:
        if path.suffix.lower() == ".json":
            return _from_json(path)
        if path.suffix.lower() == ".xlsx":
            return _from_workbook(path)
    except (KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InputError([Problem(path.name, None, None, f"not a result of reeplan solve ({exc})")]) from None
    raise InputError([Problem(path.name, None, None, "expected a result workbook (.xlsx) or JSON (.json) of "
                                                     "reeplan solve")])


def _from_json(path: Path) -> ResultFacts:
    payload = json.loads(path.read_text(encoding="utf-8"))
    shortfall = pd.DataFrame(payload["shortfall"])
    procurement = pd.DataFrame(payload["procurement"])
    licences = pd.DataFrame(payload["licence_shadow_prices"], columns=LICENCE_KEYS + ["shadow_price"])
    return _facts(path, str(payload.get("scenario") or ""), float(payload["objective"]), shortfall, procurement,
                  licences)


def _from_workbook(path: Path) -> ResultFacts:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        missing = [s for s in ("Summary", "Shortfall", "Procurement", "LicenceShadowPrices", "Run")
                   if s not in wb.sheetnames]
        if missing:
            raise KeyError(f"no sheet {', '.join(missing)}")
        objective = next((r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0] == "objective"), None)
        if not isinstance(objective, (int, float)):
            raise ValueError("Summary has no objective")
        run = {r[0]: r[1] for r in wb["Run"].iter_rows(min_row=2, values_only=True) if r}
        frames = {}
        for sheet in ("Shortfall", "Procurement", "LicenceShadowPrices"):
            rows = wb[sheet].iter_rows(values_only=True)
            header = [str(h) for h in next(rows)]
            frames[sheet] = pd.DataFrame(list(rows), columns=header)
    finally:
        wb.close()
    licences = frames["LicenceShadowPrices"]
    licences["end_use"] = licences["end_use"].fillna("")
    return _facts(path, str(run.get("scenario") or ""), float(objective), frames["Shortfall"],
                  frames["Procurement"], licences)


def _facts(path, scenario, objective, shortfall, procurement, licences) -> ResultFacts:
    unmet = shortfall.groupby(["sector", "material"], sort=False, as_index=False)["unmet_t"].sum()
    bought = procurement.groupby(["source", "material"], sort=False, as_index=False)["bought_t"].sum()
    licences = licences[LICENCE_KEYS + ["shadow_price"]].copy()
    licences["end_use"] = licences["end_use"].fillna("").astype(str)
    licences["period"] = licences["period"].astype(str)
    return ResultFacts(path.stem, path, scenario, objective, unmet, bought, licences)


@dataclass
class Comparison:
    a: ResultFacts
    b: ResultFacts
    overview: pd.DataFrame  # figure, A, B, change
    unmet: pd.DataFrame  # sector, material, unmet_t_a, unmet_t_b, change_t
    procurement: pd.DataFrame  # source, material, bought_t_a, bought_t_b, change_t
    licences: pd.DataFrame  # source, material, period, end_use, shadow_price_a, shadow_price_b, change


def _side_by_side(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], value: str, change: str) -> pd.DataFrame:
    merged = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b"), sort=False)
    merged[[f"{value}_a", f"{value}_b"]] = merged[[f"{value}_a", f"{value}_b"]].fillna(0.0).astype(float)
    merged[change] = merged[f"{value}_b"] - merged[f"{value}_a"]
    return merged


def compare_results(a: ResultFacts, b: ResultFacts) -> Comparison:
    overview = pd.DataFrame([
        ("scenario", a.scenario, b.scenario, None),
        ("objective", a.objective, b.objective, b.objective - a.objective),
    ], columns=["figure", "A", "B", "change"])
    return Comparison(
        a, b, overview,
        _side_by_side(a.unmet, b.unmet, ["sector", "material"], "unmet_t", "change_t"),
        _side_by_side(a.procurement, b.procurement, ["source", "material"], "bought_t", "change_t"),
        _side_by_side(a.licences, b.licences, LICENCE_KEYS, "shadow_price", "change"))


def write_comparison(c: Comparison, target: Path) -> None:
    overview = c.overview.copy()
    files = pd.DataFrame([("A", str(c.a.path)), ("B", str(c.b.path))], columns=["result", "file"])
    with Book(target, footer=footer_text(f"{c.a.name} vs {c.b.name}", "")) as book:
        book.table("Overview", overview, formats={"A": MONEY, "B": MONEY, "change": MONEY})
        book.table("Unmet", c.unmet)
        book.table("Procurement", c.procurement)
        book.table("LicenceShadowPrices", c.licences, formats={"shadow_price_a": MONEY, "shadow_price_b": MONEY,
                                                               "change": MONEY})
        book.table("Files", files)
        book.charts("Charts", comparison_charts(c), data_sheet="ChartData",
                    empty_note="Nothing is short in either result.")


def comparison_charts(c: Comparison) -> list[Chart]:
    charts = []
    for material, group in c.unmet.groupby("material", sort=False):
        if max(group["unmet_t_a"].max(), group["unmet_t_b"].max()) <= 1e-6:
            continue
        group = group[(group["unmet_t_a"] > 1e-6) | (group["unmet_t_b"] > 1e-6)]
        data = pd.DataFrame({"sector": group["sector"], f"A: {c.a.name}": group["unmet_t_a"],
                             f"B: {c.b.name}": group["unmet_t_b"]})
        charts.append(Chart(f"Unmet demand of {material} over the horizon: A and B (t)", data, kind="bar", unit="t",
                            number_format=TONNES))
    return charts


def compare_text(c: Comparison, output) -> str:
    delta = c.b.objective - c.a.objective
    lines = [f"A: {c.a.name} (scenario {c.a.scenario or '?'})   B: {c.b.name} (scenario {c.b.scenario or '?'})",
             f"objective: A {money(c.a.objective)}, B {money(c.b.objective)}, change {'+' if delta >= 0 else ''}"
             f"{money(delta)}"]
    moved = c.unmet[(c.unmet["change_t"].abs() > 1e-6) | (c.unmet["unmet_t_b"] > 1e-6)]
    lines.append("unmet demand (t over the horizon, per sector and material):" if len(moved) else
                 "unmet demand: none in either result")
    for r in moved.itertuples(index=False):
        lines.append(f"  {r.sector} / {r.material}: {tonnes(r.unmet_t_a)} → {tonnes(r.unmet_t_b)} "
                     f"({'+' if r.change_t >= 0 else ''}{tonnes(r.change_t)})")
    bought = c.procurement[c.procurement["change_t"].abs() > 1e-6]
    bought = bought.reindex(bought["change_t"].abs().sort_values(ascending=False).index).head(8)
    if len(bought):
        lines.append("procurement (t over the horizon), largest changes:")
        for r in bought.itertuples(index=False):
            lines.append(f"  {r.source} / {r.material}: {tonnes(r.bought_t_a)} → {tonnes(r.bought_t_b)}")
    prices = c.licences[c.licences["change"].abs() > 1e-6]
    if len(prices):
        lines.append("licence shadow prices, largest change per material:")
        top = prices.reindex(prices["change"].abs().sort_values(ascending=False).index).drop_duplicates("material")
        for r in top.itertuples(index=False):
            end_use = f" for {r.end_use}" if r.end_use else ""
            lines.append(f"  {r.material}: {r.source} / {r.period}{end_use}: {money(r.shadow_price_a)} → "
                         f"{money(r.shadow_price_b)}")
    lines.append(f"written: {output}")
    return "\n".join(lines)
