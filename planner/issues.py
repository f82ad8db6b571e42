"""Problems found in an input, and the error that carries them to the command line."""
from __future__ import annotations

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
