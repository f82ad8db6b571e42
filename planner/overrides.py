"""Scenario overrides (SPEC §5): change the normalised base tables, row by row, in order.

An Overrides row for scenario S says: in sheet `sheet`, on the rows matching every non-blank key
(a key cell may list several values with `;`), apply `operation` (set, scale or add) with `value` to
`column`. The base case has no overrides.
"""
from __future__ import annotations

import pandas as pd

from models.data import PlanData
from planner import schema as S
from planner.issues import WARNING, InputError, Problem, did_you_mean
from planner.cells import CellError, parse_cell, parse_number

KEY_COLUMNS = ("source", "material", "sector", "period", "process", "stockpile", "licence", "end_use")
NUMERIC = (S.QUANTITY, S.RATE, S.COUNT, S.FACTOR, S.NUMBER)
BASE = "base"


def check_override_rows(rows: list[tuple[int, dict]]) -> list[Problem]:
    """Problems in Overrides rows that can be found without applying them."""
    problems = []
    sheet_names = {s.name.lower(): s for s in S.SHEETS}

    def error(row, column, message):
        problems.append(Problem("Overrides", row, column, message))

    for row, r in rows:
        target = sheet_names.get(r["sheet"].strip().lower())
        changeable_sheets = [s.name for s in S.SHEETS if s.name not in ("Overrides", "Scenarios")]
        if target is None or target.name in ("Overrides", "Scenarios"):
            error(row, "sheet", f"'{r['sheet']}' is not a sheet an override can change"
                  + did_you_mean(r["sheet"], changeable_sheets))
            continue
        column = target.column(r["column"].strip().lower())
        if column is None or column.kind in (S.ID, S.REF, S.PERIOD, S.REF_LIST) or column.key:
            changeable = [c.name for c in target.columns
                          if c.kind not in (S.ID, S.REF, S.PERIOD, S.REF_LIST) and not c.key]
            error(row, "column", f"'{r['column']}' is not a column of {target.name} an override can change"
                  + did_you_mean(r["column"], changeable))
        else:
            try:
                override_value(column, r["operation"], r["value"])
            except CellError as exc:
                error(row, "value", str(exc))
        for key in KEY_COLUMNS:
            if isinstance(r.get(key), tuple) and r[key] and target.column(key) is None:
                error(row, key, f"sheet {target.name} has no column {key} to match on")
    return problems


def override_value(column: S.Column, operation: str, value):
    if operation == "set":
        return parse_cell(column, value)
    if column.kind not in NUMERIC:
        raise CellError(f"{operation} needs a numeric column; {column.name} is not")
    return parse_number(value)


def apply_scenario(data: PlanData, scenario: str) -> tuple[PlanData, list[Problem]]:
    """A copy of `data` with the scenario's overrides applied; warnings for rows that match nothing."""
    if scenario == BASE and scenario not in set(data["Scenarios"]["scenario"]):
        return data, []
    names = {s.casefold(): s for s in data["Scenarios"]["scenario"]}
    if scenario.casefold() not in names:
        known = ", ".join(names.values()) or "none"
        raise InputError([Problem("Scenarios", None, "scenario", f"unknown scenario '{scenario}'"
                                  + (did_you_mean(scenario, names.values()) or f" (known: {known})"))])
    scenario = names[scenario.casefold()]
    out = data.copy()
    problems = []
    overrides = data["Overrides"]
    for r in overrides[overrides["scenario"] == scenario].to_dict("records"):
        target = next(s for s in S.SHEETS if s.name.lower() == r["sheet"].strip().lower())
        column = target.column(r["column"].strip().lower())
        table = out.tables[target.name]
        mask = pd.Series(True, index=table.index)
        for key in KEY_COLUMNS:
            if isinstance(r.get(key), tuple) and r[key]:
                mask &= table[key].isin(r[key])
        if not mask.any():
            problems.append(Problem("Overrides", r["_row"], None,
                                    f"scenario {scenario}: matches no row of {target.name}", WARNING))
            continue
        value = override_value(column, r["operation"], r["value"])
        if r["operation"] == "set":
            table.loc[mask, column.name] = value
        elif r["operation"] == "scale":
            table.loc[mask, column.name] = table.loc[mask, column.name].astype(float) * value
        else:
            table.loc[mask, column.name] = table.loc[mask, column.name].astype(float) + value
        problems += _check_result(table.loc[mask, column.name], column, r["_row"])
    if any(p.severity != WARNING for p in problems):
        raise InputError(problems)
    return out, problems


def _check_result(values: pd.Series, column: S.Column, row: int) -> list[Problem]:
    """An override may not take a value outside what its column allows (e.g. scale a rate above 1)."""
    if column.kind not in NUMERIC:
        return []
    for v in values:
        try:
            parse_cell(column, v)
        except CellError as exc:
            return [Problem("Overrides", row, "value", f"makes {column.name} invalid: {exc}")]
    return []
