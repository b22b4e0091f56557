"""The clearance system's own audit trail for honest work.

Per month: a login per officer and duty day (before their first assignment), a
`change_channel` for every declaration processed in another channel than the engine's, a
`reassign` for every supervisor move, a `modify_declaration` for every assessment that
changed the duties, and a few documents replaced before release. Scheduled ahead: weekly
report exports by risk analysts, monthly ones by valuation officers, and the role granted to
every officer whose posting starts during the span (explained by the HR register).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arusha.simulate.batch import Declarations, Month
from arusha.simulate.calendar import DAY, HOUR, MINUTE
from arusha.simulate.config import (
    CHANNEL_NAMES,
    DISCREPANCY,
    IT_ADMIN,
    POSTS,
    RISK_ANALYST,
    VALUATION,
)
from arusha.simulate.events import event_table
from arusha.simulate.format import money_text
from arusha.simulate.world import World

DOCUMENT_TYPES = np.array(
    ["invoice", "packing_list", "bill_of_lading", "certificate_of_origin", "permit"]
)


def month_events(month: Month, d: Declarations) -> list[pa.Table]:
    return [
        _logins(month, d),
        _channel_changes(month, d),
        _reassignments(month, d),
        _modifications(month, d),
        _replaced_documents(month, d),
    ]


def _user(world: World, posting: np.ndarray) -> np.ndarray:
    return world.staff.officer_of(posting)


def _logins(month: Month, d: Declarations) -> pa.Table:
    """One login per duty day, at the usual hour or just before the first assignment."""
    world, rng, roster = month.world, month.rng, month.roster
    staff = world.staff
    day_idx, posting = np.nonzero(roster.on[: roster.n_days])
    usual = world.calendar.open_hour[staff.office[posting]]
    usual = np.where(usual == 0, 7, usual) * HOUR
    when = (roster.first_day + day_idx) * DAY + usual + rng.integers(-20, 20, len(posting)) * 60
    first = np.full((roster.n_days, roster.on.shape[1]), np.iinfo(np.int64).max)
    day_of = roster.day_index(d.assigned // DAY)
    handled = np.flatnonzero((d.officer >= 0) & (day_of >= 0) & (day_of < roster.n_days))
    np.minimum.at(first, (day_of[handled], d.officer[handled]), d.assigned[handled])
    before_work = first[day_idx, posting] - rng.integers(5, 40, len(posting)) * MINUTE
    when = np.minimum(when, before_work)
    return event_table(
        when,
        _user(world, posting),
        "login",
        "user",
        _user(world, posting),
        workstation=staff.workstation[posting],
    )


def _while_processed(d: Declarations, rows: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """Times some minutes after assignment, kept before release."""
    assigned, released = d.assigned[rows], d.released[rows]
    when = assigned + minutes * MINUTE
    before_release = np.maximum(np.minimum(when, released - MINUTE), assigned)
    return np.where(released > 0, before_release, when)


def _declaration_events(
    month: Month,
    d: Declarations,
    rows: np.ndarray,
    user: np.ndarray,
    action: str,
    old: np.ndarray | None,
    new: np.ndarray | None,
    after: tuple[int, int],
) -> pa.Table:
    """Events on declarations by `user` while they are processed."""
    world = month.world
    when = _while_processed(d, rows, month.rng.integers(after[0], after[1], len(rows)))
    return event_table(
        when,
        _user(world, user),
        action,
        "declaration",
        d.ids.take(pa.array(rows)),
        old,
        new,
        world.staff.workstation[user],
    )


def _channel_changes(month: Month, d: Declarations) -> pa.Table:
    rows = np.flatnonzero((d.final != d.risk) & (d.officer >= 0))
    names = np.array(CHANNEL_NAMES)
    return _declaration_events(
        month,
        d,
        rows,
        d.officer[rows],
        "change_channel",
        names[d.risk[rows]],
        names[d.final[rows]],
        (5, 90),
    )


def _reassignments(month: Month, d: Declarations) -> pa.Table:
    rows = np.flatnonzero(d.reassigned_from >= 0)
    old = _user(month.world, d.reassigned_from[rows])
    new = _user(month.world, d.officer[rows])
    return _declaration_events(month, d, rows, d.reassigned_by[rows], "reassign", old, new, (1, 30))


def _modifications(month: Month, d: Declarations) -> pa.Table:
    rows = np.flatnonzero((d.outcome == DISCREPANCY) & (d.officer >= 0))
    old = pc.binary_join_element_wise("duties=", money_text(d.declared[rows]), "")
    new = pc.binary_join_element_wise("duties=", money_text(d.assessed[rows]), "")
    return _declaration_events(
        month, d, rows, d.officer[rows], "modify_declaration", old, new, (30, 240)
    )


def _replaced_documents(month: Month, d: Declarations) -> pa.Table:
    """Honest deletions: a wrong document replaced while the declaration is processed."""
    world, rng = month.world, month.rng
    rows = np.flatnonzero((d.officer >= 0) & (rng.random(len(d)) < world.cfg.document_replacement))
    doc = rng.choice(DOCUMENT_TYPES, size=len(rows))
    when = _while_processed(d, rows, rng.integers(5, 60, len(rows)))
    return _document_events(month, d, rows, doc, when)


def _document_events(
    month: Month, d: Declarations, rows: np.ndarray, doc: np.ndarray, when: np.ndarray
) -> pa.Table:
    """`delete_document` by the declaration's officer; the object is declaration/type."""
    world = month.world
    object_id = pc.binary_join_element_wise(d.ids.take(pa.array(rows)), pa.array(doc), "/")
    user = d.officer[rows]
    return event_table(
        when,
        _user(world, user),
        "delete_document",
        "document",
        object_id,
        doc,
        None,
        world.staff.workstation[user],
    )


def document_deletions(
    month: Month, d: Declarations, rows: np.ndarray, when: np.ndarray
) -> pa.Table:
    doc = month.rng.choice(DOCUMENT_TYPES, size=len(rows))
    return _document_events(month, d, rows, doc, when)


def background_schedule(world: World, rng: np.random.Generator) -> list[pa.Table]:
    return [_report_exports(world, rng), _role_grants(world, rng)]


def _office_hour_times(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return days * DAY + 9 * HOUR + rng.integers(0, 7 * HOUR, len(days))


def _report_exports(world: World, rng: np.random.Generator) -> pa.Table:
    """Weekly selectivity reports by each risk analyst, monthly ones by valuation officers."""
    staff, span = world.staff, world.span
    days = np.arange(span.first_day, span.last_day + 1)
    mondays = days[(days + 3) % 7 == 0]
    tables = []
    for post, every, report in (
        (RISK_ANALYST, 7, "selectivity_report"),
        (VALUATION, 28, "valuation_report"),
    ):
        for p in np.flatnonzero(staff.post == post):
            mine = mondays[(mondays >= staff.start[p]) & (mondays <= staff.end[p])]
            mine = mine[:: every // 7] + rng.integers(0, 4, len(mine[:: every // 7]))
            rows = rng.integers(200, 20_000, len(mine)).astype(str)
            tables.append(
                event_table(
                    _office_hour_times(mine, rng),
                    _user(world, np.full(len(mine), p)),
                    "export_data",
                    "report",
                    report,
                    None,
                    np.char.add("rows=", rows),
                    staff.workstation[p],
                )
            )
    return pa.concat_tables(tables)


def _role_grants(world: World, rng: np.random.Generator) -> pa.Table:
    """An IT administrator grants the role of every posting that starts during the span."""
    staff, span = world.staff, world.span
    starting = np.flatnonzero((staff.start > span.first_day) & (staff.start <= span.last_day))
    admins = np.flatnonzero((staff.post == IT_ADMIN) & (staff.start <= span.first_day))
    admin = rng.choice(admins, size=len(starting))
    when = _office_hour_times(staff.start[starting], rng)
    return event_table(
        when,
        _user(world, admin),
        "grant_role",
        "user",
        _user(world, starting),
        None,
        np.array(POSTS)[staff.post[starting]],
        staff.workstation[admin],
    )
