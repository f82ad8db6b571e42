"""Scenario overrides (SPEC §5): change the normalised base tables, row by row, in order.

An Overrides row for scenario S says: in sheet `sheet`, on the rows matching every non-blank key
(a key cell may list several values with `;`), apply `operation` (set, scale or add) with `value` to
`column`. The base case has no overrides.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from models.data import PlanData
from planner import schema as S
from planner.schema import BASE
from planner.issues import WARNING, InputError, Problem, did_you_mean
from planner.cells import CellError, parse_cell, parse_number

KEY_COLUMNS = ("source", "material", "sector", "period", "process", "stockpile", "licence", "end_use")
NUMERIC = (S.QUANTITY, S.RATE, S.COUNT, S.FACTOR, S.NUMBER)


UNCHANGEABLE_SHEETS = ("Overrides", "Scenarios", "Uncertainty")


def change_target(sheet_name: str, row: int, r: dict, *, numeric_only: bool, who: str,
                  problems: list[Problem]) -> tuple[S.Sheet, S.Column] | None:
    """The sheet and column a change row (Overrides, Uncertainty) names, or None with the problem recorded."""
    target = next((s for s in S.SHEETS if s.name.lower() == r["sheet"].strip().lower()), None)
    if target is None or target.name in UNCHANGEABLE_SHEETS:
        changeable_sheets = [s.name for s in S.SHEETS if s.name not in UNCHANGEABLE_SHEETS]
        problems.append(Problem(sheet_name, row, "sheet", f"'{r['sheet']}' is not a sheet {who} can change"
                                + did_you_mean(r["sheet"], changeable_sheets)))
        return None
    column = target.column(r["column"].strip().lower())
    if column is None or column.kind in (S.ID, S.REF, S.PERIOD, S.REF_LIST) or column.key or \
            (numeric_only and column.kind not in NUMERIC):
        what = "numeric column" if numeric_only else "column"
        changeable = [c.name for c in target.columns if c.kind not in (S.ID, S.REF, S.PERIOD, S.REF_LIST)
                      and not c.key and (not numeric_only or c.kind in NUMERIC)]
        problems.append(Problem(sheet_name, row, "column",
                                f"'{r['column']}' is not a {what} of {target.name} {who} can change"
                                + did_you_mean(r["column"], changeable)))
        column = None
    for key in KEY_COLUMNS:
        if isinstance(r.get(key), tuple) and r[key] and target.column(key) is None:
            problems.append(Problem(sheet_name, row, key, f"sheet {target.name} has no column {key} to match on"))
    return (target, column) if column is not None else None


def check_override_rows(rows: list[tuple[int, dict]]) -> list[Problem]:
    """Problems in Overrides rows that can be found without applying them."""
    problems: list[Problem] = []
    for row, r in rows:
        found = change_target("Overrides", row, r, numeric_only=False, who="an override", problems=problems)
        if found is not None:
            try:
                override_value(found[1], r["operation"], r["value"])
            except CellError as exc:
                problems.append(Problem("Overrides", row, "value", str(exc)))
    return problems


def override_value(column: S.Column, operation: str, value):
    if operation == "set":
        return parse_cell(column, value)
    if column.kind not in NUMERIC:
        raise CellError(f"{operation} needs a numeric column; {column.name} is not")
    return parse_number(value)


@dataclass(frozen=True)
class Change:
    """One change like an override row: in `sheet`, on the rows matching every key filter (a filter lists
    accepted values), apply `operation` (set, scale or add) with `value` to `column`."""

    sheet: str
    column: str
    operation: str
    value: object
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def schema_column(self) -> S.Column:
        return S.SHEET_BY_NAME[self.sheet].column(self.column)


def matching_rows(table: pd.DataFrame, keys: dict[str, tuple[str, ...]]) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for key, accepted in keys.items():
        if accepted:
            mask &= table[key].isin(accepted)
    return mask


def apply_change(data: PlanData, change: Change) -> pd.Series:
    """Apply `change` to `data` in place; return the mask of the rows it changed."""
    table = data.tables[change.sheet]
    mask = matching_rows(table, change.keys)
    if mask.any():
        name = change.column
        if change.operation == "set":
            table.loc[mask, name] = change.value
        elif change.operation == "scale":
            table.loc[mask, name] = table.loc[mask, name].astype(float) * change.value
        else:
            table.loc[mask, name] = table.loc[mask, name].astype(float) + change.value
    return mask


def invalid_result(values: pd.Series, column: S.Column) -> str | None:
    """Why a changed column is no longer valid (e.g. a rate scaled above 1), or None."""
    if column.kind not in NUMERIC:
        return None
    for v in values:
        try:
            parse_cell(column, v)
        except CellError as exc:
            return f"makes {column.name} invalid: {exc}"
    return None


def override_change(row: dict) -> Change:
    """The Change an Overrides row (validated) describes."""
    target = next(s for s in S.SHEETS if s.name.lower() == row["sheet"].strip().lower())
    column = target.column(row["column"].strip().lower())
    keys = {key: row[key] for key in KEY_COLUMNS if isinstance(row.get(key), tuple) and row[key]}
    return Change(target.name, column.name, row["operation"], override_value(column, row["operation"], row["value"]),
                  keys)


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
        change = override_change(r)
        mask = apply_change(out, change)
        if not mask.any():
            problems.append(Problem("Overrides", r["_row"], None,
                                    f"scenario {scenario}: matches no row of {change.sheet}", WARNING))
            continue
        message = invalid_result(out.tables[change.sheet].loc[mask, change.column], change.schema_column)
        if message:
            problems.append(Problem("Overrides", r["_row"], "value", message))
    if any(p.severity != WARNING for p in problems):
        raise InputError(problems)
    return out, problems
