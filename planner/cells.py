"""Parse one spreadsheet cell according to its schema column kind; raise CellError with a planner's message."""
from __future__ import annotations

import datetime as dt
import math
import re

from planner import schema as S
from planner.reader import NoSavedValue

EXCEL_ERRORS = {"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
                "#GETTING_DATA"}
TRUE_WORDS = {"true", "yes", "y", "1", "1.0"}
FALSE_WORDS = {"false", "no", "n", "0", "0.0"}
INFINITY_WORDS = {"inf", "infinity", "∞", "no limit"}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # no spreadsheet cell can hold these


class CellError(ValueError):
    """A cell that cannot be read as its column's kind."""


def as_name(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    return str(value).strip()


def _unreadable(value) -> None:
    if isinstance(value, NoSavedValue):
        raise CellError(f"formula {value.formula} has no saved value: open the workbook in Excel or "
                        "LibreOffice, save it, and run again")
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        raise CellError(f"Excel error value {value.strip().upper()}; expected a number")
    if isinstance(value, float) and math.isnan(value):
        raise CellError("NaN ('not a number', as a program may write it) is not a value")
    if isinstance(value, str) and (bad := CONTROL_CHARACTERS.search(value)):
        raise CellError(f"contains the control character U+{ord(bad.group()):04X}, which no spreadsheet cell can "
                        "hold: remove it")


def parse_number(value, *, allow_infinity=False) -> float:
    _unreadable(value)
    if isinstance(value, bool):
        raise CellError(f"{str(value).upper()} is not a number")
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer with hundreds of digits
            number = math.copysign(math.inf, value)
    else:
        text = str(value).strip()
        if allow_infinity and text.lower() in INFINITY_WORDS:
            return S.INF
        if "," in text:
            raise CellError(f"'{text}' is not a number (write it without thousands separators or commas)")
        try:
            number = float(text) if "_" not in text else math.nan
        except ValueError:
            number = math.nan
        if math.isnan(number):
            raise CellError(f"'{text}' is not a number")
    if math.isinf(number):
        if allow_infinity and number > 0:
            return S.INF
        raise CellError(f"{value} is infinite; expected a finite number" +
                        (" (leave the cell blank for no limit)" if allow_infinity else ""))
    if abs(number) > S.MAX_MAGNITUDE:
        raise CellError(f"{number:g} is beyond ±{S.MAX_MAGNITUDE:g}, the largest magnitude reeplan accepts" +
                        (" (leave the cell blank for no limit)" if allow_infinity else ""))
    return number


def parse_bool(value) -> bool:
    _unreadable(value)
    if isinstance(value, bool):
        return value
    text = as_name(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(f"'{value}' is not a boolean (use TRUE/FALSE, yes/no, y/n or 1/0)")


def parse_cell(column: S.Column, value):
    """Parse one non-blank cell according to its column's kind."""
    kind = column.kind
    if kind in (S.ID, S.REF, S.PERIOD, S.TEXT):
        _unreadable(value)
        return as_name(value)
    if kind == S.REF_LIST:
        _unreadable(value)
        return tuple(part.strip() for part in as_name(value).split(";") if part.strip())
    if kind == S.BOOL:
        return parse_bool(value)
    if kind == S.CHOICE:
        _unreadable(value)
        text = as_name(value).lower()
        if text not in column.choices:
            raise CellError(f"'{value}' is not one of {', '.join(column.choices)}")
        return text
    if kind == S.VALUE:
        _unreadable(value)
        return value
    number = parse_number(value, allow_infinity=column.default == S.INF)
    if kind == S.NUMBER:
        return number
    if kind == S.RATE and not 0 <= number <= 1:
        raise CellError(f"{value} is outside [0, 1]")
    if number < 0:
        raise CellError(f"{value} is negative; expected a number >= 0")
    if kind == S.FACTOR and number == 0:
        raise CellError("0 is not allowed; expected a number > 0")
    if kind == S.COUNT and not number.is_integer():
        raise CellError(f"{value} is not a whole number")
    return int(number) if kind == S.COUNT else number
