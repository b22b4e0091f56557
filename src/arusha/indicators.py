"""The indicators table: per officer, office, declarant and trader, per office and month, the
figures behind the detectors and the facilitation indicators of Customs performance contracts.

`arusha analyze` writes it as `indicators.parquet` beside the alerts; scorecards and the
monitoring of anti-corruption measures read it. It is long: one row per subject, office,
month (of lodgement) and indicator, with the numerator and denominator beside the value, so
that a reader can add months or offices up (sum the numerators and the denominators) instead of
averaging rates. docs/data-contract.md defines every indicator.

The facilitation indicators are those of the performance contracts Cameroon Customs signed with
its inspectors in 2010 (share of declarations processed on the day of lodgement, in five days or
more, not within a month) and Madagascar in 2016 (release times). They are computed by cohort
of lodgement: a share counts only declarations lodged early enough for the whole period it
asks about to lie inside the data, so the last weeks of an export, whose slow declarations
are not yet released, do not look fast.

Everything is Ibis over the working tables: one scan and one grouped aggregation per level,
whose wide rows are turned long by unnesting an array of structs, so the same expression runs
on DuckDB or Spark. The result has a row per subject, office, month and indicator: in the
simulated administration about two per declaration, most of them for traders, each of whom
lodges little.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir

from arusha.contract.schema import OutputColumn
from arusha.detectors.control_suppressed_findings import CENT
from arusha.detectors.peers import CONTROL_CHANNELS, channel_rank
from arusha.engine.tables import Tables

INDICATOR_COLUMNS: tuple[OutputColumn, ...] = (
    OutputColumn("level", "VARCHAR"),
    OutputColumn("subject_id", "VARCHAR"),
    OutputColumn("office_code", "VARCHAR"),
    OutputColumn("month", "DATE"),
    OutputColumn("indicator", "VARCHAR"),
    OutputColumn("numerator", "DOUBLE", required=False),
    OutputColumn("denominator", "DOUBLE", required=False),
    OutputColumn("value", "DOUBLE"),
)

# level -> the declaration column that names its subject
LEVELS = {
    "officer": "officer_id",
    "office": "office_code",
    "declarant": "declarant_id",
    "trader": "trader_id",
}
KEY = ("level", "subject_id", "office_code", "month", "indicator")  # unique; the sort order
SLOW_DAYS = 5  # Cameroon's contracts: declarations processed five or more days after lodgement
STALLED_DAYS = 30  # ... and those not processed within one month
NOT_SUMMED = {*LEVELS.values(), "month", "release_hours"}  # the facts that are not counts


def indicators(tables: Tables) -> ibis.Table:
    """The long indicators table, sorted by `KEY`."""
    facts = declaration_facts(tables.declarations)
    levels = [_long(_per_subject(facts, level, column)) for level, column in LEVELS.items()]
    table = ibis.union(*levels)
    typed = table.select(*(table[c.name].cast(c.sql_type.lower()) for c in INDICATOR_COLUMNS))
    return typed.order_by(list(KEY))


def write_indicators(tables: Tables, path: Path) -> Path:
    indicators(tables).to_parquet(path)
    return path


def declaration_facts(declarations: ibis.Table) -> ibis.Table:
    """One row per declaration: its subjects, the month of lodgement, and the 0/1 (or amount)
    columns whose sums are the numerators and denominators of the indicators."""
    d = declarations
    horizon = _horizon(d)
    selected = d.risk_channel.isin(CONTROL_CHANNELS)  # the risk engine asked for a control
    lowered = channel_rank(d.final_channel) < channel_rank(d.risk_channel)
    controlled = d.final_channel.isin(CONTROL_CHANNELS)  # a control was performed
    lodged_day = d.lodged_at.date()
    released = d.released_at.notnull()
    same_day_known = lodged_day < horizon.date()  # the whole day of lodgement is in the data
    slow_known = d.lodged_at + ibis.interval(days=SLOW_DAYS) <= horizon
    stalled_known = d.lodged_at + ibis.interval(days=STALLED_DAYS) <= horizon
    return d.select(
        *LEVELS.values(),
        month=d.lodged_at.truncate("M").date(),
        declarations=ibis.literal(1),
        selected=_count(selected),
        overridden=_count(selected & lowered),
        controlled=_count(controlled),
        discrepancy=_count(controlled & (d.inspection_outcome == "discrepancy")),
        uplifted=_count(controlled & (d.duties_assessed - d.duties_declared > CENT)),
        # in cents, as integers: sums of doubles depend on the order of addition, and reruns
        # must give the same bytes
        gap_cents=_cents(d.duties_assessed) - _cents(d.duties_declared),
        same_day_known=_count(same_day_known),
        same_day=_count(same_day_known & released & (d.released_at.date() == lodged_day)),
        slow_known=_count(slow_known),
        slow=_count(slow_known & _not_released_before(d, SLOW_DAYS)),
        stalled_known=_count(stalled_known),
        stalled=_count(stalled_known & _not_released_before(d, STALLED_DAYS)),
        release_hours=(d.released_at.epoch_seconds() - d.lodged_at.epoch_seconds()) / 3600,
    )


def _horizon(declarations: ibis.Table) -> ir.TimestampScalar:
    """The last moment the data speaks of: the latest lodgement, assignment or release. The
    export was taken no earlier, so an outcome due before it is known."""
    d = declarations
    latest = ibis.greatest(d.lodged_at, d.assigned_at, d.released_at)
    return d.aggregate(horizon=latest.max()).horizon.as_scalar()


def _not_released_before(d: ibis.Table, days: int) -> ir.BooleanValue:
    return d.released_at.isnull() | (d.released_at >= d.lodged_at + ibis.interval(days=days))


def _count(condition: ir.BooleanValue) -> ir.IntegerValue:
    return condition.fill_null(False).cast("int64")


def _cents(amount: ir.FloatingValue) -> ir.IntegerValue:
    return (amount * 100).round().cast("int64")


def _per_subject(facts: ibis.Table, level: str, column: str) -> ibis.Table:
    """One wide row per subject, office and month."""
    f = facts.filter(facts[column].notnull()).mutate(subject_id=facts[column])
    sums = [c for c in facts.columns if c not in NOT_SUMMED]
    return f.group_by(["subject_id", "office_code", "month"]).aggregate(
        level=ibis.literal(level),
        released=f.release_hours.count(),
        median_release_hours=f.release_hours.median(),
        **{c: f[c].sum() for c in sums},
    )


def _long(wide: ibis.Table) -> ibis.Table:
    """One row per indicator; an indicator whose denominator is zero has no row."""
    w = wide

    def share(numerator: str, denominator: str) -> tuple[ir.Value, ir.Value, ir.Value]:
        n, d = w[numerator].cast("float64"), w[denominator].cast("float64")
        return n, d, ibis.ifelse(d > 0, n / d, ibis.null("float64"))  # Spark's ANSI mode

    def total(amount: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
        a = amount.cast("float64")
        return a, ibis.null("float64"), a

    figures = {
        "declarations": total(w.declarations),
        "controlled_share": share("controlled", "declarations"),
        "override_rate": share("overridden", "selected"),
        "discrepancy_rate": share("discrepancy", "controlled"),
        "uplift_rate": share("uplifted", "controlled"),
        "duties_gap": total(w.gap_cents / 100),
        "released_same_day_share": share("same_day", "same_day_known"),
        "released_5_days_or_more_share": share("slow", "slow_known"),
        "not_released_within_30_days_share": share("stalled", "stalled_known"),
        "median_release_hours": (
            ibis.null("float64"),
            w.released.cast("float64"),
            w.median_release_hours.cast("float64"),
        ),
    }
    rows = ibis.array(
        [
            ibis.struct(
                {"indicator": ibis.literal(name), "numerator": n, "denominator": d, "value": v}
            )
            for name, (n, d, v) in figures.items()
        ]
    )
    long = w.select("level", "subject_id", "office_code", "month", row=rows.unnest()).unpack("row")
    return long.filter(long.denominator.isnull() | (long.denominator > 0))
