"""Problems found in an input, and the error that carries them to the command line."""
from __future__ import annotations

import difflib
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One input problem, located as a planner sees it in Excel (sheet, row number, column)."""

    sheet: str
    row: int | None
    column: str | None
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}"
        prefix = "warning: " if self.severity == WARNING else ""
        return f"{prefix}{where}: {self.message}"


class InputError(Exception):
    """The input cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == ERROR]
        self.warnings = [p for p in problems if p.severity == WARNING]
        super().__init__("\n".join(str(p) for p in self.problems))


def _rows_text(rows: list[int]) -> str:
    """'row 7' or 'rows 2–5, 9'."""
    rows = sorted(set(rows))
    parts, start, prev = [], rows[0], rows[0]
    for r in rows[1:] + [None]:
        if r is not None and r == prev + 1:
            prev = r
            continue
        parts.append(f"{start}" if start == prev else f"{start}–{prev}")
        if r is not None:
            start = prev = r
    return ("rows " if len(rows) > 1 else "row ") + ", ".join(parts)


def grouped(problems: list[Problem]) -> list[str]:
    """One line per distinct (severity, sheet, column, message), listing every row it occurs on, in first-seen order.

    `Supply rows 2–25, column material: unknown material 'nope'` instead of 24 lines."""
    groups: dict[tuple, list[int | None]] = {}
    for p in problems:
        groups.setdefault((p.severity, p.sheet, p.column, p.message), []).append(p.row)
    lines = []
    for (severity, sheet, column, message), rows in groups.items():
        numbered = [r for r in rows if r is not None]
        if len(numbered) <= 1:
            lines.append(str(Problem(sheet, numbered[0] if numbered else None, column, message, severity)))
            continue
        where = f"{sheet} {_rows_text(numbered)}" + (f", column {column}" if column else "")
        lines.append(f"{'warning: ' if severity == WARNING else ''}{where}: {message}")
    return lines


def did_you_mean(word: str, options, cutoff: float = 0.75) -> str:
    """' (did you mean 'Supply'?)' when `word` is close to one of `options` (case-insensitive), else ''."""
    by_fold = {str(o).casefold(): str(o) for o in options}
    close = difflib.get_close_matches(str(word).strip().casefold(), list(by_fold), n=1, cutoff=cutoff)
    return f" (did you mean '{by_fold[close[0]]}'?)" if close else ""


class NoPlan(Exception):
    """The user's hard limits contradict each other; the message lists the limits that cannot hold together."""

    def __init__(self, message: str, conflicts: list | None = None):
        self.conflicts = conflicts or []
        super().__init__(message)
