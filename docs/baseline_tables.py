"""Regenerate the tables of docs/baseline.md from the bundled baseline (every scenario solved once).

    python docs/baseline_tables.py
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.plan import FAMILIES  # noqa: E402
from planner.run import bundled_input, load, solve_plan  # noqa: E402
from planner.scenarios import scenario_names  # noqa: E402

PAGE = Path(__file__).resolve().parent / "baseline.md"
LICENCES = ("Dy oxide", "Tb oxide", "NdFeB magnet")


def markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(map(str, r)) + " |" for r in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def scenario_section(name: str, outcome) -> str:
    sheets = outcome.result.sheets
    short = sheets["Shortfall"]
    unmet = (short.assign(year=short["period"].str[:4])
             .pivot_table(index="year", columns="sector", values="unmet_t", aggfunc="sum", sort=False)
             .round(1).reset_index())
    by_material = short[short["unmet_t"] > 0].groupby(["sector", "material"])["unmet_t"].sum().round(1)
    prices = sheets["LicenceShadowPrices"]
    prices = prices[prices["material"].isin(LICENCES)].assign(year=lambda d: d["period"].str[:4])
    licence = (prices.pivot_table(index="year", columns="material", values="shadow_price", aggfunc="mean", sort=False)
               .div(1000).round(0).reset_index())
    licence.columns = ["year"] + [f"{c} (k USD/t, mean)" for c in licence.columns[1:]]
    shadow = sheets["ShadowPrices"]
    binding = shadow[shadow["family"].isin(["supply_capacity", "process_capacity"]) & (shadow["shadow_price"] > 0)]
    meaning = binding["family"].map(lambda f: FAMILIES[f].label)
    binding = (binding.assign(what=meaning + ": " + binding["keys"].str.rsplit(" | ", n=1).str[0])
               .groupby("what")["shadow_price"].agg(["count", "max"]).sort_values("max", ascending=False).head(6))
    binding_text = "; ".join(f"{w} ({int(r['count'])} quarters, up to {r['max']:,.0f} USD/t)"
                             for w, r in binding.iterrows()) or "none"
    short_text = "; ".join(f"{k}/{m} {v:,.1f} t" for (k, m), v in by_material.items()) or "none"
    return "\n".join([
        f"### {name}", "",
        f"Objective {outcome.solution.objective / 1e9:,.3f} bn USD (present value). "
        f"Unmet over the horizon: {short_text}.", "",
        "Unmet demand by sector and year (t):", "", markdown(unmet), "",
        "Licence shadow prices (value of one more licensed tonne):", "", markdown(licence), "",
        f"Binding capacities: {binding_text}.", ""])


def base_year_check(loaded, outcome) -> str:
    demand = loaded.data["Demand"]
    magnets = demand[demand["material"] == "NdFeB magnet"]
    us_use = magnets[magnets["period"].str.startswith("2026")]["demand_t"].sum()
    buy = outcome.result.sheets["Procurement"]
    china_magnets = buy[(buy["source"] == "China licensed") & (buy["material"] == "NdFeB magnet")
                        & buy["period"].str.startswith("2026")]["bought_t"].sum()
    rows = pd.DataFrame([
        ("US NdFeB use, 2026 (t)", f"{us_use:,.0f}", "≈ 8,800–10,000 t/yr (direct imports 2024 ≈ 8,800 [S9][S48]; C1 ≈ 10,200)"),
        ("Chinese magnets bought by US users, 2026 (t)", f"{china_magnets:,.0f}",
         "5,933 t exported to the US in 2025 [S9]"),
    ], columns=["figure", "baseline (base scenario)", "public figure"])
    return markdown(rows)


def main() -> None:
    loaded = load(bundled_input("baseline"))
    outcomes = {name: solve_plan(loaded, name) for name in scenario_names(loaded)}
    text = ["<!-- tables:start (written by python docs/baseline_tables.py) -->", "",
            "## Base year against public figures", "", base_year_check(loaded, outcomes["base"]), "",
            "## Scenarios", ""]
    text += [scenario_section(name, outcome) for name, outcome in outcomes.items()]
    text.append("<!-- tables:end -->")
    page = PAGE.read_text()
    page = re.sub(r"<!-- tables:start.*<!-- tables:end -->", lambda _: "\n".join(text), page, flags=re.S)
    PAGE.write_text(page)
    print(f"updated {PAGE}")


if __name__ == "__main__":
    main()
