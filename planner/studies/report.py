"""Study results as tables (one per workbook sheet) and as the JSON of SPEC §5."""
from __future__ import annotations

import math

import pandas as pd

from planner.studies.stockpile import SizeResult, StockpileResult
from planner.studies.sweep import DescribedBreakpoint, Parameter, Point, SweepModel


def _number(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _nested(groups: list[tuple[str, str]], values) -> dict[str, dict[str, float | None]]:
    """{sector: {material: t}} from per-(sector, material) values."""
    out: dict[str, dict[str, float | None]] = {}
    for (sector, material), value in zip(groups, values):
        out.setdefault(sector, {})[material] = _number(value)
    return out


def _whole(value: float | None) -> str:
    """A money amount in whole units, never '-0' (a saving of -1e-12 is 0); '—' for none."""
    return "—" if value is None or not math.isfinite(value) else f"{round(value):,}"


def clean(value: float | None, scale: float = 1.0) -> float | None:
    """A marginal value or slope without solver noise around 0 (shown as -0 otherwise), relative to `scale`."""
    return None if value is None else 0.0 if abs(value) <= 1e-9 * max(1e3, abs(scale)) else value


def group_label(group: tuple[str, str]) -> str:
    return f"{group[0]} / {group[1]}"


def unmet_column(group: tuple[str, str], prefix: str = "unmet") -> str:
    """A wide table's column of one sector and material, e.g. 'unmet defense / Dy oxide (t)'."""
    return f"{prefix} {group_label(group)} (t)"


# ---------------------------------------------------------------- sweeps

def sweep_tables(parameter: Parameter, model: SweepModel, points: list[Point], groups: list[tuple[str, str]],
                 breakpoints: list[DescribedBreakpoint] | None) -> dict[str, pd.DataFrame]:
    """Points (objective and unmet t per sector and material per value), LicenceShadowPrices (long), and
    Breakpoints with --exact. What was swept is told on the workbook's first sheet (studies.workbook)."""
    licence_keys = model.compiled.row_keys["licence"]
    rows = []
    for p in points:
        row = {"value": p.value, "status": "optimal" if p.objective is not None else "no plan",
               "objective": p.objective}
        row.update({unmet_column(g): u for g, u in zip(groups, p.unmet)})
        rows.append(row)
    licences = pd.DataFrame([
        {"value": p.value, "source": k[0], "material": k[1], "period": k[2], "end_use": k[3], "cap_t": cap,
         "flow_t": flow, "shadow_price": price}
        for p in points if p.objective is not None
        for k, cap, flow, price in zip(licence_keys, p.licence_cap, p.licence_flow, p.licence_shadow)],
        columns=["value", "source", "material", "period", "end_use", "cap_t", "flow_t", "shadow_price"])
    columns = ["value", "status", "objective"] + [unmet_column(g) for g in groups]
    tables = {"Points": pd.DataFrame(rows, columns=columns),
              "LicenceShadowPrices": licences}
    if breakpoints is not None:
        tables["Breakpoints"] = pd.DataFrame(
            [{"value": b.value, "objective": b.objective, "slope_left": clean(b.slope_left, b.slope_right),
              "slope_right": clean(b.slope_right, b.slope_left), "changes": "; ".join(b.changes)}
             for b in breakpoints],
            columns=["value", "objective", "slope_left", "slope_right", "changes"])
    return tables


def sweep_json(parameter: Parameter, model: SweepModel, points: list[Point], groups: list[tuple[str, str]],
               breakpoints: list[DescribedBreakpoint] | None) -> dict:
    licence_keys = model.compiled.row_keys["licence"]
    payload = {
        "parameter": parameter.describe(),
        "points": [{
            "value": p.value, "objective": _number(p.objective), "unmet_t": _nested(groups, p.unmet),
            "licence_shadow_prices": [
                {"source": k[0], "material": k[1], "period": k[2], "end_use": k[3], "cap_t": _number(cap),
                 "flow_t": _number(flow), "shadow_price": _number(price)}
                for k, cap, flow, price in zip(licence_keys, p.licence_cap, p.licence_flow, p.licence_shadow)]
                if p.objective is not None else []}
            for p in points],
    }
    if breakpoints is not None:
        payload["breakpoints"] = [{"value": b.value, "objective": b.objective, "slope_left": b.slope_left,
                                   "slope_right": b.slope_right, "changes": b.changes} for b in breakpoints]
    return payload


# ---------------------------------------------------------------- stockpile sizing

def size_note(s: SizeResult, currency: str) -> str:
    """One line on why the row sits where it does: marginal saving against size cost."""
    def money(v):
        return f"{_whole(v)} {currency}/t"

    cost = money(s.size_cost)
    added = s.level_t - s.initial_t
    if s.marginal_value_next is None:
        return f"at its size limit (max_size_t): more would still save {money(s.marginal_value_last)} a tonne " \
               f"against {cost}" if s.marginal_value_last is not None else "at its size limit (max_size_t)"
    if added <= 1e-9 * max(1.0, s.level_t):
        return f"not enlarged: the first added tonne would save {money(s.marginal_value_next)}, " \
               f"less than its size cost {cost}"
    return f"enlarged by {added:,.1f} t: up to here a tonne saves at least its size cost {cost}; " \
           f"the next would save {money(s.marginal_value_next)}"


SIZE_COLUMNS = ["stockpile", "material", "initial_t", "starting_level_t", "added_t", "size_cost", "saving_last_tonne",
                "saving_next_tonne", "note"]


def stockpile_tables(result: StockpileResult, currency: str = "USD") -> dict[str, pd.DataFrame]:
    """Sizes, Unmet, Scenarios (cost and unmet t), StockUsed and SizingCurve; the figures (RP … EVPI) are laid
    out on the Summary sheet (studies.workbook)."""
    sizes = pd.DataFrame([{
        "stockpile": s.stockpile, "material": s.material, "initial_t": s.initial_t, "starting_level_t": s.level_t,
        "added_t": s.level_t - s.initial_t, "size_cost": s.size_cost,
        "saving_last_tonne": clean(s.marginal_value_last), "saving_next_tonne": clean(s.marginal_value_next),
        "note": size_note(s, currency)} for s in result.sizes],
        columns=SIZE_COLUMNS)
    unmet = pd.DataFrame({"sector": [g[0] for g in result.groups], "material": [g[1] for g in result.groups],
                          "expected_unmet_t": result.expected_unmet(), "worst_unmet_t": result.worst_unmet(),
                          "cvar_unmet_t": result.cvar_unmet()})
    scenarios = pd.DataFrame({"scenario": result.names, "probability": result.probability, "cost": result.cost})
    for i, g in enumerate(result.groups):
        scenarios[unmet_column(g)] = result.unmet[:, i]
    used = pd.DataFrame({"scenario": result.names, "probability": result.probability,
                         **{unmet_column(h, "used from"): result.used[:, i] for i, h in enumerate(result.stock_rows)}})
    chosen = {(s.stockpile, s.material): s.level_t for s in result.sizes}
    curve = pd.DataFrame([{
        "stockpile": c.stockpile, "material": c.material, "starting_level_t": c.level_t,
        "chosen": abs(c.level_t - chosen.get((c.stockpile, c.material), math.nan)) <= 1e-9 * max(1.0, c.level_t),
        "expected_cost": c.expected_cost, "cvar_cost": c.cvar_cost,
        **{unmet_column(g, "expected unmet"): u for g, u in zip(result.groups, c.expected_unmet)}}
        for c in result.curve],
        columns=["stockpile", "material", "starting_level_t", "chosen", "expected_cost", "cvar_cost"]
        + [unmet_column(g, "expected unmet") for g in result.groups])
    return {"Sizes": sizes, "Unmet": unmet, "Scenarios": scenarios, "StockUsed": used, "SizingCurve": curve}


def stockpile_json(result: StockpileResult) -> dict:
    return {
        "objective": result.rp,
        "sizes": [{"stockpile": s.stockpile, "material": s.material, "initial_t": s.initial_t, "level_t": s.level_t,
                   "marginal_value_last": _number(s.marginal_value_last),
                   "marginal_value_next": _number(s.marginal_value_next)} for s in result.sizes],
        "expected_unmet_t": _nested(result.groups, result.expected_unmet()),
        "worst_unmet_t": _nested(result.groups, result.worst_unmet()),
        "cvar_unmet_t": _nested(result.groups, result.cvar_unmet()),
        "rp": result.rp, "ws": result.ws, "eev": _number(result.eev), "vss": _number(result.vss),
        "evpi": result.evpi, "method": result.method,
        "scenarios": [{"scenario": name, "probability": float(p), "cost": float(c),
                       "unmet_t": _nested(result.groups, u)}
                      for name, p, c, u in zip(result.names, result.probability, result.cost, result.unmet)],
        "sizing_curve": [{"stockpile": c.stockpile, "material": c.material, "level_t": c.level_t,
                          "expected_cost": c.expected_cost, "cvar_cost": c.cvar_cost,
                          "expected_unmet_t": _nested(result.groups, c.expected_unmet)} for c in result.curve],
    }


def stockpile_text(result: StockpileResult, out) -> str:
    lines = [f"reeplan stockpile: {len(result.names)} scenarios ({result.method})",
             f"RP {result.rp:,.0f}   WS {result.ws:,.0f}   EEV "
             f"{'no plan' if result.eev is None else format(result.eev, ',.0f')}   "
             f"VSS {'—' if result.vss is None else format(result.vss, ',.0f')}   EVPI {result.evpi:,.0f}"]
    if result.sizes:
        lines.append("starting levels (t) and the expected saving of the last / next tonne, before size cost:")
        for s in result.sizes:
            last, following = _whole(s.marginal_value_last), _whole(s.marginal_value_next)
            lines.append(f"  {s.stockpile} / {s.material}: {s.level_t:,.2f} (from {s.initial_t:,.2f}); "
                         f"{last} / {following} vs size cost {s.size_cost:,.0f}")
    else:
        lines.append("no sizable stockpile rows: nothing to size (Stockpiles.sizable)")
    expected = result.expected_unmet()
    short = [(g, e) for g, e in zip(result.groups, expected) if e > 1e-6]
    lines.append("expected unmet demand (t): " + (", ".join(f"{group_label(g)} {e:,.1f}" for g, e in short)
                                                 if short else "none"))
    lines.append(f"result workbook: {out}")
    return "\n".join(lines)


def sweep_text(parameter: Parameter, points: list[Point], breakpoints, out) -> str:
    lines = [f"reeplan sweep: {parameter.sheet}.{parameter.column} ({parameter.operation}) over {len(points)} values"]
    for p in points[:: max(1, len(points) // 12)]:
        objective = "no plan" if p.objective is None else f"{p.objective:,.0f}"
        lines.append(f"  {p.value:g}: objective {objective}")
    if breakpoints is not None:
        lines.append(f"{len(breakpoints)} breakpoint(s):")
        for b in breakpoints[:12]:
            lines.append(f"  {b.value:.6g}: objective {b.objective:,.0f}, slope {_whole(b.slope_left)} → "
                         f"{_whole(b.slope_right)}; {'; '.join(b.changes[:3])}")
    lines.append(f"result workbook: {out}")
    return "\n".join(lines)

