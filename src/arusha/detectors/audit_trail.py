"""What the detectors over the clearance system's audit trail share: office hours, the post a
user held on the day of an event, and the workstations a user normally works from.

An audit event names a system account (`user_id`); for staff it is their officer_id, so the HR
register (officers.csv) says which post and office the account belonged to on any day. Times
in the contract are local, so office hours are read directly from the clock.

Everything here builds Ibis expressions; nothing is executed.
"""

from __future__ import annotations

from typing import Literal

import ibis
from ibis import _
from pydantic import Field

from arusha.detectors.roster import OPEN_END
from arusha.engine.detector import DetectorParams

Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WEEKDAYS: tuple[Weekday, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NO_POSTING = "no posting"  # an account without a posting in the HR register that day


class AuditTrailParams(DetectorParams):
    """Parameters of every detector that reads the audit trail: the headquarters' office hours,
    outside which administrative work (rule changes, role grants, exports) is unusual."""

    office_days: list[Weekday] = Field(
        default_factory=lambda: ["Mon", "Tue", "Wed", "Thu", "Fri"],
        description="working days of headquarters and administrative staff",
    )
    office_opens: int = Field(7, ge=0, le=23, description="hour (local time) office hours begin")
    office_closes: int = Field(
        18, ge=1, le=24, description="hour (local time) office hours end (18: until 18:00)"
    )
    rare_workstation_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="a workstation the account used on less than this share of the days it "
        "was active in the audit trail is unusual for it",
    )


def office_hours_text(params: AuditTrailParams) -> str:
    """Office hours in words, for the evidence: "Mon-Fri 07:00-18:00"."""
    days = params.office_days
    indexes = sorted(WEEKDAYS.index(d) for d in days)
    if indexes and indexes == list(range(indexes[0], indexes[-1] + 1)) and len(indexes) > 2:
        named = f"{WEEKDAYS[indexes[0]]}-{WEEKDAYS[indexes[-1]]}"
    else:
        named = ",".join(WEEKDAYS[i] for i in indexes)
    return f"{named} {params.office_opens:02d}:00-{params.office_closes:02d}:00"


def off_hours(at: ibis.TimestampValue, params: AuditTrailParams) -> ibis.BooleanValue:
    """True when `at` falls outside office hours: another day, or before opening or from
    closing time on a working day."""
    working_day = at.day_of_week.index().isin([WEEKDAYS.index(d) for d in params.office_days])
    minute = at.hour() * 60 + at.minute()
    in_hours = (minute >= params.office_opens * 60) & (minute < params.office_closes * 60)
    return ~(working_day & in_hours)


def posts_on_day(
    events: ibis.Table, officers: ibis.Table, key: str, user: str, at: str
) -> ibis.Table:
    """`key`, `posts` and `offices`: the posts and offices (comma-separated, sorted) of the
    account `user` in the HR register on the day of `at`, NO_POSTING when it held none.

    `key` identifies the rows of `events` (an event id); one row per key comes back.
    """
    e = events.select(key, officer_id=events[user], day=events[at].date()).distinct()
    joined = e.left_join(
        officers,
        [
            e.officer_id == officers.officer_id,
            officers.start_date <= e.day,
            # not "end_date is null or ...": an OR makes DuckDB fall back to a nested loop
            e.day <= officers.end_date.fill_null(OPEN_END),
        ],
    )
    return joined.group_by(key).aggregate(
        posts=joined.post.collect(distinct=True).sort().join(",").nullif("").fill_null(NO_POSTING),
        offices=joined.office_code.collect(distinct=True).sort().join(",").nullif(""),
    )


def workstation_share(
    rows: ibis.Table, events: ibis.Table, key: str, user: str, workstation: str
) -> ibis.Table:
    """`key` and `workstation_share`: the share of the days on which the account `user` of each
    row was active in the audit trail that it used the row's `workstation` (null when the row
    has none). Counted in days, not events, so that a burst of events from one workstation on
    one day does not make that workstation look usual."""
    known = events.filter(events.workstation.notnull())
    used = known.select("user_id", "workstation", day=known.occurred_at.date()).distinct()
    habits = used.group_by(["user_id", "workstation"]).aggregate(days_used=_.count())
    active = used.select("user_id", "day").distinct()
    active = active.group_by("user_id").aggregate(days_active=_.count())
    habits = habits.join(active, "user_id")
    r = rows.select(key, _user=rows[user], _workstation=rows[workstation])
    joined = r.left_join(habits, [r._user == habits.user_id, r._workstation == habits.workstation])
    return joined.select(key, workstation_share=_.days_used / _.days_active)


def first_of(t: ibis.Table, keys: list[str], order: list) -> ibis.Table:
    """The first row of each group of `keys` in `order`."""
    ranked = t.mutate(_rank=ibis.row_number().over(group_by=keys, order_by=order))
    return ranked.filter(ranked._rank == 0).drop("_rank")

