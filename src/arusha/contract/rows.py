"""Loading a file's rows as trimmed text, each with the row number an analyst sees.

Row numbers: for CSV, the record's position in the file counting the header as row 1 (what a
spreadsheet shows; a quoted value spanning lines is still one row); for Parquet, the 1-based
record number. DuckDB reads CSV in parallel and drops malformed records (wrong number of
fields, invalid UTF-8) into its rejects table with their record number; loaded rows keep their
order. A loaded row's number is therefore its ordinal plus the malformed or blank records before
it, which one as-of join computes.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Callable
from pathlib import Path

import duckdb

from arusha.contract.checks import raw
from arusha.contract.sources import Source
from arusha.contract.sql import ident, literal

HEADER_ROW = 1
CHUNK = 1 << 22


def load_rows(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    target: str,
    run: Callable[[str], None],
) -> list[tuple[int, str, str, str]]:
    """Create `target` (_row, "raw:<col>"...) and return the malformed records as
    (row, column, value, reason) tuples. `run` executes long statements (with progress)."""
    if source.format == "parquet":
        _load_parquet(source, target, run)
        return []
    return _load_csv(con, source, target, run)


def _text_columns(source: Source, expression: Callable[[str], str]) -> str:
    """Every contract column as trimmed text; those the file lacks as NULL."""
    columns = []
    for name in source.table.column_names:
        value = (
            f"NULLIF(TRIM(CAST({expression(name)} AS VARCHAR)), '')"
            if name in source.header
            else "NULL::VARCHAR"
        )
        columns.append(f"{value} AS {raw(name)}")
    return ", ".join(columns)


def _load_parquet(source: Source, target: str, run: Callable[[str], None]) -> None:
    run(
        f"CREATE TABLE {ident(target)} AS SELECT file_row_number + 1 AS _row, "
        f"{_text_columns(source, lambda n: 's.' + ident(n))} "
        f"FROM read_parquet({literal(str(source.path))}, file_row_number = true) AS s "
        "ORDER BY _row"
    )


def _load_csv(
    con: duckdb.DuckDBPyConnection, source: Source, target: str, run: Callable[[str], None]
) -> list[tuple[int, str, str, str]]:
    scan, errors = f"{target}__scan", f"{target}__errors"
    columns = "{" + ", ".join(f"{literal(h)}: 'VARCHAR'" for h in source.header) + "}"
    run(
        f"CREATE TABLE {ident(scan)} AS SELECT * FROM read_csv({literal(str(source.path))}, "
        f"header = true, auto_detect = false, columns = {columns}, delim = ',', quote = '\"', "
        f"escape = '\"', strict_mode = true, store_rejects = true, "
        f"rejects_table = {literal(errors)}, rejects_scan = {literal(errors + '_scan')})"
    )
    malformed = con.execute(
        f"SELECT line, first(column_name ORDER BY column_idx), first(error_type), "
        f"first(csv_line) FROM {ident(errors)} GROUP BY line ORDER BY line"
    ).fetchall()
    skipped = sorted({line for line, *_ in malformed} | set(_blank_records(source.path)))
    _number_rows(con, source, scan, target, skipped, run)
    con.execute(f"DROP TABLE {ident(scan)}")
    return [
        (line, column or "", text or "", _malformed_reason(kind))
        for line, column, kind, text in malformed
    ]


def _number_rows(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    scan: str,
    target: str,
    skipped: list[int],
    run: Callable[[str], None],
) -> None:
    columns = _text_columns(source, lambda n: "s." + ident(n))
    first_data_row = HEADER_ROW + 1
    if not skipped:
        run(
            f"CREATE TABLE {ident(target)} AS SELECT s.rowid + {first_data_row} AS _row, "
            f"{columns} FROM {ident(scan)} AS s ORDER BY s.rowid"
        )
        return
    steps = f"{target}__steps"
    # Skipped record j (0-based, sorted) has (slot - j) loaded rows before it; a loaded row g
    # sits after every skipped record whose count of loaded rows before it is <= g.
    con.execute(f"CREATE TEMP TABLE {ident(steps)} (loaded_before BIGINT, skipped BIGINT)")
    con.executemany(
        f"INSERT INTO {ident(steps)} VALUES (?, ?)",
        [(row - first_data_row - j, j + 1) for j, row in enumerate(skipped)],
    )
    run(
        f"CREATE TABLE {ident(target)} AS SELECT "
        f"s.rowid + {first_data_row} + coalesce(k.skipped, 0) AS _row, {columns} "
        f"FROM {ident(scan)} AS s ASOF LEFT JOIN "
        f"(SELECT loaded_before, max(skipped) AS skipped FROM {ident(steps)} "
        f"GROUP BY loaded_before) AS k ON s.rowid >= k.loaded_before ORDER BY s.rowid"
    )
    con.execute(f"DROP TABLE {ident(steps)}")


def _malformed_reason(kind: str) -> str:
    return {
        "MISSING COLUMNS": "row has fewer fields than the header",
        "TOO MANY COLUMNS": "row has more fields than the header",
        "INVALID ENCODING": "row is not valid UTF-8 text",
        "UNQUOTED VALUE": "badly quoted value (RFC 4180: a quote inside a value is doubled)",
        "LINE SIZE OVER MAXIMUM": "row is longer than the reader's maximum line size",
    }.get(kind, f"malformed row ({kind.lower()})")


def _blank_records(path: Path) -> list[int]:
    """Record numbers of blank lines, which the CSV reader skips without a word.

    A byte scan answers the usual case (none) at disk speed; only a file that has an empty
    line somewhere is walked record by record to place them exactly.
    """
    if not _may_have_blank_line(path):
        return []
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as handle:
        return [n for n, record in enumerate(csv.reader(handle), HEADER_ROW) if not record]


def _may_have_blank_line(path: Path) -> bool:
    opener = gzip.open if path.name.endswith(".gz") else open
    tail = b""
    with opener(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            window = (tail + chunk).replace(b"\r\n", b"\n")
            body = window.rstrip(b"\r\n") if len(chunk) < CHUNK else window
            if b"\n\n" in body:
                return True
            tail = window[-2:]
    return False
