"""Time arithmetic on epoch seconds and day numbers, and when each office is open.

Times are int64 seconds since 1970-01-01 (local time, no zone), days are day numbers since
then; -1 stands for "no time". Keeping them as plain integers keeps every step vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from arusha.simulate.config import Office

DAY = 86_400
HOUR = 3_600
MINUTE = 60
NO_TIME = -1
OPEN_END = 10**6  # day number standing for "posting still current"
# Public holidays (month, day) on which offices that do not work every day are closed.
HOLIDAYS = ((1, 1), (4, 7), (5, 1), (7, 7), (12, 9), (12, 25), (12, 26))
EPOCH = date(1970, 1, 1)
HEADQUARTERS_DAYS = "1111100"
HEADQUARTERS_HOURS = (8, 17)


@dataclass(frozen=True)
class Span:
    """The simulated period, as day numbers (inclusive)."""

    first_day: int
    last_day: int


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_date(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


def clock_text(t: int) -> str:
    """A time as `YYYY-MM-DD HH:MM`, for sentences."""
    return f"{day_date(t // DAY).isoformat()} {t % DAY // HOUR:02d}:{t % HOUR // MINUTE:02d}"


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


def add_months(d: date, months: int) -> date:
    year, month = divmod(d.month - 1 + months, 12)
    return date(d.year + year, month + 1, 1)


class Calendar:
    """Opening days and hours of every office; index len(offices) is headquarters."""

    def __init__(self, offices: tuple[Office, ...], first_day: int, last_day: int) -> None:
        open_days = [o.open_days for o in offices] + [HEADQUARTERS_DAYS]
        hours = [o.hours for o in offices] + [HEADQUARTERS_HOURS]
        self.open_days = np.array([[c == "1" for c in days] for days in open_days])
        self.open_hour = np.array([h[0] for h in hours])
        self.close_hour = np.array([h[1] for h in hours])
        self.closes_on_holidays = np.array([days != "1111111" for days in open_days])
        years = range(day_date(first_day).year, day_date(last_day).year + 1)
        self.holidays = np.array(
            sorted(day_number(date(y, m, d)) for y in years for m, d in HOLIDAYS)
        )

    def open_on(self, office: np.ndarray, day: np.ndarray) -> np.ndarray:
        holiday = np.isin(day, self.holidays) & self.closes_on_holidays[office]
        return self.open_days[office, weekday(day)] & ~holiday

    def to_open_time(self, office: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Moves each time forward to the first moment its office is open (work waits)."""
        t = t.copy()
        second = t % DAY
        opening = self.open_hour[office] * HOUR
        early = second < opening
        t[early] += opening[early] - second[early]
        late = second >= self.close_hour[office] * HOUR
        t[late] += DAY - second[late] + opening[late]
        for _ in range(10):  # at most a long weekend plus holidays
            closed = ~self.open_on(office, t // DAY)
            if not closed.any():
                break
            t[closed] = (t[closed] // DAY + 1) * DAY + opening[closed]
        return t
