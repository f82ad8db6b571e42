"""Regenerate the tables of docs/baseline.md from the bundled baseline (every scenario solved).

    python docs/baseline_tables.py

Scenario tables hold today's stocks fixed: the sizable stock rows stay at their initial level, because a single
scenario solved with sizable rows buys stock before 2026 knowing what is coming. What `reeplan solve --scenario`
(sizable rows free) would add is listed separately; `reeplan stockpile` is the tool that sizes stocks properly.
Tonnes of different materials are never added together.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.plan import FAMILIES  # noqa: E402
from planner.run import solve_plan  # noqa: E402
from planner.inputs import Loaded, bundled_input, load  # noqa: E402
from planner.scenarios import scenario_names  # noqa: E402

PAGE = Path(__file__).resolve().parent / "baseline.md"
CHINA = "China licensed"
MAGNETS = ("NdFeB EV grade", "NdFeB wind grade", "NdFeB commercial grade")
PRICE_MATERIALS = ("NdPr oxide", "Dy oxide", "Tb oxide", "Y oxide", "Sm oxide", "SmCo magnet", "NdFeB defense grade",
                   "NdFeB EV grade", "NdFeB commercial grade")
PLANT_FACTS = {  # plant: announced figure and status, as the public record has it
    "MP Independence": "1,000 t/yr [S18]; first magnets on the commercial line Q4 2025, GM ramp 2026; expansion to "
                       "3,000 t/yr agreed [D24-D26]",
    "MP 10X": "~7,000 t/yr (10,000 t/yr MP total); commissioning 2028 [S17]",
    "eVAC Sumter": "2,000 t/yr target by 2026; first US shipments ~end 2025 [S23]",
    "Noveon": "2,000 t/yr plant [S22]; GM supply from Jul 2025 [D32]",
    "USA Rare Earth": "1,200 t/yr Phase 1 (Line 1a target Q1 2026 [D31]) -> 4,800 t/yr [S24]",
    "Vulcan Elements": "10,000 t/yr; financed Nov 2025 [S25]; no start date public",
    "Niron iron nitride": "1,500 t/yr iron nitride; operating early 2027 [D21]",
}


def markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(_text(v) for v in r) + " |" for r in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def _text(v) -> str:
    if isinstance(v, float):
        return "" if pd.isna(v) else f"{v:,.1f}"
    return str(v)


def with_year(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(year=frame["period"].str[:4])


def hold_stocks(loaded: Loaded) -> Loaded:
    """The same input with every stock row held at its initial level (no sizing)."""
    data = loaded.data.copy()
    data.tables["Stockpiles"]["sizable"] = False
    return Loaded(loaded.path, data, loaded.warnings, loaded.sha256)


# ---------------------------------------------------------------- base year

def base_year(loaded: Loaded, outcome) -> str:
    data, sheets = loaded.data, outcome.result.sheets
    demand = with_year(data["Demand"])
    d26 = demand[demand["year"] == "2026"]
    magnets = d26[d26["material"].str.contains("NdFeB|nacelles")]
    loose = magnets[magnets["material"].str.startswith("NdFeB")]["demand_t"].sum()
    embedded = magnets[~magnets["material"].str.startswith("NdFeB")]["demand_t"].sum()
    use = pd.DataFrame([
        ("loose sintered NdFeB (defense, EV, onshore wind, other)", loose,
         "≈ 8,800 t direct imports 2024 (7,444 t from China / 85% China share of import value) [S9][S48]; "
         "US output was small in 2024"),
        ("NdFeB inside imported offshore nacelles", embedded,
         "not in magnet imports (HS 8505); 2.0 GW offshore 2026 × 0.65 t/MW [S31][S33]"),
        ("all NdFeB", loose + embedded, "≈ 10,200 t (domain_facts C1)"),
    ], columns=["2026 NdFeB use", "baseline (t)", "public figure"])

    buy = with_year(sheets["Procurement"])
    buy26 = buy[buy["year"] == "2026"]
    china = buy26[(buy26["source"] == CHINA) & buy26["material"].isin(MAGNETS)]
    by_quarter = china.groupby("period")["bought_t"].sum()
    allied = buy26[buy26["source"] == "Allied magnet makers"]["bought_t"].sum()
    licences = sheets["LicenceShadowPrices"]
    cap26 = licences[licences["material"].isin(MAGNETS) & licences["period"].str.startswith("2026")]["cap_t"].sum()
    imports = pd.DataFrame([
        ("Chinese magnets bought, 2026", china["bought_t"].sum(),
         "5,933 t exported to the US in 2025 (−20% on 2024) [S9]"),
        ("  of which 2026Q1", by_quarter.get("2026Q1", 0.0),
         "Q1 2026: between 1,218 and 1,534 t (Dec 564 > Jan > Feb > Mar 406 t, five monthly falls) [S9]"),
        ("Chinese magnet licence caps, 2026", cap26, "≈ 5,500 t/yr run-rate Oct 2025–Mar 2026 [S9]"),
        ("allied (non-Chinese) magnets bought, 2026", allied,
         "≈ 1,356 t non-Chinese direct imports 2024 (8,800 − 7,444, derived) [S9][S48]"),
    ], columns=["magnet imports", "baseline (t)", "public figure"])

    processes = with_year(data["Processes"])
    runs = with_year(sheets["Processes"])
    rows = []
    for plant, fact in PLANT_FACTS.items():
        cap = processes[processes["process"] == plant].groupby("year")["capacity"].sum()
        rows.append((plant, cap.get("2026", 0.0), cap.get("2028", 0.0), cap.get("2030", 0.0), fact))
    plants = pd.DataFrame(rows, columns=["US plant", "qualified 2026 (t)", "2028 (t)", "2030 (t)",
                                         "announced (public record)"])
    sinter = runs[runs["process"].isin(list(PLANT_FACTS)[:-1])].groupby("year")["activity"].sum()
    output = ", ".join(f"{y}: {v:,.0f} t" for y, v in sinter.items())

    mp = buy[(buy["source"] == "MP Materials") & (buy["material"] == "NdPr oxide")].groupby("year")["bought_t"].sum()
    mp_cap = data["Supply"].query("source == 'MP Materials' and material == 'NdPr oxide'")
    mp_cap = with_year(mp_cap).groupby("year")["capacity_t"].sum()
    oxide = pd.DataFrame([(y, mp_cap.get(y, 0.0), mp.get(y, 0.0)) for y in sorted(mp_cap.index)],
                         columns=["year", "MP NdPr oxide available (t)", "bought by US users (t)"])
    return "\n\n".join([
        "### NdFeB use", markdown(use),
        "### Magnet imports", markdown(imports),
        "### US magnet capacity by plant",
        "Qualified capacity in the baseline (first production + qualification lag + four-quarter ramp, "
        "`docs/build_baseline.py`) against what was announced:", markdown(plants),
        f"US sintering used in the base case (all plants together; which plant runs is not determined, they "
        f"cost the same): {output}.",
        "### NdPr oxide from Mountain Pass",
        "MP produced 2,599 t NdPr oxide in 2025 and exited at ≈ 4,000 t/yr [S16]; it now sells at the market price "
        "(the DoD floor is a transfer to MP). Energy Fuels sells at the same delivered price, so the split between "
        "the two domestic producers is not determined by the plan.", markdown(oxide),
    ])


# ---------------------------------------------------------------- prices on one basis

def price_table(loaded: Loaded) -> str:
    supply = loaded.data["Supply"]
    q = supply[supply["period"] == "2026Q4"]
    rows = []
    for material in ("NdPr oxide", "Dy oxide", "Tb oxide", "Sm oxide", "Y oxide", *MAGNETS):
        for source in (CHINA, "MP Materials", "Energy Fuels", "Lynas", "ReElement", "Recycling"):
            hit = q[(q["source"] == source) & (q["material"] == material)]
            if not hit.empty:
                rows.append((material, source, hit["price"].iloc[0] / 1000))
    allied = q[q["source"] == "Allied magnet makers"]["price"].iloc[0] / 1000
    premium = loaded.data["Processes"].drop_duplicates("process").set_index("process")["cost"]
    for material in MAGNETS:
        rows.append((material, "Allied magnet makers", allied + premium.get(f"Allied {material}", 0.0) / 1000))
    table = pd.DataFrame(rows, columns=["material", "source", "USD/kg delivered, 2026Q4"])
    return markdown(table)


# ---------------------------------------------------------------- scenarios

def penalty_set(loaded: Loaded, outcome) -> pd.DataFrame:
    """Free-channel material prices (undiscounted USD/t) with a flag where a penalty sets them."""
    sheets = outcome.result.sheets
    factors = loaded.data.discount_factors()
    prices = sheets["MaterialPrices"]
    prices = prices[prices["channel"] == "free"].assign(
        price=lambda d: d["shadow_price"] / d["period"].map(factors))
    short = sheets["Shortfall"]
    short = short[short["unmet_t"] > 1e-6]
    penalties = outcome_penalties(loaded, outcome)
    flagged = []
    for row in prices.itertuples():
        rows = short[(short["material"] == row.material) & (short["period"] == row.period)]
        hit = [penalties[(k, row.material, row.period)] for k in rows["sector"]]
        flagged.append(any(abs(row.price - p) <= 0.01 * p for p in hit))
    return prices.assign(penalty_set=flagged)


def outcome_penalties(loaded: Loaded, outcome) -> dict:
    demand = loaded.data["Demand"]
    sectors = dict(zip(loaded.data["Sectors"]["sector"], loaded.data["Sectors"]["shortfall_penalty"]))
    return {(r.sector, r.material, r.period): (sectors[r.sector] if pd.isna(r.shortfall_penalty)
                                               else r.shortfall_penalty) for r in demand.itertuples()}


def scenario_section(loaded: Loaded, name: str, outcome, sized) -> str:
    sheets = outcome.result.sheets
    short = with_year(sheets["Shortfall"])
    unmet = short[short["unmet_t"] > 1e-6]
    if unmet.empty:
        unmet_table = "No unmet demand."
    else:
        table = unmet.pivot_table(index=["sector", "material"], columns="year", values="unmet_t", aggfunc="sum",
                                  fill_value=0.0).reset_index()
        unmet_table = markdown(table)

    licences = with_year(sheets["LicenceShadowPrices"])
    lic = (licences.pivot_table(index="material", columns="year", values="shadow_price", aggfunc="mean",
                                fill_value=0.0) / 1000).reset_index()

    prices = with_year(penalty_set(loaded, outcome))
    prices = prices[prices["material"].isin(PRICE_MATERIALS)]
    mean = prices.pivot_table(index="material", columns="year", values="price", aggfunc="mean") / 1000
    flags = prices.pivot_table(index="material", columns="year", values="penalty_set", aggfunc="any")
    shown = mean.copy().astype(object)
    for m in mean.index:
        for y in mean.columns:
            shown.at[m, y] = f"{mean.at[m, y]:,.1f}" + (" (p)" if flags.at[m, y] else "")
    shown = shown.reindex([m for m in PRICE_MATERIALS if m in shown.index]).reset_index()

    stocks = sheets["Stockpiles"]
    nds = stocks[stocks["stockpile"] == "NDS"]
    start = loaded.data["Stockpiles"].query("stockpile == 'NDS'").set_index("material")["initial_t"]
    last = loaded.data.periods[-1]
    nds_table = pd.DataFrame([
        (m, start[m], g["level_t"].min(), g.loc[g["period"] == last, "level_t"].iloc[0], g["released_t"].sum(),
         g["acquired_t"].sum())
        for m, g in nds.groupby("material", sort=False)],
        columns=["NDS material", "start (t)", "lowest level (t)", "end level (t)", "released (t)", "acquired (t)"])

    shadow = sheets["ShadowPrices"]
    binding = shadow[shadow["family"].isin(["supply_capacity", "process_capacity"]) & (shadow["shadow_price"] > 1)
                     & (shadow["rhs"] > 0)]
    meaning = binding["family"].map(lambda f: FAMILIES[f].label)
    binding = (binding.assign(what=meaning + ": " + binding["keys"].str.rsplit(" | ", n=1).str[0])
               .groupby("what")["shadow_price"].agg(["count", "max"]).sort_values("max", ascending=False).head(6))
    binding_text = "; ".join(f"{w} ({int(r['count'])} quarters, up to {r['max'] / 1000:,.1f} k USD/t)"
                             for w, r in binding.iterrows()) or "none"
    buy = sheets["Procurement"]
    controlled = buy[buy["controlled"]].groupby("material")["bought_t"].sum()
    controlled_text = "; ".join(f"{m} {v:,.0f} t" for m, v in controlled.items() if v > 0.05) or "none"

    parts = [f"### {name}", "",
             f"Objective {outcome.solution.objective / 1e9:,.3f} bn USD (present value). "
             f"Bought from controlled sources over the horizon: {controlled_text}.", "",
             "Unmet demand by sector, material and year (t):", "", unmet_table, "",
             "Material prices (free channel, k USD/t, undiscounted yearly mean; **(p)**: set by a shortfall penalty "
             "in at least one quarter, not by a market):", "", markdown(shown), "",
             "Licence shadow prices (value of one more licensed tonne, k USD/t, yearly mean):", "", markdown(lic), "",
             "National Defense Stockpile:", "", markdown(nds_table), "",
             f"Binding capacities: {binding_text}.", ""]
    if sized:
        parts += [f"With sizable rows free (`reeplan solve --scenario {name}`), the plan would buy before 2026: "
                  + "; ".join(f"{g} {m} {v:,.1f} t" for (g, m), v in sized.items())
                  + ", knowing the scenario in advance.", ""]
    return "\n".join(parts)


def summary_table(loaded: Loaded, outcomes: dict) -> str:
    probability = dict(zip(loaded.data["Scenarios"]["scenario"], loaded.data["Scenarios"]["probability"]))
    rows = []
    for name, outcome in outcomes.items():
        short = outcome.result.sheets["Shortfall"]
        unmet = short[short["unmet_t"] > 1e-6].groupby(["sector", "material"])["unmet_t"].sum()
        text = "; ".join(f"{k}/{m} {v:,.0f}" for (k, m), v in unmet.items()) or "none"
        stocks = outcome.result.sheets["Stockpiles"]
        nds = stocks[(stocks["stockpile"] == "NDS") & (stocks["released_t"] > 1e-6)]
        rows.append((name, f"{probability.get(name, 0):.2f}", f"{outcome.solution.objective / 1e9:,.3f}", text,
                     ", ".join(sorted(set(nds["material"]))) or "none"))
    return markdown(pd.DataFrame(rows, columns=["scenario", "probability", "objective (bn USD)",
                                                "unmet over 2026–2030 (sector/material t)", "NDS drawn"]))


def sizes(outcome) -> dict:
    size = outcome.solution.variables.get("size")
    if size is None or size.empty:
        return {}
    return {(r.stockpile, r.material): r.value for r in size.itertuples() if r.value > 1e-6}


def main() -> None:
    loaded = load(bundled_input("baseline"))
    held = hold_stocks(loaded)
    names = scenario_names(loaded)
    outcomes = {name: solve_plan(held, name) for name in names}
    sized = {name: sizes(solve_plan(loaded, name)) for name in names}
    text = ["<!-- tables:start (written by python docs/baseline_tables.py) -->", "",
            "## Base year against public figures", "", base_year(loaded, outcomes["base"]), "",
            "## Prices on one basis", "",
            "Delivered to a US buyer, 2026Q4 (after the Section 122 surcharge lapses); allied magnets by grade = "
            "allied capacity price + grade premium:", "", price_table(loaded), "",
            "## Scenarios at a glance", "",
            "Today's stocks (no sizing). Unmet tonnes summed over the horizon per sector and material.", "",
            summary_table(loaded, outcomes), "",
            "## Scenarios", ""]
    text += [scenario_section(held, name, outcome, sized[name]) for name, outcome in outcomes.items()]
    text.append("<!-- tables:end -->")
    page = PAGE.read_text()
    page = re.sub(r"<!-- tables:start.*<!-- tables:end -->", lambda _: "\n".join(text), page, flags=re.S)
    page = re.sub(r"<!-- sweep:start.*<!-- sweep:end -->", lambda _: sweep_section(loaded), page, flags=re.S)
    PAGE.write_text(page)
    print(f"updated {PAGE}")


SWEEP = "reeplan sweep inputs/baseline --sheet Licences --column approval_rate --values 0:1:0.05 " \
        "--source \"China licensed\" --exact"


def sweep_section(loaded: Loaded) -> str:
    """The approval rate of every Chinese licence (pipeline included) from 0 to 1: grid and exact breakpoints."""
    from planner.studies.pool import Pool
    from planner.studies.sweep import build_sweep, make_parameter, parse_values, run_exact, run_grid

    parameter = make_parameter(loaded.data, "Licences", "approval_rate", "set", {"source": CHINA})
    model = build_sweep(loaded.data, parameter, parse_values("0:1:0.05"))
    points, groups = run_grid(model, Pool())
    _, breakpoints = run_exact(model)
    short = [j for j in range(len(groups)) if any(p.unmet[j] > 1e-6 for p in points)]
    rows = [{"approval rate": f"{p.value:.2f}", "objective (bn USD PV)": f"{p.objective / 1e9:,.3f}",
             **{f"{groups[j][0]} / {groups[j][1]} (t)": f"{p.unmet[j]:,.0f}" for j in short}}
            for p in points[::2]]
    steepest = sorted(breakpoints, key=lambda b: b.slope_right - b.slope_left, reverse=True)[:6]
    knees = pd.DataFrame([{"approval rate": f"{b.value:.4f}", "objective (bn USD)": f"{b.objective / 1e9:,.3f}",
                           "slope left → right (bn USD per unit)": f"{b.slope_left / 1e9:,.2f} → "
                                                                    f"{b.slope_right / 1e9:,.2f}",
                           "what changes": "; ".join(b.changes[:2])} for b in sorted(steepest, key=lambda b: b.value)])
    return "\n".join([
        f"<!-- sweep:start (written by python docs/baseline_tables.py, as: {SWEEP}) -->", "",
        "Every Chinese licence's approval rate set to the value (the approved 2025Q4 pipeline included), today's "
        "stocks free to be sized as in `reeplan solve`. Unmet tonnes over the horizon, every other value:", "",
        markdown(pd.DataFrame(rows)), "",
        f"The exact trace finds {len(breakpoints)} breakpoints between 0 and 1: the cost curve is convex, steep where "
        "licences replace shortfalls and flat where they only replace dearer allied or US supply. The six "
        "sharpest knees (largest change of slope):", "", markdown(knees), "", "<!-- sweep:end -->"])


if __name__ == "__main__":
    main()
