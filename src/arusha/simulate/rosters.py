"""Who is on duty, day by day, in a month: postings, duty patterns, leave and cover.

An examiner only receives declarations on the days the roster has them on duty at that office
and desk. Round-the-clock offices run a rotating five-days-on, two-off pattern; day offices
follow their opening days; part-timers work two days a week. When leave leaves a desk empty on
an open day, the first examiner of the desk is called in, as supervisors do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arusha.simulate.calendar import Calendar
from arusha.simulate.config import EXAMINER
from arusha.simulate.staff import PART_TIME, ROTATING, Staff

LOOKAHEAD = 10  # days past the month: work lodged at its end can wait into the next one


@dataclass(frozen=True)
class Roster:
    first_day: int
    n_days: int  # days of the month itself
    on: np.ndarray  # [day from first_day, posting] on duty; the month then LOOKAHEAD days
    desks: dict[tuple[int, int], np.ndarray]  # (office, desk) -> examiner postings

    def day_index(self, day: np.ndarray) -> np.ndarray:
        return day - self.first_day

    def duty_days(self, posting: int) -> np.ndarray:
        """Day numbers of the month on which the posting is on duty."""
        return self.first_day + np.flatnonzero(self.on[: self.n_days, posting])


def examiner_desks(staff: Staff) -> dict[tuple[int, int], np.ndarray]:
    examiners = np.flatnonzero(staff.post == EXAMINER)
    keys = sorted({(int(staff.office[p]), int(staff.desk[p])) for p in examiners})
    return {
        key: examiners[(staff.office[examiners] == key[0]) & (staff.desk[examiners] == key[1])]
        for key in keys
    }


def month_roster(
    staff: Staff,
    calendar: Calendar,
    desks: dict[tuple[int, int], np.ndarray],
    first_day: int,
    n_days: int,
) -> Roster:
    days = first_day + np.arange(n_days + LOOKAHEAD)[:, None]
    in_post = (staff.start[None, :] <= days) & (days <= staff.end[None, :])
    office_open = calendar.open_on(staff.office[None, :], days)
    phase = (days + staff.offset[None, :]) % 7
    pattern_on = np.where(
        staff.pattern[None, :] == ROTATING,
        phase < 5,
        np.where(staff.pattern[None, :] == PART_TIME, phase < 2, True),
    )
    leave = staff.leave[None, :, :, :]
    on_leave = ((days[:, :, None] >= leave[..., 0]) & (days[:, :, None] <= leave[..., 1])).any(2)
    on = in_post & office_open & pattern_on & ~on_leave
    can_cover = in_post & (staff.pattern[None, :] != PART_TIME)
    _call_in_cover(on, can_cover, office_open, desks)
    return Roster(first_day, n_days, on, desks)


def _call_in_cover(
    on: np.ndarray,
    can_cover: np.ndarray,
    office_open: np.ndarray,
    desks: dict[tuple[int, int], np.ndarray],
) -> None:
    """Puts on duty the first full-timer in post of every desk left empty on an open day."""
    for postings in desks.values():
        available = can_cover[:, postings]
        empty = ~on[:, postings].any(axis=1) & office_open[:, postings[0]]
        days = np.flatnonzero(empty & available.any(axis=1))
        on[days, postings[np.argmax(available[days], axis=1)]] = True
