"""Who was on duty, and at which desk: the roster rebuilt from the data, for detectors that
compare an officer's work with what random assignment among colleagues would have given.

Clearance systems rarely export the duty roster, so it is rebuilt from what they do export:

* postings (officers.csv): an officer can only be on duty at an office on a day that one of
  their postings there covers (any post: the officer_id on a declaration is who received it);
* receipts (declarations.csv): an officer in post who received a declaration at the office that
  day was on duty; one who received none was not working it (leave, rest day, training);
* logins (audit_events.csv, when present and asked for): an officer in post who logged in that
  day was at work even on a day they happened to receive nothing. In low-volume offices most
  officers on duty receive nothing on a given day, and receipts alone would shrink the roster.

The desk of a declaration is the tariff group of its main item (the lowest item_no, item 1 in
practice). An officer handles a desk at an office in a calendar month (quarter, year) if they
received at least one declaration of that desk there in it; eligible for a declaration means
on duty at its office that day and handling its desk there in that period.

Defining the roster by receipts conditions on them. Under random assignment the officers of
the rebuilt set remain (to a close approximation) exchangeable, so each is still equally
likely to have received any one declaration and a test against 1/k stays valid; but the set
is smaller than the true roster when receipts are sparse, which costs power.

Everything here builds Ibis expressions over the working tables; nothing is executed.
"""

from __future__ import annotations

from typing import Literal

import ibis
from ibis import _
from pydantic import Field

from arusha.engine.detector import DetectorParams
from arusha.engine.tables import Tables

DeskLevel = Literal["chapter", "section", "office"]
Window = Literal["month", "quarter", "year"]



class RosterParams(DetectorParams):
    """The parameters of a detector that compares receipts with random assignment among the
    officers on duty at a desk."""

    desk: DeskLevel = Field(
        "chapter", description="what makes a desk: the main item's HS chapter, its HS "
        "section, or one desk per office",
    )  # fmt: skip
    desk_window: Window = Field(
        "quarter", description="calendar period in which receiving one declaration of a "
        "desk makes an officer one of its examiners",
    )  # fmt: skip


CELL = ("office_code", "day", "desk")  # one assignment draw: an office, a day, a desk
WINDOW_UNITS = {"month": "M", "quarter": "Q", "year": "Y"}
PERIOD_KEYS = ["office_code", "window_start", "officer_id"]  # an officer's period at an office
OPEN_END = ibis.date(9999, 12, 31)  # a posting without an end date runs on

# HS sections by their first chapter (Harmonized System nomenclature, 2022 edition).
SECTION_STARTS = (1, 6, 15, 16, 25, 28, 39, 41, 44, 47, 50, 64, 68, 71, 72, 84, 86, 90, 93, 94,
                  97)  # fmt: skip
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII",
         "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX", "XXI")  # fmt: skip


def desk_of(hs_code: ibis.StringValue, level: DeskLevel) -> ibis.StringValue:
    """The desk a tariff code goes to: its chapter ("87"), its section ("XVII"), or a single
    desk for the whole office ("all"). Codes without a chapter give "unknown"."""
    if level == "office":
        return ibis.literal("all")
    chapter = hs_code.substr(0, 2)
    if level == "chapter":
        return chapter.fill_null("unknown")
    number = chapter.try_cast("int64")
    cases = [(number >= start, name) for start, name in
             reversed(list(zip(SECTION_STARTS, ROMAN, strict=True)))]  # fmt: skip
    return ibis.cases(*cases, else_="unknown")


def main_items(items: ibis.Table) -> ibis.Table:
    """declaration_id and the hs_code of its main item (the lowest item_no)."""
    return items.group_by("declaration_id").aggregate(hs_code=_.hs_code.argmin(_.item_no))


def in_post(
    events: ibis.Table, postings: ibis.Table, same_office: bool = True
) -> list[ibis.BooleanValue]:
    """Join predicates: the event's officer held a posting on the event's day (at the event's
    office, unless `same_office` is False: then the posting says where the officer was)."""
    return [
        events.officer_id == postings.officer_id,
        *([events.office_code == postings.office_code] if same_office else []),
        postings.start_date <= events.day,
        # not "end_date is null or ...": an OR makes DuckDB fall back to a nested-loop join
        events.day <= postings.end_date.fill_null(OPEN_END),
    ]


def assignments(tables: Tables, desk: DeskLevel) -> ibis.Table:
    """Assigned declarations whose officer held a posting at that office on that day.

    Columns: declaration_id, office_code, officer_id, declarant_id, trader_id, day (the date
    of assignment, else of lodgement) and desk. A declaration received by an officer with no
    posting there that day is left out: no roster describes its draw (an HR register gap, or
    work routed outside the system's assignment, which other checks look at).
    """
    d = tables.declarations.filter(_.officer_id.notnull())
    d = d.mutate(day=d.assigned_at.coalesce(d.lodged_at).date())
    d = d.semi_join(tables.officers, in_post(d, tables.officers))
    d = d.left_join(main_items(tables.items), "declaration_id")
    return d.select(
        "declaration_id", "office_code", "officer_id", "declarant_id", "trader_id", "day",
        desk=desk_of(d.hs_code, desk),
    )  # fmt: skip


def on_duty(assigned: ibis.Table, tables: Tables | None = None) -> ibis.Table:
    """office_code, day, officer_id: who was in post and received work that office-day, and,
    given `tables` with an audit trail, who was in post there and logged in that day."""
    present = assigned.select("office_code", "day", "officer_id")
    if tables is not None and tables.has("audit_events"):
        logins = tables.audit_events.filter(_.action == "login")
        logins = logins.select(officer_id=_.user_id, day=_.occurred_at.date()).distinct()
        postings = tables.officers
        at_office = logins.join(postings, in_post(logins, postings, same_office=False))
        present = present.union(at_office.select("office_code", "day", "officer_id"))
    return present.distinct()


def desks_handled(assigned: ibis.Table, window: Window = "month") -> ibis.Table:
    """office_code, window_start, desk, officer_id: who received work of that desk there in
    that calendar month (quarter, year)."""
    windowed = assigned.mutate(window_start=assigned.day.truncate(WINDOW_UNITS[window]))
    return windowed.select("office_code", "window_start", "desk", "officer_id").distinct()


def duty_desks(
    assigned: ibis.Table, window: Window = "month", tables: Tables | None = None
) -> ibis.Table:
    """office_code, day, desk, officer_id: every officer on duty at an office on a day, once
    for each desk they handle there in that period; for a draw (office, day, desk), its rows
    are the officers eligible for it.

    Built from two small tables (officer-days, officer-desks per period); meant to be
    aggregated or probed as it streams rather than stored.
    """
    duty = _duty_periods(assigned, window, tables)
    rows = duty.join(desks_handled(assigned, window), PERIOD_KEYS)
    return rows.select(*CELL, "officer_id")


def draw_sizes(
    assigned: ibis.Table, window: Window = "month", tables: Tables | None = None
) -> ibis.Table:
    """office_code, day, desk and `k`, the number of officers eligible for a draw: under
    random assignment each of them had a chance of 1/k of receiving one of its declarations."""
    # The rows of `duty_desks`, joined the other way round: a query that uses both then
    # shares no subquery, so the backend streams each rather than storing it for two uses.
    rows = desks_handled(assigned, window).join(_duty_periods(assigned, window, tables),
                                                PERIOD_KEYS)  # fmt: skip
    return rows.group_by(CELL).aggregate(k=_.count())


def _duty_periods(assigned: ibis.Table, window: Window, tables: Tables | None) -> ibis.Table:
    duty = on_duty(assigned, tables)
    return duty.mutate(window_start=duty.day.truncate(WINDOW_UNITS[window]))


def only_eligible(
    rows: ibis.Table, assigned: ibis.Table, window: Window, tables: Tables | None = None
) -> ibis.Table:
    """The `rows` (with office_code, day, desk and officer_id) whose officer was eligible for
    that draw."""
    rows = rows.mutate(window_start=rows.day.truncate(WINDOW_UNITS[window]))
    rows = rows.semi_join(on_duty(assigned, tables), ["office_code", "day", "officer_id"])
    handled = desks_handled(assigned, window)
    rows = rows.semi_join(handled, ["office_code", "window_start", "desk", "officer_id"])
    return rows.drop("window_start")


def eligible(
    assigned: ibis.Table, window: Window = "month", tables: Tables | None = None
) -> ibis.Table:
    """office_code, day, desk, officer_id and k: for every draw in which someone was eligible,
    one row per eligible officer, with the number k of them."""
    return duty_desks(assigned, window, tables).join(
        draw_sizes(assigned, window, tables), list(CELL)
    )
