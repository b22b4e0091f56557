"""The sections of the data profile: each one query (in DuckDB) and what its template shows.

A section function takes the working database and returns the context of its template
`templates/profile/<id>.html.j2`. Charts are built in `arusha.profile.charts`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arusha.contract.schema import CHANNELS, TABLES, TABLES_BY_NAME, Kind
from arusha.profile import charts
from arusha.profile.db import Db
from arusha.report import Col, figure
from arusha.report.formatting import is_missing

Context = dict[str, Any]

REJECT_REASONS_PER_TABLE = 5
REJECT_SAMPLE_PER_REASON = 3
REJECT_SAMPLE_MAX = 100
REJECT_VALUE_CHARS = 120
TOP_DECLARANTS = 10
LISTED_MAX = 50
CHANNEL_LIST = list(CHANNELS)  # the SQL parameter giving each channel's rank of strictness


def loading(db: Db) -> Context:
    rows = db.records(
        """
        SELECT table_name, file, format, status, read, loaded, rejected,
               rejected / nullif(read, 0) AS reject_share, missing_columns, extra_columns, message
        FROM _load_summary
        ORDER BY coalesce(list_position(?, table_name), 999), table_name
        """,
        [[t.name for t in TABLES]],
    )
    for r in rows:
        spec = TABLES_BY_NAME.get(r["table_name"])
        optional = spec is not None and not spec.required
        r["table_label"] = f"{r['table_name']} (optional)" if optional else r["table_name"]
    return {
        "rows": rows,
        "refused": [r for r in rows if r["status"] == "refused"],
        "absent": [r["table_name"] for r in rows if r["status"] == "absent"],
        "totals": {k: sum(r[k] or 0 for r in rows) for k in ("read", "loaded", "rejected")},
        "columns": [
            Col("table_label", "Table"),
            Col("file", "File"),
            Col("status", "Status"),
            Col("read", "Rows read", "int"),
            Col("loaded", "Loaded", "int"),
            Col("rejected", "Rejected", "int"),
            Col("reject_share", "Rejected %", "pct"),
            Col("missing_columns", "Missing columns"),
            Col("extra_columns", "Extra columns (ignored)"),
            Col("message", "Message"),
        ],
    }


def rejects(db: Db) -> Context:
    reasons = db.records(
        """
        SELECT table_name, "column", reason, count(*) AS problems,
               count(*) / sum(count(*)) OVER (PARTITION BY table_name) AS share
        FROM _rejects
        GROUP BY table_name, "column", reason
        QUALIFY row_number() OVER (PARTITION BY table_name ORDER BY problems DESC, reason) <= ?
        ORDER BY table_name, problems DESC, reason
        """,
        [REJECT_REASONS_PER_TABLE],
    )
    sample = db.records(
        """
        SELECT table_name, "row", "column",
               CASE WHEN length(value) > $chars THEN left(value, $chars - 1) || '…'
                    ELSE value END AS value,
               reason
        FROM _rejects
        QUALIFY row_number() OVER (PARTITION BY table_name, reason ORDER BY "row") <= $per
        ORDER BY table_name, "row", "column"
        LIMIT $max
        """,
        {"chars": REJECT_VALUE_CHARS, "per": REJECT_SAMPLE_PER_REASON, "max": REJECT_SAMPLE_MAX},
    )
    return {
        "total": db.con.execute("SELECT count(*) FROM _rejects").fetchone()[0],
        "reasons": reasons,
        "reason_columns": [
            Col("table_name", "Table"),
            Col("column", "Column"),
            Col("reason", "Reason"),
            Col("problems", "Problems", "int"),
            Col("share", "Share of the table's problems", "pct"),
        ],
        "sample": sample,
        "sample_columns": [
            Col("table_name", "Table"),
            Col("row", "Row", "int"),
            Col("column", "Column"),
            Col("value", "Value as read"),
            Col("reason", "Reason"),
        ],
        "per_reason": REJECT_SAMPLE_PER_REASON,
        "sample_max": REJECT_SAMPLE_MAX,
    }


def period(db: Db) -> Context:
    dated = [
        (t.name, c.name)
        for t in TABLES
        if t.name in db.tables
        for c in t.columns
        if c.kind in (Kind.DATE, Kind.TIMESTAMP)
    ]
    ranges = (
        f"SELECT '{t}' AS table_name, '{c}' AS column_name, min(\"{c}\")::DATE AS first, "
        f'max("{c}")::DATE AS last, count("{c}") AS filled FROM "{t}"'
        for t, c in dated
    )
    rows = db.records(" UNION ALL ".join(ranges)) if dated else []
    lodged = next((r for r in rows if r["column_name"] == "lodged_at"), None)
    if lodged is not None and is_missing(lodged["first"]):
        lodged = None
    return {
        "rows": rows,
        "lodged": lodged,
        "columns": [
            Col("table_name", "Table"),
            Col("column_name", "Date column"),
            Col("first", "First", "date"),
            Col("last", "Last", "date"),
            Col("filled", "Rows with a value", "int"),
        ],
    }


def volumes(db: Db) -> Context:
    df = db.df(
        """
        WITH m AS (
            SELECT office_code, date_trunc('month', lodged_at) AS month, count(*) AS n
            FROM declarations GROUP BY ALL
        ),
        months AS (
            SELECT unnest(generate_series((SELECT min(month) FROM m), (SELECT max(month) FROM m),
                                          INTERVAL 1 MONTH)) AS month
        )
        SELECT o.office_code, strftime(months.month, '%Y-%m') AS month,
               coalesce(m.n, 0) AS declarations
        FROM (SELECT DISTINCT office_code FROM m) AS o
        CROSS JOIN months
        LEFT JOIN m ON m.office_code = o.office_code AND m.month = months.month
        ORDER BY o.office_code, months.month
        """
    )
    offices = (
        df.groupby("office_code", as_index=False)
        .agg(
            declarations=("declarations", "sum"),
            empty_months=("declarations", lambda s: int((s == 0).sum())),
        )
        .to_dict("records")
    )
    return {
        "total": int(df["declarations"].sum()),
        "months": df["month"].nunique(),
        "offices": offices,
        "office_columns": [
            Col("office_code", "Office"),
            Col("declarations", "Declarations", "int"),
            Col("empty_months", "Months with no declaration", "int"),
        ],
        "figure": None if df.empty else figure(charts.volumes(df), charts.VOLUMES_CAPTION),
    }


def channels(db: Db) -> Context:
    shares = db.df(
        """
        SELECT office_code, stage, channel, list_position($ch, channel) AS strictness, n,
               n / sum(n) OVER (PARTITION BY office_code, stage) AS share
        FROM (
            SELECT office_code, 'Risk engine' AS stage, risk_channel AS channel, count(*) AS n
            FROM declarations GROUP BY ALL
            UNION ALL
            SELECT office_code, 'Final', final_channel, count(*) FROM declarations GROUP BY ALL
        )
        ORDER BY office_code, stage DESC, strictness
        """,
        {"ch": CHANNEL_LIST},
    )
    offices = db.records(
        """
        SELECT office_code, count(*) AS declarations,
               avg((risk_channel IN ('yellow', 'red'))::INT) AS risk_controlled,
               avg((final_channel IN ('yellow', 'red'))::INT) AS final_controlled,
               avg((risk_channel = 'red')::INT) AS risk_red,
               avg((final_channel = 'red')::INT) AS final_red,
               avg((list_position($ch, final_channel) < list_position($ch, risk_channel))::INT)
                   AS less_strict
        FROM declarations GROUP BY office_code ORDER BY office_code
        """,
        {"ch": CHANNEL_LIST},
    )
    return {
        "offices": offices,
        "columns": [
            Col("office_code", "Office"),
            Col("declarations", "Declarations", "int"),
            Col("risk_controlled", "Yellow or red: risk engine", "pct"),
            Col("final_controlled", "Yellow or red: final", "pct"),
            Col("risk_red", "Red: risk engine", "pct"),
            Col("final_red", "Red: final", "pct"),
            Col("less_strict", "Processed in a less strict channel", "pct"),
        ],
        "figure": None
        if shares.empty
        else figure(charts.channels(shares), charts.CHANNELS_CAPTION),
    }


RELEASE_GROUPS = {
    "final_channel": ("Channel", "list_position($ch, final_channel)"),
    "office_code": ("Office", "office_code"),
}


def _release_times(db: Db, by: str) -> Context:
    label, order = RELEASE_GROUPS[by]
    df = db.df(
        f"""
        WITH d AS (
            SELECT {by} AS grp, {order} AS sort_key,
                   -- a release in the same minute counts as one minute: the chart's scale is log
                   CASE WHEN released_at IS NOT NULL
                        THEN greatest(date_diff('second', lodged_at, released_at) / 3600, 1 / 60)
                   END AS hours
            FROM declarations
        )
        SELECT grp, count(*) AS declarations, count(hours) AS released,
               1 - count(hours) / count(*) AS not_released,
               quantile_cont(hours, 0.10) AS p10, quantile_cont(hours, 0.25) AS p25,
               quantile_cont(hours, 0.50) AS p50, quantile_cont(hours, 0.75) AS p75,
               quantile_cont(hours, 0.90) AS p90
        FROM d GROUP BY grp, sort_key ORDER BY sort_key
        """,
        {"ch": CHANNEL_LIST} if "$ch" in order else None,
    )
    released = df[df["released"] > 0]
    caption = charts.RELEASE_CAPTION.format(group=label.lower())
    return {
        "label": label,
        "rows": df.to_dict("records"),
        "columns": [
            Col("grp", label),
            Col("declarations", "Declarations", "int"),
            Col("not_released", "Not released", "pct"),
            Col("p25", "A quarter released within", "hours"),
            Col("p50", "Half released within (median)", "hours"),
            Col("p75", "Three quarters released within", "hours"),
            Col("p90", "90% released within", "hours"),
        ],
        "figure": None if released.empty else figure(charts.release(released, label), caption),
    }


def release(db: Db) -> Context:
    return {"by": [_release_times(db, "final_channel"), _release_times(db, "office_code")]}


def officers(db: Db) -> Context:
    df = db.df(
        """
        SELECT office_code, post, grouping(post) = 1 AS all_posts,
               count(DISTINCT officer_id) AS officers,
               count(DISTINCT officer_id) FILTER (WHERE end_date IS NULL) AS current
        FROM officers
        GROUP BY GROUPING SETS ((office_code, post), (office_code))
        ORDER BY office_code, post
        """
    )
    per_post = df[~df["all_posts"]]
    posts = sorted(per_post["post"].unique())
    wide = per_post.pivot(index="office_code", columns="post", values="officers").fillna(0)
    totals = df[df["all_posts"]].set_index("office_code")
    rows = [
        {
            "office_code": office,
            **{f"post:{p}": wide.at[office, p] for p in posts},
            "officers": totals.at[office, "officers"],
            "current": totals.at[office, "current"],
        }
        for office in totals.index
    ]
    return {
        "rows": rows,
        "columns": [
            Col("office_code", "Office"),
            *(Col(f"post:{p}", p, "int") for p in posts),
            Col("officers", "Officers, all posts", "int"),
            Col("current", "Still in post", "int"),
        ],
    }


def declarants(db: Db) -> Context:
    rows = db.records(
        """
        WITH c AS (SELECT declarant_id, count(*) AS n FROM declarations GROUP BY ALL),
        r AS (
            SELECT declarant_id, n, n / sum(n) OVER () AS share,
                   row_number() OVER (ORDER BY n DESC, declarant_id) AS rank,
                   sum(n) OVER (ORDER BY n DESC, declarant_id ROWS UNBOUNDED PRECEDING)
                       / sum(n) OVER () AS cumulative,
                   count(*) OVER () AS declarants
            FROM c
        ),
        h AS (SELECT *, min(rank) FILTER (WHERE cumulative >= 0.5) OVER () AS half FROM r)
        SELECT h.*, p.name FROM h LEFT JOIN parties AS p ON p.party_id = h.declarant_id
        WHERE rank <= ? ORDER BY rank
        """,
        [TOP_DECLARANTS],
    )
    return {
        "rows": rows,
        "top": rows[-1] if rows else None,
        "first": rows[0] if rows else None,
        "columns": [
            Col("rank", "Rank", "int"),
            Col("declarant_id", "Declarant"),
            Col("name", "Name"),
            Col("n", "Declarations", "int"),
            Col("share", "Share", "pct"),
            Col("cumulative", "Cumulative share", "pct"),
        ],
    }


def listing(sql: str, *columns: Col) -> Callable[[Db], Context]:
    """A section that lists `sql`'s rows (at most LISTED_MAX: its one parameter) as a table."""

    def build(db: Db) -> Context:
        return {"rows": db.records(sql, [LISTED_MAX]), "columns": list(columns)}

    return build


audit_events = listing(
    """
    SELECT action, count(*) AS events, count(DISTINCT user_id) AS users,
           min(occurred_at)::DATE AS first, max(occurred_at)::DATE AS last
    FROM audit_events GROUP BY action ORDER BY events DESC, action LIMIT ?
    """,
    Col("action", "Action"),
    Col("events", "Events", "int"),
    Col("users", "Accounts", "int"),
    Col("first", "First", "date"),
    Col("last", "Last", "date"),
)

risk_rules = listing(
    """
    SELECT channel, count(*) AS rules, count(hs_prefix) AS on_hs, count(trader_id) AS on_trader
    FROM risk_rules GROUP BY channel ORDER BY channel DESC LIMIT ?
    """,
    Col("channel", "Channel the rule sends to"),
    Col("rules", "Rules", "int"),
    Col("on_hs", "Targeting an HS code", "int"),
    Col("on_trader", "Targeting a trader", "int"),
)

interests = listing(
    """
    SELECT relation, count(*) AS declared, count(DISTINCT officer_id) AS officers,
           count(registration_no) AS with_registration
    FROM interests GROUP BY relation ORDER BY declared DESC, relation LIMIT ?
    """,
    Col("relation", "Relation"),
    Col("declared", "Entries", "int"),
    Col("officers", "Officers", "int"),
    Col("with_registration", "With a company registration", "int"),
)

enforcement_cases = listing(
    """
    SELECT office_code, offence, count(*) AS cases, count(declaration_id) AS linked,
           min(detected_on) AS first, max(detected_on) AS last
    FROM enforcement_cases GROUP BY ALL ORDER BY office_code, cases DESC, offence LIMIT ?
    """,
    Col("office_code", "Office"),
    Col("offence", "Offence"),
    Col("cases", "Cases", "int"),
    Col("linked", "Linked to a declaration", "int"),
    Col("first", "First", "date"),
    Col("last", "Last", "date"),
)

interventions = listing(
    """
    SELECT intervention_id, name, start_date, office_codes
    FROM interventions ORDER BY start_date, intervention_id LIMIT ?
    """,
    Col("intervention_id", "Id"),
    Col("name", "Measure"),
    Col("start_date", "Started", "date"),
    Col("office_codes", "Offices"),
)
