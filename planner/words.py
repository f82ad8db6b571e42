"""Rows and columns of the LP in planner words ("licence cap China licensed / Tb oxide / 2027Q1")."""
from __future__ import annotations

from models.compiled import CompiledModel
from models.plan import FAMILIES
from models.solve import variable_keys

LIMIT_WORDS = {
    "balance": "balance of {material} in channel {channel} in {period}",
    "demand": "demand of {sector} for {material} in {period}",
    "supply_capacity": "capacity of {source} for {material} in {period}",
    "min_take": "minimum take of {material} from {source} in {period}",
    "licence": "licence cap {source} / {material} / {period}{end_use_text}",
    "process_capacity": "capacity of process {process} in {period}",
    "stock_balance": "stock of {stockpile} ({material}) in {period}",
    "stock_min": "floor of stockpile {stockpile} ({material}) in {period}",
    "stock_max": "ceiling of stockpile {stockpile} ({material}) in {period}",
    "stock_end": "end level of stockpile {stockpile} ({material})",
    "release_cap": "release limit of stockpile {stockpile} ({material}) in {period}",
    "acquire_cap": "acquisition limit of stockpile {stockpile} ({material}) in {period}",
    "size_cap": "size limit of stockpile {stockpile} ({material})",
}
COLUMN_WORDS = {
    "buy": "purchase of {material} from {source} in {period}{end_use_text}",
    "short": "shortfall of {material} for {sector} in {period}",
    "run": "process {process} in channel {channel} in {period}",
    "level": "level of stockpile {stockpile} ({material}) in {period}",
    "acq": "acquisition into stockpile {stockpile} ({material}) in {period}",
    "rel": "release from stockpile {stockpile} ({material}) in {period}",
    "size": "added starting stock of {stockpile} ({material})",
}


def _fill(template: str, names, key) -> str:
    values = dict(zip(names, key))
    end_use = values.get("end_use")
    return template.format(end_use_text=f" (for {end_use})" if end_use else "", **values)


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
                return name, _fill(LIMIT_WORDS[name], FAMILIES[name].keys, key)
        raise IndexError(row)

    def column(self, col: int) -> tuple[str, str]:
        """(variable family, words) of a column."""
        for start, stop, name in self._col_family:
            if start <= col < stop:
                keys, names = self._col_keys[name]
                template = COLUMN_WORDS.get(name, name + " {" + "} {".join(names) + "}")
                return name, _fill(template, names, keys[col - start])
        raise IndexError(col)
