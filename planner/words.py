"""Planner words for model rows, columns and numbers: which limit a row is, what a column does, and numbers
at a precision that fits them."""
from __future__ import annotations

import math

from models.compiled import CompiledModel
from models.plan import FAMILIES
from models.solve import variable_keys

LIMIT_WORDS = {
    "supply_capacity": "capacity of {source} for {material} in {period}",
    "min_take": "minimum take of {material} from {source} in {period}",
    "licence": "licence cap {source} / {material} / {period}{for_end_use}",
    "process_capacity": "capacity of process {process} in {period}",
    "stock_min": "floor of stockpile {stockpile} ({material}) in {period}",
    "stock_max": "ceiling of stockpile {stockpile} ({material}) in {period}",
    "stock_end": "end level of stockpile {stockpile} ({material})",
    "release_cap": "release limit of stockpile {stockpile} ({material}) in {period}",
    "acquire_cap": "acquisition limit of stockpile {stockpile} ({material}) in {period}",
    "size_cap": "size limit of stockpile {stockpile} ({material})",
    "initial_stock": "initial stock of stockpile {stockpile} ({material})",
    "balance": "supply of {material} ({channel} channel) in {period}",
    "demand": "demand of {sector} for {material} in {period}",
    "stock_balance": "stock balance of {stockpile} ({material}) in {period}",
}
LIMIT_KEYS = {"initial_stock": ("stockpile", "material")}
UNITS = {"process_capacity": "unit"}  # every other limit is in tonnes


def limit_unit(family: str) -> str:
    return UNITS.get(family, "t")


def describe_limit(family: str, keys: dict[str, str]) -> str:
    """E.g. 'licence cap China licensed / Tb oxide / 2027Q1', 'capacity of process US magnet making in 2027Q1'."""
    end_use = keys.get("end_use")
    return LIMIT_WORDS[family].format(for_end_use=f" for {end_use}" if end_use else "", **keys)


def tonnes(value: float | None) -> str:
    """A quantity at a precision that fits its magnitude: 0.044, 2.46, 930.7, 12,400."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if math.isinf(value):
        return "no limit" if value > 0 else "-no limit"
    size = abs(value)
    if size == 0:
        return "0"
    if size < 0.01:
        return f"{value:.2g}"
    if size < 1:
        return f"{value:.3f}"
    if size < 100:
        return f"{value:.2f}"
    if size < 10_000:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def money(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:,.0f}"


def share(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.1%}" if value == 0 or abs(value) >= 0.001 else f"{value:.2%}"


def period_span(periods: list[str], order: list[str]) -> str:
    """'2026Q1' or '2026Q1–2030Q4' (first and last in horizon order), '2026Q1, 2027Q3' if only two."""
    rank = {p: i for i, p in enumerate(order)}
    ps = sorted(set(periods), key=lambda p: rank.get(p, len(rank)))
    if len(ps) == 1:
        return ps[0]
    if len(ps) == 2:
        return f"{ps[0]}, {ps[1]}"
    return f"{ps[0]}–{ps[-1]}"


COLUMN_WORDS = {
    "buy": "purchase of {material} from {source} in {period}{for_end_use}",
    "short": "shortfall of {material} for {sector} in {period}",
    "run": "process {process} in channel {channel} in {period}",
    "level": "level of stockpile {stockpile} ({material}) in {period}",
    "acq": "acquisition into stockpile {stockpile} ({material}) in {period}",
    "rel": "release from stockpile {stockpile} ({material}) in {period}",
    "size": "added starting stock of {stockpile} ({material})",
}


class Namer:
    """Names every row and column of one compiled model."""

    def __init__(self, compiled: CompiledModel):
        self.compiled = compiled
        self._row_family = sorted((s.start, s.stop, name) for name, s in compiled.rows.items())
        self._col_family = sorted((s.start, s.stop, name) for name, s in compiled.columns.items())
        self._col_keys = variable_keys(compiled)

    def row(self, row: int) -> tuple[str, str]:
        """(family, words) of a row."""
        for start, stop, name in self._row_family:
            if start <= row < stop:
                key = self.compiled.row_keys[name][row - start]
                return name, describe_limit(name, dict(zip(FAMILIES[name].keys, key)))
        raise IndexError(row)

    def column(self, col: int) -> tuple[str, str]:
        """(variable family, words) of a column."""
        for start, stop, name in self._col_family:
            if start <= col < stop:
                keys, names = self._col_keys[name]
                values = dict(zip(names, keys[col - start]))
                template = COLUMN_WORDS.get(name, name + " {" + "} {".join(names) + "}")
                end_use = values.get("end_use")
                return name, template.format(for_end_use=f" for {end_use}" if end_use else "", **values)
        raise IndexError(col)
