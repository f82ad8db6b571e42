"""Validate raw tables against the schema and normalise them (SPEC §2).

Every problem is collected in one pass and reported with sheet, Excel row and column. A valid input
becomes a `PlanData`: typed tables with `*` periods expanded (a specific period overriding the `*`
row), names spelled as in the sheet that defines them, and defaults filled in.
"""
from __future__ import annotations

import pandas as pd

from models.data import PlanData
from planner import schema as S
from planner.issues import WARNING, Problem, did_you_mean
from planner.overrides import check_override_rows
from planner.studies.sampling import check_uncertainty_rows
from planner.cells import CellError, as_name, parse_cell
from planner.reader import RawInput, RawTable

SETTING_KINDS = {"name": S.TEXT, "currency": S.TEXT, "discount_rate": S.NUMBER, "risk_weight": S.QUANTITY,
                 "cvar_alpha": S.RATE, "branch_period": S.PERIOD}
PROBABILITY_TOLERANCE = 1e-6


# ---------------------------------------------------------------- validation

class _Validator:
    def __init__(self, raw: RawInput):
        self.raw = raw
        self.problems: list[Problem] = list(raw.problems)  # found while reading (duplicates, encodings)
        self.rows: dict[str, list[tuple[int, dict]]] = {}
        self.names: dict[str, dict[str, str]] = {}  # sheet -> casefolded name -> name as defined
        self.rejected: dict[str, set[str]] = {}  # sheet -> casefolded names of rows rejected for other reasons

    def error(self, sheet, row, column, message):
        self.problems.append(Problem(sheet, row, column, message))

    def warn(self, sheet, row, column, message):
        self.problems.append(Problem(sheet, row, column, message, WARNING))

    # -- structure and cells
    def check_structure(self):
        absent = [s.name for s in S.SHEETS if s.name not in self.raw.tables]
        for name in getattr(self.raw, "ignored", []):
            hint = did_you_mean(name, absent)
            if hint:
                self.warn(name, None, None, f"this sheet is not read: no input sheet has this name{hint}")
        for sheet in S.SHEETS:
            table = self.raw.tables.get(sheet.name)
            if table is None:
                if sheet.required:
                    hint = did_you_mean(sheet.name, getattr(self.raw, "ignored", []))
                    self.error(sheet.name, None, None, "required sheet is missing" + (
                        hint.replace("did you mean", "is it the sheet") if hint else ""))
                continue
            present = set(table.headers)
            missing = [c.name for c in sheet.columns if c.required and c.name not in present]
            known = {c.name for c in sheet.columns} | set(S.SILENT_COLUMNS)
            unknown = [header for key, header in table.headers.items() if key not in known]
            for name in missing:
                hint = did_you_mean(name, unknown)
                self.error(sheet.name, 1, name, "required column is missing" + (
                    hint.replace("did you mean", "is it column") if hint else ""))
            for header in unknown:
                self.warn(sheet.name, 1, header, "unknown column is ignored" + did_you_mean(
                    header, [c.name for c in sheet.columns if c.name not in present]))
            if not missing:
                self.rows[sheet.name] = self._parse_rows(sheet, table)
                if sheet.required and not table.rows and sheet.name != "Periods":
                    self.error(sheet.name, 2, None, "the sheet has no rows: it is required and must list at "
                               "least one " + (sheet.id_column or sheet.columns[0]).name)

    def _parse_rows(self, sheet: S.Sheet, table: RawTable):
        parsed = []
        for row, cells in table.rows:
            record, ok = {}, True
            for column in sheet.columns:
                value = cells.get(column.name)
                if value is None:
                    if column.required:
                        self.error(sheet.name, row, column.name, "required value is missing")
                        ok = False
                    record[column.name] = S.ALL_PERIODS if column.kind == S.PERIOD else column.default
                    continue
                try:
                    record[column.name] = parse_cell(column, value)
                except CellError as exc:
                    self.error(sheet.name, row, column.name, str(exc))
                    ok = False
            if ok:
                parsed.append((row, record))
            elif sheet.id_column is not None and isinstance(record.get(sheet.id_column.name), str):
                # the row is rejected, but its name exists: references to it are not reported again
                self.rejected.setdefault(sheet.name, set()).add(record[sheet.id_column.name].casefold())
        return parsed

    # -- names and references
    def register_names(self):
        """Collect the names each defining sheet declares (case-insensitive)."""
        for sheet in S.SHEETS:
            id_column = sheet.id_column
            if id_column is None or sheet.name not in self.rows:
                continue
            names = self.names.setdefault(sheet.name, {})
            for _, record in self.rows[sheet.name]:
                names.setdefault(record[id_column.name].casefold(), record[id_column.name])
            if sheet.name == "Periods":
                for row, record in self.rows[sheet.name]:
                    if record["period"] == S.ALL_PERIODS:
                        self.error("Periods", row, "period", "'*' cannot name a period")

    def resolve_references(self):
        """Spell every reference as its defining sheet does; report names that refer to nothing."""
        licence_names = {r["licence"].casefold(): r["licence"] for _, r in self.rows.get("Licences", [])
                         if r.get("licence")}
        for sheet in S.SHEETS:
            for row, record in self.rows.get(sheet.name, []):
                for column in sheet.columns:
                    if column.kind not in (S.REF, S.PERIOD, S.REF_LIST) or record[column.name] in (None, S.ALL_PERIODS):
                        continue
                    names = licence_names if column.refers_to == "Licences" else self.names.get(column.refers_to)
                    if names is None:
                        if column.refers_to in self.rows or column.refers_to == "Licences":
                            names = {}
                        else:
                            continue  # the defining sheet is missing or broken: reported already
                    values = record[column.name] if column.kind == S.REF_LIST else (record[column.name],)
                    resolved = []
                    for value in values:
                        if value.casefold() in names:
                            resolved.append(names[value.casefold()])
                        elif value.casefold() in self.rejected.get(column.refers_to, ()):
                            resolved.append(value)  # its own row is rejected and reported: no cascade
                        else:
                            what = column.refers_to[:-1].lower() if column.refers_to != "Processes" else "process"
                            self.error(sheet.name, row, column.name,
                                       f"unknown {what} '{value}' (not on sheet {column.refers_to})"
                                       + ("" if column.kind == S.PERIOD else did_you_mean(value, names.values())))
                    record[column.name] = tuple(resolved) if column.kind == S.REF_LIST else (
                        resolved[0] if resolved else record[column.name])

    def normalise_lists(self):
        """A licence's end_use (and an override's end_use filter) as one `;`-joined text in Sectors order."""
        order = {name: i for i, name in enumerate(self.names.get("Sectors", {}).values())}

        def canonical(sectors) -> str:
            return ";".join(sorted(set(sectors or ()), key=lambda k: order.get(k, len(order))))

        for _, record in self.rows.get("Licences", []):
            record["end_use"] = canonical(record["end_use"])
        for sheet in ("Overrides", "Uncertainty"):
            for _, record in self.rows.get(sheet, []):
                if record.get("end_use"):
                    record["end_use"] = (canonical(record["end_use"]),)

    # -- rules across cells and rows
    def check_rules(self):
        if "Periods" in self.rows and not self.rows["Periods"]:
            self.error("Periods", 2, "period", "no periods: list the planning periods, one per row")
        controlled = {r["source"] for _, r in self.rows.get("Sources", []) if r["controlled"]}
        export_controlled = {r["material"] for _, r in self.rows.get("Materials", []) if r["export_controlled"]}
        for row, r in self.rows.get("Supply", []):
            if r["min_take_t"] > r["capacity_t"]:
                self.error("Supply", row, "min_take_t",
                           f"min_take_t {r['min_take_t']:g} is above capacity_t {r['capacity_t']:g}")
        licensed = set()
        for row, r in self.rows.get("Licences", []):
            licensed.add((r["source"], r["material"]))
            if r["source"] in self.names.get("Sources", {}).values() and r["source"] not in controlled:
                self.error("Licences", row, "source",
                           f"source '{r['source']}' is not controlled (Sources.controlled): it needs no licence")
            elif r["material"] in self.names.get("Materials", {}).values() and r["material"] not in export_controlled:
                self.warn("Licences", row, "material",
                          f"material '{r['material']}' is not export-controlled: this licence limits nothing")
        self._check_end_uses()
        warned = set()
        for row, r in self.rows.get("Supply", []):
            pair = (r["source"], r["material"])
            if (r["source"] in controlled and r["material"] in export_controlled and pair not in licensed
                    and pair not in warned):
                warned.add(pair)
                self.warn("Supply", row, "source",
                          f"no licence for export-controlled '{r['material']}' from controlled '{r['source']}': "
                          "its licence cap is 0, nothing can be bought")
        self._check_stockpiles()
        self._check_settings()
        self._check_probabilities()
        self.problems += check_override_rows(self.rows.get("Overrides", []))
        self.problems += check_uncertainty_rows(self.rows.get("Uncertainty", []))

    def _accepting(self) -> set[str]:
        return {r["sector"] for _, r in self.rows.get("Sectors", []) if r["accepts_controlled"]}

    def _check_end_uses(self):
        """SPEC §3: E = end_use ∩ accepting sectors; a refusing sector is a warning, an empty E an error."""
        if "Sectors" not in self.rows:
            return
        accepting = self._accepting()
        for row, r in self.rows.get("Licences", []):
            listed = [k for k in r["end_use"].split(";") if k]
            refusing = [k for k in listed if k not in accepting]
            if listed and len(refusing) == len(listed):
                self.error("Licences", row, "end_use", f"no sector in end_use '{r['end_use']}' accepts controlled "
                           "supply: the licence could serve nobody")
            elif refusing:
                self.warn("Licences", row, "end_use", f"{', '.join(refusing)} refuse(s) controlled supply: "
                          "the licence cannot serve them")

    def _check_stockpiles(self):
        """One reserved_for and one origin per stockpile; a reserved stock must be usable by some sector."""
        accepting = self._accepting()
        first_row = {}
        for row, r in self.rows.get("Stockpiles", []):
            if not r["sizable"] and r["initial_t"] > r["max_size_t"]:
                self.error("Stockpiles", row, "initial_t", f"initial_t {r['initial_t']:g} is above max_size_t "
                           f"{r['max_size_t']:g} and the row is not sizable")
            sectors = frozenset(r["reserved_for"] or ())
            first = first_row.setdefault(r["stockpile"], (row, r))
            if first[1] is not r:
                earlier = first[1]
                if frozenset(earlier["reserved_for"] or ()) != sectors:
                    self.error("Stockpiles", row, "reserved_for", f"stockpile '{r['stockpile']}' is reserved for "
                               f"different sectors on row {first[0]}: every row of a stockpile needs the same "
                               "reserved_for")
                if earlier["origin"] != r["origin"]:
                    self.error("Stockpiles", row, "origin", f"stockpile '{r['stockpile']}' has origin "
                               f"{earlier['origin']} on row {first[0]}: a stockpile has one origin")
                continue
            if sectors and "Sectors" in self.rows and r["origin"] == S.CHANNEL_CONTROLLED and not sectors & accepting:
                self.error("Stockpiles", row, "reserved_for",
                           f"stockpile '{r['stockpile']}' holds controlled material (origin controlled) and is "
                           f"reserved for {', '.join(sorted(sectors))}, which refuse(s) controlled supply: "
                           "no sector could ever draw on it")

    def _check_settings(self):
        for row, r in self.rows.get("Settings", []):
            kind = SETTING_KINDS[r["key"]]
            if kind == S.TEXT:
                r["value"] = as_name(r["value"])
                continue
            if kind == S.PERIOD:
                periods = self.names.get("Periods", {})
                name = as_name(r["value"])
                r["value"] = periods.get(name.casefold(), name)
                if periods and name.casefold() not in periods:
                    self.error("Settings", row, "value", f"branch_period: unknown period '{name}' (not on sheet Periods)")
                continue
            try:
                r["value"] = parse_cell(S.Column(r["key"], kind, ""), r["value"])
            except CellError as exc:
                self.error("Settings", row, "value", f"{r['key']}: {exc}")
                continue
            if r["key"] == "discount_rate" and r["value"] <= -1:
                self.error("Settings", row, "value", "discount_rate must be above -1")

    def _check_probabilities(self):
        rows = self.rows.get("Scenarios", [])
        given = [r["probability"] for _, r in rows if r["probability"] is not None]
        blanks = [r for _, r in rows if r["probability"] is None]
        if not rows or len(blanks) == len(rows):
            for r in blanks:
                r["probability"] = 1 / len(rows)
            return
        rest = 1 - sum(given)
        if (blanks and rest < -PROBABILITY_TOLERANCE) or (not blanks and abs(rest) > PROBABILITY_TOLERANCE):
            self.error("Scenarios", rows[0][0], "probability",
                       f"probabilities sum to {sum(given):.6g}; they must sum to 1")
        for r in blanks:
            r["probability"] = max(rest, 0) / len(blanks)

    # -- keys and periods
    def expand(self) -> dict[str, pd.DataFrame]:
        periods = [r["period"] for _, r in self.rows.get("Periods", [])]
        tables = {}
        for sheet in S.SHEETS:
            if not sheet.key_columns:  # Overrides: every row counts, in order
                rows = [dict(r, _row=row) for row, r in self.rows.get(sheet.name, [])]
            else:
                rows = self._unique_rows(sheet, periods)
            columns = [c.name for c in sheet.columns] + ["_row"]
            tables[sheet.name] = pd.DataFrame(rows, columns=columns)
        return tables

    def _unique_rows(self, sheet: S.Sheet, periods: list[str]) -> list[dict]:
        """Rows with `*` periods expanded (a specific period overrides `*`); duplicate keys reported."""
        has_period = sheet.period_column is not None
        keys = [k for k in sheet.key_columns if not (has_period and k == "period")]
        every, specific = {}, {}  # key -> (row, record); (key, period) -> (row, record)
        for row, record in self.rows.get(sheet.name, []):
            key = tuple(record[k].casefold() if isinstance(record[k], str) else record[k] for k in keys)
            if has_period and record["period"] == S.ALL_PERIODS:
                target, slot = every, key
            else:
                target, slot = specific, (key, record["period"] if has_period else None)
            if slot in target:
                what = ", ".join(sheet.key_columns)
                self.error(sheet.name, row, keys[0], f"duplicate of row {target[slot][0]} (same {what})")
                continue
            target[slot] = (row, record)
        out = [dict(record, period=p, _row=row)
               for key, (row, record) in every.items() for p in periods if (key, p) not in specific]
        out += [dict(record, _row=row) for row, record in specific.values()]
        if has_period:
            order = {p: i for i, p in enumerate(periods)}
            out.sort(key=lambda r: (order.get(r["period"], -1), r["_row"]))
        return out


def validate(raw: RawInput) -> tuple[PlanData | None, list[Problem]]:
    """Check a raw input; return the normalised data (None if any error) and every problem found."""
    v = _Validator(raw)
    v.check_structure()
    v.register_names()
    v.resolve_references()
    v.normalise_lists()
    v.check_rules()
    tables = v.expand()
    problems = defining_sheets_first(v.problems)
    if any(p.severity != WARNING for p in problems):
        return None, problems
    settings = {r["key"]: r["value"] for _, r in v.rows.get("Settings", [])}
    data = PlanData(tables=tables, settings=settings)
    problems = problems + _discount_problems(data, v.rows)
    if any(p.severity != WARNING for p in problems):
        return None, problems
    return data, problems


def _discount_problems(data: PlanData, rows: dict[str, list[tuple[int, dict]]]) -> list[Problem]:
    """Discount factors above MAX_DISCOUNT_FACTOR (given, or from a discount_rate near -1) are refused:
    factor × price must stay far below the solver's infinity."""
    rate_row = next((row for row, r in rows.get("Settings", []) if r["key"] == "discount_rate"), None)
    limit = f"{S.MAX_DISCOUNT_FACTOR:g}"
    try:
        factors = list(data.discount_factors().items())
    except OverflowError:
        return [Problem("Settings", rate_row, "value", f"discount_rate makes the discount factors of later periods "
                                                       f"overflow; they may not exceed {limit}")]
    problems, computed = [], []
    for (row, r), (period, factor) in zip(rows.get("Periods", []), factors):
        if factor > S.MAX_DISCOUNT_FACTOR and r["discount_factor"] is not None:
            problems.append(Problem("Periods", row, "discount_factor", f"{factor:g} is above {limit}, the largest "
                                                                       "discount factor reeplan accepts"))
        elif factor > S.MAX_DISCOUNT_FACTOR:
            computed.append(f"{period}: {factor:g}")
    if computed:
        problems.append(Problem("Settings", rate_row, "value", f"discount_rate makes discount factors above {limit}, "
                                                               f"the largest reeplan accepts ({computed[0]})"))
    return problems


# Sheets that define names come first: a problem there (a duplicate period, a rejected sector) is the root cause
# of what other sheets then say about them.
_RANK = {name: i for i, name in enumerate(
    ["Settings"] + [s.name for s in S.SHEETS if s.id_column is not None]
    + [s.name for s in S.SHEETS if s.id_column is None and s.name != "Settings"])}


def defining_sheets_first(problems: list[Problem]) -> list[Problem]:
    """Problems ordered by sheet (defining sheets first, then the sheets that refer to them), each sheet by row."""
    return sorted(problems, key=lambda p: (_RANK.get(p.sheet, -1), p.row if p.row is not None else -1))
