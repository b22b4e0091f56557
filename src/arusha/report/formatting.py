"""Number formats a reader without statistics training can read at a glance.

Every formatter takes one value (a number, a date, a string or a missing value) and returns text;
a missing value (None, NaN, NaT) is shown as an en dash. `fmt(value, kind)` picks one by name,
which lets a table describe its columns as data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

MISSING = "–"


def is_missing(value: Any) -> bool:
    """True for None, NaN and NaT (which, alone among values, differ from themselves)."""
    try:
        return value is None or bool(value != value)
    except (TypeError, ValueError):
        return False


def fmt_text(value: Any) -> str:
    return MISSING if is_missing(value) or value == "" else str(value)


def fmt_int(value: Any) -> str:
    return MISSING if is_missing(value) else f"{round(value):,}"


def fmt_num(value: Any, digits: int = 1) -> str:
    return MISSING if is_missing(value) else f"{value:,.{digits}f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A share between 0 and 1 as a percentage: 0.1234 → '12.3%'."""
    return MISSING if is_missing(value) else f"{100 * value:.{digits}f}%"


def fmt_hours(value: Any) -> str:
    """A duration in hours, in the unit a person would use: '40 min', '5.2 h', '3.1 days'."""
    if is_missing(value):
        return MISSING
    if value < 1:
        return f"{60 * value:.0f} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def fmt_date(value: Any) -> str:
    """A date (or the date of a timestamp) as YYYY-MM-DD."""
    if is_missing(value):
        return MISSING
    return value.strftime("%Y-%m-%d") if isinstance(value, dt.date) else str(value)


def fmt_datetime(value: Any) -> str:
    """A timestamp to the minute, as YYYY-MM-DD HH:MM."""
    if is_missing(value):
        return MISSING
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return fmt_date(value)


def counted(n: Any, noun: str, plural: str | None = None) -> str:
    """'1 problem', '1,204 problems': a number with its noun, in the right form."""
    return f"{fmt_int(n)} {noun if n == 1 else plural or noun + 's'}"


FORMATS: dict[str, Callable[[Any], str]] = {
    "text": fmt_text,
    "int": fmt_int,
    "num": fmt_num,
    "pct": fmt_pct,
    "hours": fmt_hours,
    "date": fmt_date,
    "datetime": fmt_datetime,
}

NUMERIC_KINDS = frozenset({"int", "num", "pct", "hours"})


def fmt(value: Any, kind: str = "text") -> str:
    """Format `value` as `kind`, one of the keys of `FORMATS`."""
    return FORMATS[kind](value)
