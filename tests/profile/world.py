"""A tiny working database, as `arusha ingest` leaves it, with planted facts.

Two offices. ALPHA-01 lodged 6 declarations (January and March 2025, none in February): the
risk engine sent 3 to red and 3 to green; 2 of the red ones were processed green. BRAVO-02
lodged 4, all yellow and processed yellow, one not released. One declarations row was
rejected, with a hostile value.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from arusha.contract.schema import SQL_TYPE, TABLES_BY_NAME

HOSTILE = "<script>alert(1)</script>"
REJECT_REASON = "duties_declared is not a number"

BOOKKEEPING = """
CREATE TABLE _load_summary (table_name VARCHAR, file VARCHAR, format VARCHAR, status VARCHAR,
    read BIGINT, loaded BIGINT, rejected BIGINT, missing_columns VARCHAR, extra_columns VARCHAR,
    message VARCHAR);
CREATE TABLE _rejects (table_name VARCHAR, file VARCHAR, "row" BIGINT, "column" VARCHAR,
    value VARCHAR, reason VARCHAR);
"""

ROWS = {
    "parties": [
        ("D1", "declarant", "Swift Brokers Ltd", None, None, None),
        ("D2", "declarant", "Harbour Agents", None, None, None),
        ("T1", "trader", "Import Co", "REG-1", None, None),
    ],
    "officers": [
        ("O1", "ALPHA-01", "examiner", "2024-01-01", None),
        ("O2", "ALPHA-01", "supervisor", "2024-01-01", None),
        ("O3", "BRAVO-02", "examiner", "2024-01-01", "2025-06-30"),
    ],
    "declarations": [
        # id, office, flow, declarant, trader, lodged, risk, final, officer, assigned, released,
        # outcome, declared, assessed
        *(
            (
                f"A{i}",
                "ALPHA-01",
                "import",
                "D1",
                "T1",
                lodged,
                risk,
                final,
                "O1",
                None,
                released,
                "none",
                100.0,
                100.0,
            )
            for i, (lodged, risk, final, released) in enumerate(
                [
                    ("2025-01-05 08:00", "red", "red", "2025-01-07 08:00"),
                    ("2025-01-06 08:00", "red", "green", "2025-01-06 09:00"),
                    ("2025-01-07 08:00", "red", "green", "2025-01-07 10:00"),
                    ("2025-03-01 08:00", "green", "green", "2025-03-01 08:30"),
                    ("2025-03-02 08:00", "green", "green", "2025-03-02 08:30"),
                    ("2025-03-03 08:00", "green", "green", "2025-03-03 08:30"),
                ]
            )
        ),
        *(
            (
                f"B{i}",
                "BRAVO-02",
                "export",
                "D2",
                "T1",
                lodged,
                "yellow",
                "yellow",
                "O3",
                None,
                released,
                "no_discrepancy",
                50.0,
                50.0,
            )
            for i, (lodged, released) in enumerate(
                [
                    ("2025-01-10 08:00", "2025-01-10 20:00"),
                    ("2025-02-10 08:00", "2025-02-11 08:00"),
                    ("2025-03-10 08:00", "2025-03-10 12:00"),
                    ("2025-03-11 08:00", None),
                ]
            )
        ),
    ],
    "items": [("A0", 1, "870321", "DE", 1000.0, 900.0)],
}

LOAD_SUMMARY = [
    ("parties", "parties.csv", "csv", "loaded", 3, 3, 0, None, None, None),
    ("officers", "officers.csv", "csv", "loaded", 3, 3, 0, None, None, None),
    ("declarations", "declarations.csv", "csv", "loaded", 11, 10, 1, None, "comment", None),
    ("items", "items.parquet", "parquet", "loaded", 1, 1, 0, None, None, None),
    ("audit_events", None, None, "absent", 0, 0, 0, None, None, None),
]

REJECTS = [("declarations", "declarations.csv", 7, "duties_declared", HOSTILE, REJECT_REASON)]


def create_table(con: duckdb.DuckDBPyConnection, name: str) -> None:
    spec = TABLES_BY_NAME[name]
    cols = ", ".join(f'"{c.name}" {SQL_TYPE[c.kind]}' for c in spec.columns)
    con.execute(f'CREATE TABLE "{name}" ({cols})')


def insert(con: duckdb.DuckDBPyConnection, name: str, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)


def make_world(path: Path, *, skip: tuple[str, ...] = (), extra: dict | None = None) -> Path:
    """Write the planted world to `path`; `skip` leaves tables out, `extra` adds tables."""
    tables = {k: v for k, v in {**ROWS, **(extra or {})}.items() if k not in skip}
    with duckdb.connect(str(path)) as con:
        con.execute(BOOKKEEPING)
        insert(con, "_load_summary", LOAD_SUMMARY)
        insert(con, "_rejects", REJECTS)
        for name, rows in tables.items():
            create_table(con, name)
            insert(con, name, rows)
    return path
