"""audit.anomalies — what a corrupt officer leaves in the clearance system's audit trail."""

from __future__ import annotations

from collections.abc import Callable

import ibis
import numpy as np
import pandas as pd
from ibis import _
from pydantic import Field

from arusha.detectors.audit_trail import (
    NO_POSTING,
    AuditTrailParams,
    first_of,
    off_hours,
    office_hours_text,
    posts_on_day,
    workstation_share,
)
from arusha.detectors.peers import rate
from arusha.detectors.shared import left_join
from arusha.engine.detector import Detector, Finding
from arusha.engine.tables import Tables
from arusha.stats import binomial_test, rate_ratio

UNIT = ["user_id", "office_code"]  # an account's work at one office
# The figures of every mechanism, in one table: columns a mechanism does not use are null.
COLUMNS = {
    "mechanism": "string", "user_id": "string", "office_code": "string", "post": "string",
    "events": "int64", "exposure": "int64", "exposure_before": "int64",
    "first_at": "timestamp", "last_at": "timestamp",
    "broker": "string", "broker_events": "int64", "broker_exposure": "int64",
    "workstation": "string", "workstation_share": "float64", "off_hours": "boolean",
    "usual": "int64", "detail": "string", "exposure_from": "timestamp", "exposure_to": "timestamp",
    "grantee": "string", "grantee_post": "string", "posting_gap_days": "int64",
}  # fmt: skip
# The mechanisms counted per declaration handled and compared with peers: what is counted,
# over what, in words for the summary and the evidence.
COUNTED = {
    "self_reassignment": (
        "reassigned to themself {n} declaration{s} first assigned to colleagues",
        "declarations assigned to them",
    ),
    "delete_after_release": (
        "deleted documents of {n} declaration{s} after their release",
        "declarations assigned to them",
    ),
    "channel_change_by_unassigned": (
        "changed the channel of {n} declaration{s} never assigned to them",
        "channel changes they made",
    ),
}


class AuditAnomalies(Detector):
    """Traces in the clearance system's audit trail that an account is used for something other
    than its holder's work, each against the account's own history and its peers (the same post
    at the same office). Five mechanisms, named in each alert: an officer who reassigns to
    themself declarations first assigned to colleagues (above all those of one broker); who
    changes the channel of declarations never assigned to them; who deletes documents of
    declarations after their release (when the file can no longer be checked); a burst of data
    exports far beyond the account's and its peers' busiest hour; and a role granted to an
    officer with no change of posting in the HR register to explain it, outside office hours or
    from a workstation the administrator rarely uses.

    The first three are counted per declaration handled (or per channel change made) and tested
    against the rate of peers in the same post at the same office (all offices when the office
    has none) with an exact conditional binomial test, so an office or post whose work needs
    many reassignments or late deletions sets its own expectation; a broker is named when most
    of the events concern it. Bursts and grants are rules: a burst alerts when it is large and a
    multiple of anything the account or its peers did in an hour on another day; a grant alerts
    when no posting change explains it and it was made off hours or from an unusual
    workstation."""

    id = "audit.anomalies"
    title = "Anomalies in the clearance system's audit trail"
    reference = (
        "WCO Revised Arusha Declaration (2003), factors 4 (Automation: the audit trail of "
        "the clearance system) and 6 (Audit and investigation); WCO Integrity Development "
        "Guide (2014); Breslow NE, Day NE (1987) Statistical Methods in Cancer Research vol. "
        "II, IARC (conditional test of two Poisson rates)"
    )
    needs = ("declarations", "officers", "audit_events")

    class Params(AuditTrailParams):
        min_events: int = Field(
            5,
            ge=1,
            description="fewest self-reassignments, deletions after release or channel changes "
            "on others' declarations by one account that can alert",
        )
        min_ratio: float = Field(
            3.0, gt=1, description="smallest ratio of the account's rate to its peers' that alerts"
        )
        dominant_share: float = Field(
            0.5,
            gt=0,
            le=1,
            description="a broker is named when at least this share of the account's events "
            "concern its declarations",
        )
        burst_minutes: int = Field(
            60, ge=1, description="length of the sliding window in which exports are counted"
        )
        min_burst: int = Field(
            10, ge=2, description="fewest exports in one window that can alert as a burst"
        )
        burst_ratio: float = Field(
            3.0,
            gt=1,
            description="a burst alerts when it is at least this multiple of the account's "
            "busiest window on any other day and of its peers' busiest window",
        )
        posting_days: int = Field(
            30,
            ge=0,
            description="a role granted within this many days of a posting of the grantee "
            "starting or ending is explained by it",
        )

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        events, declarations, officers = tables.audit_events, tables.declarations, tables.officers
        parts = [
            _self_reassignments(events, declarations, officers),
            _deletions_after_release(events, declarations, officers),
            _unassigned_channel_changes(events, declarations, officers),
            _export_bursts(events, officers, params),
            _role_grants(events, officers, params),
        ]
        return ibis.union(*parts).order_by(["mechanism", *UNIT, "first_at"])

    def assess(self, measures: pd.DataFrame, params: Params) -> list[Finding]:
        assessors: dict[str, Callable[[pd.DataFrame, AuditAnomalies.Params], list[Finding]]] = {
            **dict.fromkeys(COUNTED, _counted_findings),
            "export_burst": _burst_findings,
            "role_grant": _grant_findings,
        }
        findings = []
        for mechanism, assess in assessors.items():
            rows = measures[measures["mechanism"] == mechanism].reset_index(drop=True)
            findings += assess(rows, params)
        return findings


# Measures (Ibis) ------------------------------------------------------------------------------


def _shaped(t: ibis.Table, mechanism: str) -> ibis.Table:
    """`t` with exactly COLUMNS, in order: the ones it lacks as typed nulls."""
    values = {
        name: t[name].cast(dtype) if name in t.columns else ibis.null(dtype)
        for name, dtype in COLUMNS.items()
        if name != "mechanism"
    }
    return t.select(mechanism=ibis.literal(mechanism), **values)


def _handled(declarations: ibis.Table) -> ibis.Table:
    """Every assigned declaration as exposure: user_id, office_code, declarant_id, at."""
    d = declarations.filter(declarations.officer_id.notnull())
    return d.select(
        user_id=d.officer_id,
        office_code=d.office_code,
        declarant_id=d.declarant_id,
        at=d.assigned_at.coalesce(d.lodged_at),
    )


def _on_declarations(events: ibis.Table, declarations: ibis.Table) -> ibis.Table:
    """Events on declarations (a document's object_id starts with its declaration's id, as in
    `D123/invoice`), with the declaration's office, broker, officer and release."""
    d = declarations.select(
        "declaration_id", "office_code", "declarant_id", "officer_id", "released_at"
    )
    declaration_id = events.object_id.re_extract(r"^([^/]+)", 1)
    return events.mutate(_declaration=declaration_id).join(d, _._declaration == d.declaration_id)


def _self_reassignments(events, declarations, officers) -> ibis.Table:
    moves = events.filter((events.action == "reassign") & (events.new_value == events.user_id))
    hits = _on_declarations(moves, declarations)
    return _counted("self_reassignment", _as_exposure(hits), _handled(declarations), officers)


def _deletions_after_release(events, declarations, officers) -> ibis.Table:
    deletions = _on_declarations(events.filter(events.action == "delete_document"), declarations)
    late = deletions.filter(deletions.occurred_at > deletions.released_at)
    return _counted("delete_after_release", _as_exposure(late), _handled(declarations), officers)


def _unassigned_channel_changes(events, declarations, officers) -> ibis.Table:
    """Channel changes by an account that was never the declaration's officer: neither its
    officer now nor one it was reassigned away from."""
    changes = _on_declarations(events.filter(events.action == "change_channel"), declarations)
    moves = events.filter(events.action == "reassign")
    moves = moves.select(_moved=moves.object_id, _from=moves.old_value)
    others = changes.filter(changes.officer_id.isnull() | (changes.user_id != changes.officer_id))
    never = others.anti_join(
        moves, [others._declaration == moves._moved, others.user_id == moves._from]
    )
    return _counted(
        "channel_change_by_unassigned", _as_exposure(never), _as_exposure(changes), officers
    )


def _as_exposure(t: ibis.Table) -> ibis.Table:
    return t.select("user_id", "office_code", "declarant_id", at=t.occurred_at)


def _counted(
    mechanism: str, hits: ibis.Table, exposure: ibis.Table, officers: ibis.Table
) -> ibis.Table:
    """Per account and office: `events` (the hits), `exposure` (what they are counted over),
    when the hits began and ended, the broker most of them concern, and the account's own
    history: its exposure before the first hit, and the broker's share of its exposure."""
    found = hits.group_by(UNIT).aggregate(events=_.count(), first_at=_.at.min(), last_at=_.at.max())
    per_broker = hits.filter(hits.declarant_id.notnull())
    per_broker = per_broker.group_by([*UNIT, "declarant_id"]).aggregate(broker_events=_.count())
    top = first_of(per_broker, UNIT, [per_broker.broker_events.desc(), per_broker.declarant_id])
    top = top.rename(broker="declarant_id")
    marks = left_join(found, top, UNIT)
    mine = exposure.join(marks.select(*UNIT, "first_at", "broker"), UNIT)
    history = mine.group_by(UNIT).aggregate(
        exposure_before=(mine.at.date() < mine.first_at.date()).sum(),
        broker_exposure=(mine.declarant_id == mine.broker).sum(),
    )
    handled = exposure.group_by(UNIT).aggregate(
        exposure=_.count(), exposure_from=_.at.min(), exposure_to=_.at.max()
    )
    units = handled.select(*UNIT).union(found.select(*UNIT), distinct=True)
    for part in (handled, marks, history):
        units = left_join(units, part, UNIT)
    units = units.mutate(events=_.events.fill_null(0), exposure=_.exposure.fill_null(0))
    return _shaped(_with_post_at_office(units, officers), mechanism)


def _with_post_at_office(units: ibis.Table, officers: ibis.Table) -> ibis.Table:
    """`units` with `post`: the account's latest posting at the unit's office."""
    latest = first_of(
        officers, ["officer_id", "office_code"], [officers.start_date.desc(), officers.post]
    )
    latest = latest.select(_officer=latest.officer_id, _office=latest.office_code, post=_.post)
    joined = units.left_join(
        latest, [units.user_id == latest._officer, units.office_code == latest._office]
    )
    return joined.drop("_officer", "_office").mutate(post=_.post.fill_null(NO_POSTING))


def _export_bursts(
    events: ibis.Table, officers: ibis.Table, params: AuditAnomalies.Params
) -> ibis.Table:
    """Per exporting account: its busiest sliding window of exports (`events`, beginning at
    `first_at`), its busiest window on any other day (`usual`), all its exports
    (`exposure`) and those before the burst; with the post, workstation and hours of the
    burst."""
    exports = events.filter(events.action == "export_data")
    sliding = ibis.window(
        group_by="user_id",
        order_by="occurred_at",
        range=(-ibis.interval(minutes=params.burst_minutes), 0),
    )
    exports = exports.mutate(in_window=_.count().over(sliding), day=_.occurred_at.date())
    days = exports.group_by(["user_id", "day"]).aggregate(busiest=_.in_window.max())
    top = first_of(days, ["user_id"], [days.busiest.desc(), days.day])
    top = top.select("user_id", burst_day=_.day, events=_.busiest)
    others = days.join(top, "user_id").filter(_.day != _.burst_day)
    usual = others.group_by("user_id").aggregate(usual=_.busiest.max())
    # The burst: the first window of that size on that day, and the exports in it.
    ends = exports.join(top, [exports.user_id == top.user_id, exports.day == top.burst_day,
                              exports.in_window == top.events])  # fmt: skip
    ends = ends.group_by("user_id").aggregate(last_at=_.occurred_at.min())
    span = exports.join(ends, "user_id")
    span = span.filter(
        (span.occurred_at <= span.last_at)
        & (span.occurred_at >= span.last_at - ibis.interval(minutes=params.burst_minutes))
    )
    burst = span.group_by("user_id").aggregate(
        first_at=_.occurred_at.min(),
        last_at=_.occurred_at.max(),
        detail=_.object_id.collect(distinct=True).sort().join(", "),
    )
    # The burst's usual workstation: the most used, ties to the first name, so that every
    # backend (Spark has no mode in Ibis) and every rerun names the same one.
    used = span.filter(_.workstation.notnull()).group_by(["user_id", "workstation"])
    used = used.aggregate(uses=_.count())
    used = first_of(used, ["user_id"], [used.uses.desc(), used.workstation])
    burst = left_join(burst, used.select("user_id", "workstation"), ["user_id"])
    totals = exports.join(burst.select("user_id", "first_at"), "user_id")
    totals = totals.group_by("user_id").aggregate(
        exposure=_.count(), exposure_before=(_.occurred_at < _.first_at).sum()
    )
    users = top.join(burst, "user_id").join(totals, "user_id")
    users = left_join(users, usual, ["user_id"]).mutate(usual=_.usual.fill_null(0))
    posts = posts_on_day(users, officers, "user_id", "user_id", "first_at")
    share = workstation_share(users, events, "user_id", "user_id", "workstation")
    users = users.join(posts, "user_id").join(share, "user_id")
    users = users.rename(post="posts", office_code="offices")
    return _shaped(users.mutate(off_hours=off_hours(users.first_at, params)), "export_burst")


def _role_grants(
    events: ibis.Table, officers: ibis.Table, params: AuditAnomalies.Params
) -> ibis.Table:
    """One row per role granted: the administrator (user_id) and their post, the grantee and
    theirs, the role (`detail`), the days to the nearest start or end of a posting of the
    grantee (null: none in the register), the hours and the workstation."""
    grants = events.filter(events.action == "grant_role")
    grants = grants.select(
        "event_id", "user_id", "workstation",
        grantee=grants.object_id, detail=grants.new_value, first_at=grants.occurred_at,
        last_at=grants.occurred_at, events=ibis.literal(1),
    )  # fmt: skip
    day = grants.first_at.date().epoch_days()
    postings = grants.join(officers, grants.grantee == officers.officer_id)
    ended = (postings.end_date.epoch_days() + 1 - day).abs()  # the day after a posting ends
    postings = postings.mutate(
        gap=ibis.least((postings.start_date.epoch_days() - day).abs(), ended.fill_null(10**6))
    )
    gaps = postings.group_by("event_id").aggregate(posting_gap_days=_.gap.min())
    grants = left_join(grants, gaps, ["event_id"])
    admin = posts_on_day(grants, officers, "event_id", "user_id", "first_at")
    admin = admin.rename(post="posts").drop("offices")
    grantee = posts_on_day(grants, officers, "event_id", "grantee", "first_at")
    grantee = grantee.rename(grantee_post="posts", office_code="offices")
    share = workstation_share(grants, events, "event_id", "user_id", "workstation")
    grants = grants.join(admin, "event_id").join(grantee, "event_id").join(share, "event_id")
    return _shaped(grants.mutate(off_hours=off_hours(grants.first_at, params)), "role_grant")


# Assessment (pandas) --------------------------------------------------------------------------


def _counted_findings(rows: pd.DataFrame, params: AuditAnomalies.Params) -> list[Finding]:
    """Each account's count against its peers': the same post at the same office, or at every
    office when it has no peer there. Accounts without any peer are not tested."""
    findings = []
    for row in rows.sort_values(UNIT).itertuples(index=False):
        peers = _peers(rows, row)
        if peers is None:
            continue
        findings.append(_counted_finding(row, peers, params))
    return findings


def _peers(rows: pd.DataFrame, row) -> dict | None:
    others = rows[(rows["user_id"] != row.user_id) & (rows["post"] == row.post)]
    for scope, group in (
        (f"{row.post} accounts at {row.office_code}", others[others["office_code"] ==
                                                             row.office_code]),
        (f"{row.post} accounts at every office", others),
    ):  # fmt: skip
        if group["exposure"].sum() > 0:
            return {
                "peer_group": scope,
                "accounts": int(group["user_id"].nunique()),
                "events": int(group["events"].sum()),
                "exposure": int(group["exposure"].sum()),
            }
    return None


def _counted_finding(row, peers: dict, params: AuditAnomalies.Params) -> Finding:
    what, over = COUNTED[row.mechanism]
    o = int(row.events)
    # An account can act on declarations it never handled: count them as handled at least.
    n = max(int(row.exposure), o)
    o_peers, n_peers = peers["events"], peers["exposure"]
    p = float(binomial_test(o, o + o_peers, n / (n + n_peers))) if o else 1.0
    expected = n * o_peers / n_peers
    # With no event among the peers the ratio is unbounded above; its lower limit still says
    # how many times the peers' rate the account's is at least.
    ratio = rate_ratio(o, n, o_peers, n_peers) if o else None
    material = o >= params.min_events and (
        o_peers == 0 or o / n >= params.min_ratio * o_peers / n_peers
    )
    broker = _dominant_broker(row, params)
    subjects = _staff(row.user_id, row.post)
    if broker:
        subjects["declarant_id"] = broker
    did = what.format(n=o, s="" if o == 1 else "s")
    summary = (
        f"{_account(row.user_id, row.post)} ({row.post}, {row.office_code}) {did}"
        + (f", {int(row.broker_events)} of them of broker {broker}" if broker else "")
        + f"; {peers['peer_group']} did so {o_peers} time{'' if o_peers == 1 else 's'} in "
        f"{n_peers:,} {over} ({_expected_words(expected)} at their rate; {{q}})."
    )
    return Finding(
        subjects=subjects,
        # The events' period, or for an account without any the period of its exposure.
        period_start=_day(row.first_at if o else row.exposure_from),
        period_end=_day(row.last_at if o else row.exposure_to),
        score=max(0.0, o - expected),
        summary=summary,
        evidence={
            "mechanism": row.mechanism,
            "office_code": row.office_code,
            "post": row.post,
            "events": o,
            "counted_over": over,
            "exposure": n,
            "rate": rate(o, n),
            "peers": peers,
            "peer_rate": rate(o_peers, n_peers),
            "expected_at_peer_rate": expected,
            "rate_ratio": None if ratio is None else _finite(ratio.estimate),
            "rate_ratio_ci95": None if ratio is None else [ratio.low, _finite(ratio.high)],
            "own_history": {
                "first_event": _stamp(row.first_at),
                "last_event": _stamp(row.last_at),
                "exposure_before_first_event_day": _int(row.exposure_before),
            },
            "broker": _broker_evidence(row, broker),
            "test": "exact conditional binomial test of two Poisson rates: the account's "
            "events among its and its peers' events, against its share of the exposure",
        },
        p_value=p,
        flagged=bool(material),
        office_code=row.office_code,
    )


def _expected_words(expected: float) -> str:
    return f"about {expected:.1f} expected" if expected else "none expected"


def _dominant_broker(row, params: AuditAnomalies.Params) -> str | None:
    if not row.events or pd.isna(row.broker_events):
        return None
    enough = row.broker_events >= params.min_events
    dominant = row.broker_events >= params.dominant_share * row.events
    return row.broker if enough and dominant else None


def _broker_evidence(row, broker: str | None) -> dict | None:
    if broker is None:
        return None
    return {
        "declarant_id": broker,
        "events": int(row.broker_events),
        "share_of_events": rate(row.broker_events, row.events),
        "broker_exposure": _int(row.broker_exposure),
        "broker_share_of_exposure": rate(_int(row.broker_exposure) or 0, row.exposure),
    }


def _burst_findings(rows: pd.DataFrame, params: AuditAnomalies.Params) -> list[Finding]:
    """Each exporting account's busiest window, against its own other days and its peers:
    the exporting accounts in the same post at the same office."""
    offices = rows["office_code"].fillna("")
    findings = []
    for row in rows.sort_values("user_id").itertuples(index=False):
        office = "" if pd.isna(row.office_code) else row.office_code
        peers = rows[
            (rows["post"] == row.post) & (offices == office) & (rows["user_id"] != row.user_id)
        ]
        findings.append(_burst_finding(row, peers, params))
    return findings


def _burst_finding(row, peers: pd.DataFrame, params: AuditAnomalies.Params) -> Finding:
    peer_busiest = int(peers["events"].max()) if len(peers) else 0
    usual = max(int(row.usual), peer_busiest, 1)
    burst, minutes = int(row.events), params.burst_minutes
    where = f"{row.post}, {_office(row.office_code) or 'no office'}"
    return Finding(
        subjects=_staff(row.user_id, row.post),
        period_start=_day(row.first_at),
        period_end=_day(row.last_at),
        score=float(burst - usual),
        summary=(
            f"{_account(row.user_id, row.post)} ({where}) ran {burst} data exports within "
            f"{minutes} minutes from {pd.Timestamp(row.first_at):%a %Y-%m-%d %H:%M}"
            f"{_unusual_access(row, params)}; {_usual_words(int(row.usual), minutes)}, other "
            f"{row.post} accounts there at most {peer_busiest}."
        ),
        evidence={
            "mechanism": "export_burst",
            "office_code": _office(row.office_code),
            "post": row.post,
            "exports_in_window": burst,
            "window_minutes": minutes,
            "window_start": _stamp(row.first_at),
            "window_end": _stamp(row.last_at),
            "exported": row.detail,
            "own_busiest_window_other_days": int(row.usual),
            "exports_before_burst": _int(row.exposure_before),
            "exports_in_all": int(row.exposure),
            "peers": f"{where.replace(', ', ' accounts at ')}",
            "peer_accounts_exporting": len(peers),
            "peers_busiest_window": peer_busiest,
            **_access_evidence(row, params),
            "rule": f"at least {params.min_burst} exports and {params.burst_ratio:g} times the "
            "busiest window of the account on other days and of its peers",
        },
        p_value=None,
        flagged=burst >= params.min_burst and burst >= params.burst_ratio * usual,
        office_code=_office(row.office_code),
    )


def _account(user: str, post: str) -> str:
    return f"Officer {user}" if post != NO_POSTING else f"Account {user}"


def _usual_words(usual: int, minutes: int) -> str:
    if usual == 0:
        return "they had run no export on any other day"
    return f"on any other day they ran at most {usual} in {minutes} minutes"


def _grant_findings(rows: pd.DataFrame, params: AuditAnomalies.Params) -> list[Finding]:
    ordered = rows.sort_values(["first_at", "user_id", "grantee"])
    return [
        _grant_finding(row, rows[rows["user_id"] == row.user_id], params)
        for row in ordered.itertuples(index=False)
    ]


def _grant_finding(row, administrators: pd.DataFrame, params: AuditAnomalies.Params) -> Finding:
    """One role granted, against the grantee's postings and the administrator's habits
    (`administrators`: all the grants this administrator made)."""
    gap = None if pd.isna(row.posting_gap_days) else int(row.posting_gap_days)
    explained = gap is not None and gap <= params.posting_days
    rare = _rare_workstation(row, params)
    no_posting = f"no posting of the grantee starting or ending within {params.posting_days} days"
    registered = row.grantee_post != NO_POSTING
    grantee = (
        f"{row.grantee_post} {row.grantee} ({_office(row.office_code)})"
        if registered
        else f"account {row.grantee} (no posting in the HR register)"
    )
    return Finding(
        # The grantee is an officer only when the HR register knows the account.
        subjects={"user_id": row.user_id, **({"officer_id": row.grantee} if registered else {})},
        period_start=_day(row.first_at),
        period_end=_day(row.first_at),
        score=float(not explained) + float(bool(row.off_hours)) + float(rare),
        summary=(
            f"Administrator {row.user_id} ({row.post}) granted the role {row.detail} to "
            f"{grantee} on {pd.Timestamp(row.first_at):%a %Y-%m-%d %H:%M}"
            f"{_unusual_access(row, params)}" + ("" if explained else f", with {no_posting}") + "."
        ),
        evidence={
            "mechanism": "role_grant",
            "role": row.detail,
            "administrator_post": row.post,
            "grantee": row.grantee,
            "grantee_post": row.grantee_post,
            "grantee_office": _office(row.office_code),
            "days_to_nearest_posting_change": gap,
            "explained_by_posting": explained,
            "granted_at": _stamp(row.first_at),
            **_access_evidence(row, params),
            "administrator_grants": len(administrators),
            "administrator_grants_outside_office_hours": int(administrators["off_hours"].sum()),
            "rule": f"{no_posting}, and outside office hours or from a workstation the "
            f"administrator used on under {params.rare_workstation_share:.0%} of the days they "
            "were active",
        },
        p_value=None,
        flagged=bool(not explained and (bool(row.off_hours) or rare)),
        office_code=_office(row.office_code),
    )


def _rare_workstation(row, params: AuditAnomalies.Params) -> bool:
    share = row.workstation_share
    return not pd.isna(share) and share < params.rare_workstation_share


def _unusual_access(row, params: AuditAnomalies.Params) -> str:
    """ ", outside office hours, from workstation W they rarely use" — or nothing."""
    words = [", outside office hours"] if row.off_hours else []
    if _rare_workstation(row, params):
        share = f"{row.workstation_share:.1%}"
        words.append(f", from workstation {row.workstation} (used on {share} of their active days)")
    return "".join(words)


def _access_evidence(row, params: AuditAnomalies.Params) -> dict:
    return {
        "outside_office_hours": bool(row.off_hours),
        "office_hours": office_hours_text(params),
        "workstation": row.workstation,
        "workstation_share_of_active_days": None
        if pd.isna(row.workstation_share)
        else float(row.workstation_share),
    }


def _staff(user: str, post: str) -> dict[str, str]:
    """An account's subjects: the account, and the officer when it belongs to one."""
    return {"user_id": user, **({"officer_id": user} if post != NO_POSTING else {})}


def _office(codes) -> str | None:
    """The office of an account's posting (the first when it held several that day)."""
    return None if codes is None or pd.isna(codes) else str(codes).split(",")[0]


def _day(value):
    return pd.Timestamp(value).date() if value is not None and not pd.isna(value) else None


def _stamp(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat(sep=" ")


def _finite(value: float) -> float | None:
    return None if np.isinf(value) else float(value)


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
