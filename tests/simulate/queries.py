"""DuckDB over a simulated folder: typed views of the contract tables and the measures the
planted instances are checked with. Each measure is computed from the written files only."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, timedelta
from difflib import SequenceMatcher
from pathlib import Path

import duckdb

from arusha.contract.schema import SQL_TYPE, TABLES
from arusha.simulate.names import name_key

TIMESTAMP = "%Y-%m-%dT%H:%M:%S"
CONTROLLED = "('yellow', 'red')"
RELEASED_SOFT = "('green', 'blue')"


def connect(folder: Path, fmt: str = "csv") -> duckdb.DuckDBPyConnection:
    """A connection with one typed view per table of the folder."""
    con = duckdb.connect()
    for spec in TABLES:
        path = folder / f"{spec.name}.{fmt}"
        if fmt == "parquet":
            source = f"read_parquet('{path}')"
        else:
            columns = ", ".join(f"'{c.name}': '{SQL_TYPE[c.kind]}'" for c in spec.columns)
            source = (
                f"read_csv('{path}', header = true, columns = {{{columns}}}, "
                f"timestampformat = '{TIMESTAMP}', dateformat = '%Y-%m-%d', quote = '\"')"
            )
        con.execute(f"CREATE VIEW {spec.name} AS SELECT * FROM {source}")
    return con


def text_view(folder: Path) -> duckdb.DuckDBPyConnection:
    """Every CSV read as text, to check formats exactly as written."""
    con = duckdb.connect()
    for spec in TABLES:
        con.execute(
            f"CREATE VIEW {spec.name} AS SELECT * FROM read_csv('{folder / spec.name}.csv', "
            "header = true, all_varchar = true)"
        )
    return con


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> tuple:
    return con.execute(sql, list(params)).fetchone()


@dataclass(frozen=True)
class Truth:
    rows: list[dict[str, str]]

    @classmethod
    def read(cls, path: Path) -> Truth:
        with path.open(encoding="utf-8", newline="") as f:
            return cls(list(csv.DictReader(f)))

    def of(self, scheme: str) -> list[dict[str, str]]:
        return [r for r in self.rows if r["scheme"] == scheme]


def span(row: dict[str, str]) -> tuple[date, date]:
    return date.fromisoformat(row["period_start"]), date.fromisoformat(row["period_end"])


# Measures ------------------------------------------------------------------------------------


def officer_share(
    con: duckdb.DuckDBPyConnection,
    officer: str,
    party_column: str,
    party: str,
    office: str,
    first: date,
    last: date,
) -> tuple[float, int]:
    """Share of a broker's (or trader's) assigned declarations at an office the officer got."""
    share, n = one(
        con,
        f"""SELECT avg((officer_id = ?)::INT), count(*) FROM declarations
            WHERE {party_column} = ? AND office_code = ? AND officer_id IS NOT NULL
              AND lodged_at::DATE BETWEEN ? AND ?""",
        officer,
        party,
        office,
        first,
        last,
    )
    return share or 0.0, n


def examiners_on_duty(con: duckdb.DuckDBPyConnection, office: str, first: date, last: date):
    """Mean number of the office's examiners at work per day, from their daily logins."""
    (mean,) = one(
        con,
        """SELECT avg(n) FROM (SELECT count(DISTINCT e.user_id) AS n FROM audit_events e
           JOIN officers o ON o.officer_id = e.user_id AND o.post = 'examiner'
             AND o.office_code = ?
             AND e.occurred_at::DATE BETWEEN o.start_date AND coalesce(o.end_date, ?)
           WHERE e.action = 'login' AND e.occurred_at::DATE BETWEEN ? AND ?
           GROUP BY e.occurred_at::DATE)""",
        office,
        last,
        first,
        last,
    )
    return mean


def override_rate(con: duckdb.DuckDBPyConnection, where: str, *params: object):
    """Share of red/yellow declarations processed green or blue, and how many were red/yellow."""
    rate, n = one(
        con,
        f"""SELECT avg((final_channel IN {RELEASED_SOFT})::INT), count(*) FROM declarations
            WHERE risk_channel IN {CONTROLLED} AND {where}""",
        *params,
    )
    return rate or 0.0, n


def discrepancy_rate(con: duckdb.DuckDBPyConnection, where: str, *params: object):
    rate, n = one(
        con,
        f"""SELECT avg((inspection_outcome = 'discrepancy')::INT), count(*) FROM declarations
            WHERE final_channel IN {CONTROLLED} AND {where}""",
        *params,
    )
    return rate or 0.0, n


def expected_findings(con: duckdb.DuckDBPyConnection, officer: str, office: str, first, last):
    """Observed and expected discrepancies of an officer's controls, the expectation from
    peers at the office controlling the same main HS6 in the same channel."""
    return one(
        con,
        f"""WITH controls AS (
                SELECT d.officer_id, d.final_channel, left(i.hs_code, 6) AS hs6,
                       (d.inspection_outcome = 'discrepancy')::INT AS found
                FROM declarations d JOIN items i
                  ON i.declaration_id = d.declaration_id AND i.item_no = 1
                WHERE d.office_code = ? AND d.final_channel IN {CONTROLLED}
                  AND d.lodged_at::DATE BETWEEN ? AND ?),
            peers AS (SELECT hs6, final_channel, avg(found) AS rate FROM controls
                      WHERE officer_id <> ? GROUP BY ALL)
            SELECT sum(c.found), sum(p.rate), count(*) FROM controls c
            JOIN peers p USING (hs6, final_channel) WHERE c.officer_id = ?""",
        office,
        first,
        last,
        officer,
        officer,
    )


def unit_value_ratio(con: duckdb.DuckDBPyConnection, where: str, *params: object):
    """Median of item unit value over the HS6-and-origin median, for declarations matching."""
    return one(
        con,
        f"""WITH unit AS (
                SELECT i.declaration_id, left(i.hs_code, 6) AS hs6, i.origin_country,
                       i.customs_value / i.net_mass_kg AS uv FROM items i),
            reference AS (SELECT hs6, origin_country, median(uv) AS ref FROM unit GROUP BY ALL)
            SELECT median(u.uv / r.ref), count(*) FROM unit u
            JOIN reference r USING (hs6, origin_country)
            JOIN declarations d USING (declaration_id) WHERE {where}""",
        *params,
    )


def relative_release_times(
    con: duckdb.DuckDBPyConnection, officer: str, broker: str, office: str, first: date, last: date
) -> dict[str, tuple]:
    """Median time from assignment to release, relative to the office's other declarations
    handled by an officer in the same final channel, of the officer-and-broker pair, the
    officer's other declarations and the broker's declarations with other officers (1 = usual
    speed), with their counts."""
    rows = con.execute(
        """WITH timed AS (
                SELECT *, epoch(released_at - assigned_at) AS seconds,
                       CASE WHEN officer_id = ? AND declarant_id = ? THEN 'pair'
                            WHEN officer_id = ? THEN 'officer'
                            WHEN declarant_id = ? THEN 'broker' END AS who
                FROM declarations
                WHERE office_code = ? AND officer_id IS NOT NULL AND released_at IS NOT NULL
                  AND lodged_at::DATE BETWEEN ? AND ?),
            usual AS (SELECT final_channel, median(seconds) AS typical FROM timed
                      WHERE who IS NULL GROUP BY ALL)
            SELECT who, median(seconds / typical), count(*) FROM timed JOIN usual
            USING (final_channel) WHERE who IS NOT NULL GROUP BY who""",
        [officer, broker, officer, broker, office, first, last],
    ).fetchall()
    return {who: (ratio, n) for who, ratio, n in rows}


def binomial_floor(share: float, n: int, sigmas: float = 3.5) -> float:
    """The lowest share an unbiased draw of n declarations plausibly shows."""
    return share - sigmas * (share * (1 - share) / max(n, 1)) ** 0.5


def similar_company(a: str, b: str) -> bool:
    """Company names equal up to case, punctuation, legal-form spelling and a typo."""

    def norm(name: str) -> str:
        name = re.sub(r"[^a-z& ]", "", name.lower())
        for long, short in ((" limited", " ltd"), (" company", " co"), (" and ", " & ")):
            name = name.replace(long, short)
        return " ".join(name.split())

    return SequenceMatcher(None, norm(a), norm(b)).ratio() >= 0.85


def same_person(a: str, b: str) -> bool:
    return name_key(a) == name_key(b)


def years_before(day: date, years: float) -> date:
    return day - timedelta(days=round(years * 365.25))
