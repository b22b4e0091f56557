"""rules.tampering — risk rules switched off or edited away, irregularly, while someone benefits."""

from __future__ import annotations

from datetime import date

import ibis
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
from arusha.detectors.peers import CONTROL_CHANNELS, rate
from arusha.detectors.shared import left_join
from arusha.engine.detector import Detector, Finding
from arusha.engine.tables import Tables
from arusha.stats import binomial_test, poisson_test

DISABLE, ENABLE, EDIT = "disable_risk_rule", "enable_risk_rule", "edit_risk_rule"
HOUR = 3600.0
# What an edit's old_value says the rule targeted before it, when it names it ("hs_prefix=2402").
IRREGULAR_WORDS = {"post": "by a post that does not maintain rules",
                   "hours": "outside office hours",
                   "workstation": "from a workstation the account rarely uses"}  # fmt: skip
OLD_TARGET = {"hs_prefix": r"hs_prefix=(\d+)", "trader_id": r"trader_id=([^\s;,]+)"}


class RulesTampering(Detector):
    """Risk rules disabled, or edited so that they stop matching, for a window in which the
    declarations they target went through green, when the change was made by an account whose
    post does not maintain rules (by default only risk analysts do), outside office hours or
    from a workstation the account rarely uses.
    The selectivity engine is only as honest as its rules: switching a rule off for a night
    while a trader it targets pushes consignments through, then switching it back on, leaves
    no trace in the declarations themselves, only in the audit trail.

    Each disable is paired with the enable that followed it, each edit with the next edit of
    the same rule; the window between them is compared with the target's own declarations
    (the rule's trader, or goods under its HS prefix as it was before an edit) in the
    surrounding weeks: how many were lodged in the window and released green, against how
    many would have ended green at the share seen outside it. The trader named is the rule's
    trader, or, for a rule on goods, a trader whose declarations cluster in the window far
    beyond their usual pace. Routine maintenance — risk analysts in office hours, rules
    switched off and back within the hour — does not alert unless a single trader pushed a
    large number of declarations through while the rule was off."""

    id = "rules.tampering"
    title = "Risk rules switched off for someone's benefit"
    reference = (
        "WCO Revised Arusha Declaration (2003), factors 4 (Automation: selectivity rules "
        "limit discretion) and 6 (Audit and investigation: the audit trail of the clearance "
        "system); WCO Customs Risk Management Compendium (2011), vol. 1; WCO Integrity "
        "Development Guide (2014)"
    )
    needs = ("declarations", "items", "officers", "audit_events", "risk_rules")

    class Params(AuditTrailParams):
        maintainer_posts: list[str] = Field(
            default_factory=lambda: ["risk_analyst"],
            description="posts (officers.csv) whose work includes maintaining risk rules",
        )
        min_benefit: float = Field(
            3.0,
            ge=1,
            description="an irregular change alerts when at least this many targeted "
            "declarations were released green in its window beyond the number expected",
        )
        extreme_benefit: float = Field(
            10.0,
            ge=1,
            description="any short window alerts, even in routine hands, when one trader had "
            "at least this many declarations released green in it beyond its usual pace",
        )
        max_window_hours: float = Field(
            72.0,
            gt=0,
            description="longest window (hours) that counts as switching a rule off and back "
            "on; longer ones are changes of policy",
        )
        comparison_days: int = Field(
            90,
            ge=1,
            description="days before and after a window whose declarations of the target "
            "show its usual channels and pace",
        )
        chance_p: float = Field(
            0.001,
            gt=0,
            lt=1,
            description="the green declarations of a window count as a benefit, and a trader "
            "as its beneficiary, only when chance would give that many with at most this "
            "probability (at the green share, or the trader's pace, outside the window)",
        )

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        events = tables.audit_events
        windows = _windows(events, tables.risk_rules, tables.declarations, params)
        targeted = _targeted(tables, windows)
        # Every part is keyed by window_id and joined to the windows once: a star, so that the
        # backend computes the windows once rather than once per chained step.
        parts = [
            *_accounts(windows, events, tables.officers),
            _benefit(targeted),
            _main_office(targeted),
            _top_beneficiary(targeted, windows),
        ]
        result = windows
        for part in parts:
            result = left_join(result, part, ["window_id"])
        return result

    def assess(self, measures: pd.DataFrame, params: Params) -> list[Finding]:
        rows = measures.sort_values(["opened_at", "window_id"])
        return [_finding(row, params) for row in rows.itertuples(index=False)]


# Windows (Ibis) -------------------------------------------------------------------------------


def _windows(
    events: ibis.Table,
    rules: ibis.Table,
    declarations: ibis.Table,
    params: RulesTampering.Params,
) -> ibis.Table:
    """One row per disable (closed by the enable that followed it) and per edit (closed by the
    next edit of the rule), with the rule's target before the change, whether each end was
    outside office hours, and the comparison period around it (within the data's span)."""
    changes = events.filter(events.action.isin([DISABLE, ENABLE, EDIT]))
    changes = changes.mutate(family=ibis.ifelse(changes.action == EDIT, "edit", "toggle"))
    order = ibis.window(group_by=["object_id", "family"], order_by=["occurred_at", "event_id"])
    # A disable of a rule already disabled (or an enable of one already on) changes nothing;
    # an edit that puts back what the previous edit replaced closes a window, opening none.
    changes = changes.mutate(
        _previous=changes.action.lag().over(order), _replaced=changes.old_value.lag().over(order)
    )
    toggled = (changes.action != changes._previous) | changes._previous.isnull()
    changes = changes.filter((changes.family == "edit") | toggled)
    restoring = (changes.family == "edit") & (changes.new_value == changes._replaced)
    changes = changes.mutate(_restoring=restoring.fill_null(False))
    changes = changes.mutate(
        closed_at=_.occurred_at.lead().over(order),
        closed_by=_.user_id.lead().over(order),
        closed_from=_.workstation.lead().over(order),
        _closing_value=_.new_value.lead().over(order),
    )
    opened = changes.filter(changes.action.isin([DISABLE, EDIT]) & ~changes._restoring)
    restored = ibis.ifelse(
        opened.action == EDIT,
        opened._closing_value == opened.old_value,
        opened.closed_at.notnull(),
    )
    opened = opened.select(
        window_id=opened.event_id,
        rule_id=opened.object_id,
        action=opened.action,
        old_value=opened.old_value,
        new_value=opened.new_value,
        opened_at=opened.occurred_at,
        opened_by=opened.user_id,
        opened_from=opened.workstation,
        closed_at=opened.closed_at,
        closed_by=opened.closed_by,
        closed_from=opened.closed_from,
        restored=restored.fill_null(False),
    )
    span = declarations.aggregate(first=_.lodged_at.min(), last=_.lodged_at.max())
    days = ibis.interval(days=params.comparison_days)
    opened = opened.cross_join(span).mutate(window_end=_.closed_at.fill_null(_.last))
    opened = opened.mutate(
        compare_from=ibis.greatest(_.opened_at - days, _.first),
        compare_to=ibis.least(_.window_end + days, _.last + ibis.interval(seconds=1)),
        opened_off_hours=off_hours(_.opened_at, params),
        closed_off_hours=off_hours(_.closed_at, params),
    ).drop("first", "last")
    rules = rules.select(
        rule_id_=rules.rule_id,
        rule_description=rules.description,
        rule_channel=rules.channel,
        rule_prefix=rules.hs_prefix,
        rule_trader=rules.trader_id,
    )
    joined = opened.left_join(rules, opened.rule_id == rules.rule_id_).drop("rule_id_")
    edited = joined.action == EDIT
    return joined.mutate(
        target_prefix=ibis.ifelse(edited, _old_target(joined, "hs_prefix"), ibis.null("string"))
        .coalesce(joined.rule_prefix),
        target_trader=ibis.ifelse(edited, _old_target(joined, "trader_id"), ibis.null("string"))
        .coalesce(joined.rule_trader),
    )  # fmt: skip


def _old_target(windows: ibis.Table, field: str) -> ibis.StringValue:
    return windows.old_value.re_extract(OLD_TARGET[field], 1).nullif("")


def _accounts(windows: ibis.Table, events: ibis.Table, officers: ibis.Table) -> list[ibis.Table]:
    """Who opened and who closed each window: their posts that day (`opened_posts`, ...) and
    how usual the workstation was for them (`opened_from_share`, ...), keyed by window_id."""
    parts = []
    for side in ("opened", "closed"):
        acted = windows.filter(windows[f"{side}_by"].notnull())
        posts = posts_on_day(acted, officers, "window_id", f"{side}_by", f"{side}_at")
        parts.append(posts.rename({f"{side}_posts": "posts", f"{side}_offices": "offices"}))
        share = workstation_share(acted, events, "window_id", f"{side}_by", f"{side}_from")
        parts.append(share.rename({f"{side}_from_share": "workstation_share"}))
    return parts


# Benefit (Ibis) -------------------------------------------------------------------------------


def _targeted(tables: Tables, windows: ibis.Table) -> ibis.Table:
    """The declarations each window's rule targets, lodged in the calendar months its
    comparison period touches: window_id, trader_id, office_code, final_channel, released_at,
    `inside` (lodged in the window) and `outside` (in the rest of the comparison period).

    Declarations are joined to windows on the target and the month only, and the exact
    periods are applied by the aggregations that follow: joined on the periods themselves,
    DuckDB plans a merge join on the time ranges that holds far more in memory."""
    d = tables.declarations.mutate(month=_.lodged_at.truncate("M"))
    months = windows.select(
        "window_id", "target_prefix", "target_trader", "opened_at", "window_end",
        "compare_from", "compare_to",
        month=ibis.range(windows.compare_from.truncate("M"), windows.compare_to,
                         ibis.interval(months=1)).unnest(),
    )  # fmt: skip
    by_trader = months.filter(months.target_prefix.isnull() & months.target_trader.notnull())
    of_trader = d.join(by_trader, [d.trader_id == by_trader.target_trader, "month"])

    by_goods = months.filter(months.target_prefix.notnull())
    prefixes = by_goods.select("target_prefix").distinct()
    items = tables.items
    hits = items.join(prefixes, items.hs_code.startswith(prefixes.target_prefix))
    hits = hits.select(hit_id=hits.declaration_id, hit_prefix=hits.target_prefix).distinct()
    # DISTINCT (the rows are unique already) keeps the backend from joining the declarations
    # to the windows on the month alone before the prefix narrows them.
    goods = d.join(hits, d.declaration_id == hits.hit_id).distinct()
    of_goods = goods.join(by_goods, [goods.hit_prefix == by_goods.target_prefix, "month"])
    # A rule on goods and a trader targets that trader's goods only.
    of_goods = of_goods.filter(
        of_goods.target_trader.isnull() | (of_goods.trader_id == of_goods.target_trader)
    )
    return of_trader.select(*_targeted_columns(of_trader)).union(
        of_goods.select(*_targeted_columns(of_goods))
    )


def _targeted_columns(t: ibis.Table) -> list[ibis.Value]:
    inside = (t.lodged_at >= t.opened_at) & (t.lodged_at < t.window_end)
    compared = (t.lodged_at >= t.compare_from) & (t.lodged_at < t.compare_to)
    return [t.window_id, t.trader_id, t.office_code, t.final_channel, t.released_at,
            inside.name("inside"), (compared & ~inside).name("outside")]  # fmt: skip


def _benefit(targeted: ibis.Table) -> ibis.Table:
    """Per window: the targeted declarations lodged inside and outside it, and how they
    ended. Green inside counts only when released (it was waved through)."""
    green = targeted.final_channel == "green"
    controlled = targeted.final_channel.isin(CONTROL_CHANNELS)
    waved = green & targeted.released_at.notnull()
    inside, outside = targeted.inside, targeted.outside
    return targeted.group_by("window_id").aggregate(
        targeted_inside=inside.sum(),
        released_green_inside=(inside & waved).sum(),
        controlled_inside=(inside & controlled).sum(),
        targeted_outside=outside.sum(),
        green_outside=(outside & green).sum(),
        controlled_outside=(outside & controlled).sum(),
    )


def _main_office(targeted: ibis.Table) -> ibis.Table:
    """The office where most of the window's targeted declarations were lodged."""
    per_office = targeted.group_by(["window_id", "office_code"]).aggregate(k=_.inside.sum())
    per_office = per_office.filter(per_office.k > 0)
    top = first_of(per_office, ["window_id"], [per_office.k.desc(), per_office.office_code])
    return top.select("window_id", main_office=_.office_code)


def _top_beneficiary(targeted: ibis.Table, windows: ibis.Table) -> ibis.Table:
    """Per window, the trader whose declarations released green in it most exceed the number
    of declarations it lodges in such a span at its pace in the rest of the comparison
    period."""
    per_trader = targeted.group_by(["window_id", "trader_id"]).aggregate(
        trader_inside=_.inside.sum(),
        trader_green_inside=(
            _.inside & (_.final_channel == "green") & _.released_at.notnull()
        ).sum(),
        trader_outside=_.outside.sum(),
        trader_controlled_outside=(_.outside & _.final_channel.isin(CONTROL_CHANNELS)).sum(),
    )
    per_trader = per_trader.filter((_.trader_inside > 0) | (_.trader_outside > 0))
    # Seconds cast to float before dividing: Spark types a float literal as DECIMAL, and
    # integer / decimal there is decimal arithmetic rounded to six places.
    inside = (_.window_end.epoch_seconds() - _.opened_at.epoch_seconds()).cast("float64")
    whole = (_.compare_to.epoch_seconds() - _.compare_from.epoch_seconds()).cast("float64")
    spans = windows.select("window_id", inside_hours=inside / HOUR,
                           outside_hours=(whole - inside) / HOUR)  # fmt: skip
    t = per_trader.join(spans, "window_id")
    pace = t.trader_outside.cast("float64") * t.inside_hours / ibis.greatest(
        t.outside_hours, ibis.literal(1.0, "float64")
    )
    t = t.mutate(trader_expected_inside=pace)
    t = t.mutate(_excess=t.trader_green_inside - t.trader_expected_inside)
    top = first_of(t, ["window_id"], [t._excess.desc(), t.trader_id])
    return top.drop("_excess", "inside_hours", "outside_hours")


# Assessment (pandas, per window) --------------------------------------------------------------


def _finding(row, params: RulesTampering.Params) -> Finding:
    opened, end = pd.Timestamp(row.opened_at), pd.Timestamp(row.window_end)
    hours = (end - opened).total_seconds() / HOUR
    inside = _count(row.targeted_inside)
    waved = _count(row.released_green_inside)
    outside = _count(row.targeted_outside)
    green_share_outside = rate(_count(row.green_outside), outside)
    # Without declarations outside the window, every green one in it counts as waved through.
    usual_share = green_share_outside if green_share_outside is not None else 0.0
    expected = inside * usual_share
    benefit = max(0.0, waved - expected)
    p_chance = float(binomial_test(waved, inside, usual_share)) if inside else 1.0
    irregular = _irregularities(row, params)
    beneficiary = _beneficiary(row, params)
    short = bool(row.restored) and hours <= params.max_window_hours
    extreme = (
        short and beneficiary is not None and beneficiary["beyond_usual"] >= params.extreme_benefit
    )
    benefited = benefit >= params.min_benefit and p_chance <= params.chance_p
    flagged = (bool(irregular) and benefited) or extreme
    trader = beneficiary["trader_id"] if beneficiary else None
    subjects = {"user_id": row.opened_by, "rule_id": row.rule_id}
    if trader:
        subjects["trader_id"] = trader
    evidence = {
        "rule": {
            "rule_id": row.rule_id,
            "description": _text(row.rule_description),
            "channel": _text(row.rule_channel),
            "targets": _target_words(row),
        },
        "change": _change(row, hours, params),
        "irregularities": list(irregular.values()),
        "benefit": {
            "targeted_declarations_in_window": inside,
            "released_green_in_window": waved,
            "red_or_yellow_in_window": _count(row.controlled_inside),
            "targeted_declarations_outside_window": outside,
            "green_share_outside_window": green_share_outside,
            "red_or_yellow_share_outside_window": rate(_count(row.controlled_outside), outside),
            "expected_green_in_window": expected,
            "released_green_beyond_expected": benefit,
            "p_green_by_chance_binomial": p_chance,
            "comparison_period": [_date(row.compare_from), _date(row.compare_to)],
        },
        "beneficiary": beneficiary,
        "alerts_because": _because(irregular, benefited, extreme, params),
        "office_hours": office_hours_text(params),
    }
    return Finding(
        subjects=subjects,
        period_start=opened.date(),
        period_end=end.date(),
        score=benefit,
        summary=_summary(row, hours, irregular, waved, expected, beneficiary, green_share_outside),
        evidence=evidence,
        p_value=None,
        flagged=bool(flagged),
        office_code=_text(row.main_office),
    )


def _irregularities(row, params: RulesTampering.Params) -> dict[str, str]:
    """Why the change was not routine maintenance, in words, under "post" (an account whose
    post does not maintain rules), "hours" (outside office hours) and "workstation" (one the
    account rarely uses); empty when routine."""
    found: dict[str, list[str]] = {"post": [], "hours": [], "workstation": []}
    # The next change of a rule is the same person's doing only when it puts the rule back.
    sides = (("opened", "made"), ("closed", "undone")) if row.restored else (("opened", "made"),)
    for side, verb in sides:
        user = _text(getattr(row, f"{side}_by"))
        if user is None:
            continue
        posts = _text(getattr(row, f"{side}_posts")) or NO_POSTING
        if not set(posts.split(",")) & set(params.maintainer_posts):
            held = "no posting in the HR register" if posts == NO_POSTING else f"post {posts}"
            found["post"].append(f"{verb} by {user} ({held})")
        if bool(getattr(row, f"{side}_off_hours")):
            found["hours"].append(f"{verb} {pd.Timestamp(getattr(row, f'{side}_at')):%a %H:%M}")
        share = getattr(row, f"{side}_from_share")
        if not pd.isna(share) and share < params.rare_workstation_share:
            station = getattr(row, f"{side}_from")
            found["workstation"].append(f"{verb} from {station} (on {share:.1%} of its days)")
    words = {
        "post": "by an account whose post does not maintain risk rules: ",
        "hours": f"outside office hours ({office_hours_text(params)}): ",
        "workstation": "from a workstation the account used on few of the days it was active: ",
    }
    return {kind: words[kind] + ", ".join(items) for kind, items in found.items() if items}


def _beneficiary(row, params: RulesTampering.Params) -> dict | None:
    """The trader the window served: the rule's own trader, or for a rule on goods the trader
    whose declarations cluster in the window far beyond its usual pace."""
    trader = _text(row.trader_id)
    if trader is None:
        return None
    lodged, waved = _count(row.trader_inside), _count(row.trader_green_inside)
    expected = float(row.trader_expected_inside)
    p = float(poisson_test(lodged, expected)) if expected > 0 else (0.0 if lodged else 1.0)
    found = {
        "trader_id": trader,
        "declarations_in_window": lodged,
        "released_green_in_window": waved,
        "declarations_expected_in_window_at_usual_pace": expected,
        "beyond_usual": waved - expected,
        "p_clustering_poisson": p,
        "declarations_outside_window": _count(row.trader_outside),
        "red_or_yellow_share_outside_window": rate(
            _count(row.trader_controlled_outside), _count(row.trader_outside)
        ),
    }
    named_by_rule = _text(row.target_trader) == trader
    clustered = p <= params.chance_p and waved - expected >= params.min_benefit
    if not (named_by_rule or clustered):
        return None
    found["why_named"] = (
        "the rule's trader"
        if named_by_rule
        else ("its declarations cluster in the window far beyond its usual pace")
    )
    return found


def _because(irregular: dict, benefited: bool, extreme: bool, params) -> str:
    """Why the window alerts, or why not, in words."""
    reasons = []
    if irregular and benefited:
        reasons.append(
            f"irregular change, and at least {params.min_benefit:g} targeted declarations "
            "released green in the window beyond expectation"
        )
    if extreme:
        reasons.append(
            f"one trader had at least {params.extreme_benefit:g} declarations released green "
            "in a short window beyond its usual pace"
        )
    if reasons:
        return "; ".join(reasons)
    if irregular:
        return "not alerted: irregular change, but no benefit beyond chance"
    return "not alerted: routine change, without one trader pushing declarations through"


def _change(row, hours: float, params: RulesTampering.Params) -> dict:
    change = {"action": row.action, "old_value": _text(row.old_value),
              "new_value": _text(row.new_value), "restored": bool(row.restored),
              "window_hours": hours}  # fmt: skip
    for side in ("opened", "closed"):
        share = getattr(row, f"{side}_from_share")
        change[side] = {
            "at": None if pd.isna(getattr(row, f"{side}_at")) else
            pd.Timestamp(getattr(row, f"{side}_at")).isoformat(sep=" "),
            "by": _text(getattr(row, f"{side}_by")),
            "posts": _text(getattr(row, f"{side}_posts")),
            "offices": _text(getattr(row, f"{side}_offices")),
            "outside_office_hours": None if pd.isna(getattr(row, f"{side}_off_hours"))
            else bool(getattr(row, f"{side}_off_hours")),
            "workstation": _text(getattr(row, f"{side}_from")),
            "workstation_share_of_active_days": None if pd.isna(share) else float(share),
        }  # fmt: skip
    return change


def _summary(row, hours, irregular, waved, expected, beneficiary, green_share_outside) -> str:
    verb = "disabled" if row.action == DISABLE else "edited"
    opened, end = pd.Timestamp(row.opened_at), pd.Timestamp(row.window_end)
    until = "to the end of the data" if pd.isna(row.closed_at) else f"to {end:%Y-%m-%d %H:%M}"
    rule = f"rule {row.rule_id}"
    if _text(row.rule_description):
        rule += f" ({row.rule_description})"
    how = [IRREGULAR_WORDS[kind] for kind in irregular]
    sentence = (
        f"Account {row.opened_by} ({_text(row.opened_posts) or NO_POSTING}) {verb} {rule} "
        f"from {opened:%Y-%m-%d %H:%M} {until}{', ' + _listed(how) if how else ''}; "
        f"{waved} declaration{'' if waved == 1 else 's'} it targets "
        f"{'was' if waved == 1 else 'were'} released green in that window"
    )
    if beneficiary is not None:
        share = beneficiary["red_or_yellow_share_outside_window"]
        sentence += (
            f", {beneficiary['released_green_in_window']} of them of trader "
            f"{beneficiary['trader_id']}"
        )
        if share is not None:
            sentence += (
                f", whose declarations outside it ended red or yellow {share:.0%} of the time"
            )
    elif green_share_outside is not None:
        sentence += f" (about {expected:.1f} expected at the green share outside it)"
    return sentence + "."


def _listed(words: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 2 else words)


def _target_words(row) -> str:
    prefix, trader = _text(row.target_prefix), _text(row.target_trader)
    parts = ([f"goods under HS prefix {prefix}"] if prefix else []) + (
        [f"trader {trader}"] if trader else []
    )
    return " of ".join(parts) if parts else "unknown (rule not in risk_rules)"


def _count(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def _text(value) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _date(value) -> date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()
