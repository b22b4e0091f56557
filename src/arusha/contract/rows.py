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
from dataclasses import dataclass
from pathlib import Path

import duckdb

from arusha.contract.checks import raw
from arusha.contract.schema import SQL_TYPE, Kind
from arusha.contract.sources import Source
from arusha.contract.sql import ident, literal

HEADER_ROW = 1
CHUNK = 1 << 22


@dataclass(frozen=True)
class LoadedRows:
    """The raw rows of a file as trimmed text columns "raw:<name>".

    `from_sql` is a FROM clause over them with alias `s`, and `row_sql` the row number of each
    row in that FROM clause; `malformed` lists records the reader could not split into fields,
    as (row, column, value, reason).
    """

    table: str | None  # the temporary table holding them, None when read straight from the file
    from_sql: str
    row_sql: str
    malformed: list[tuple[int, str, str, str]]
    in_file_order: bool = True  # False when a join renumbers rows: then writing must sort
    native: frozenset[str] = frozenset()  # columns already typed (Parquet), named as in spec


def load_rows(
    con: duckdb.DuckDBPyConnection, source: Source, target: str, run: Callable[[str], None]
) -> LoadedRows:
    """Read the file once into the temporary table `target`; `run` executes long statements."""
    if source.format == "parquet":
        # Parquet knows its row numbers: the rows are read where they are checked, in one pass.
        path = literal(str(source.path))
        native = _native_columns(con, source)
        typed = "".join(
            f", CAST(s.{ident(c.name)} AS {SQL_TYPE[c.kind]}) AS {ident(c.name)}"
            for c in source.table.columns
            if c.name in native
        )
        scan = (
            f"(SELECT file_row_number + 1 AS _row, {_text_columns(source, native)}{typed} "
            f"FROM read_parquet({path}, file_row_number = true) AS s) AS s"
        )
        return LoadedRows(None, scan, "s._row", [], native=native)
    return _load_csv(con, source, target, run)


NATIVE_TYPES = {
    Kind.INTEGER: ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
                   "UINTEGER"),
    Kind.DECIMAL: ("FLOAT", "DOUBLE", "DECIMAL", "TINYINT", "SMALLINT", "INTEGER", "BIGINT"),
    Kind.TIMESTAMP: ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"),
    Kind.DATE: ("DATE",),
}  # fmt: skip


def _native_columns(con: duckdb.DuckDBPyConnection, source: Source) -> frozenset[str]:
    """Parquet columns whose stored type already is the contract's type: no text round trip."""
    types = dict(
        con.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet("
            f"{literal(str(source.path))}))"
        ).fetchall()
    )
    return frozenset(
        c.name
        for c in source.table.columns
        if c.name in types and types[c.name].split("(")[0] in NATIVE_TYPES.get(c.kind, ())
    )


def _text_columns(source: Source, native: frozenset[str] = frozenset()) -> str:
    """Every contract column as trimmed text; those the file lacks as NULL."""
    columns = []
    for name in source.table.column_names:
        if name in native:
            continue
        value = (
            f"NULLIF(TRIM(CAST(s.{ident(name)} AS VARCHAR)), '')"
            if name in source.header
            else "NULL::VARCHAR"
        )
        columns.append(f"{value} AS {raw(name)}")
    return ", ".join(columns)


def _load_csv(
    con: duckdb.DuckDBPyConnection, source: Source, target: str, run: Callable[[str], None]
) -> LoadedRows:
    errors = f"{target}__errors"
    try:
        _read_csv(source, target, errors, run, strict=True)
    except duckdb.InvalidInputException:
        # A bare carriage return inside an unquoted value stops the strict parser; read again
        # leniently, so that the rows around it load and the broken one is rejected.
        for table in (target, errors, errors + "_scan"):
            con.execute(f"DROP TABLE IF EXISTS {ident(table)}")
        _read_csv(source, target, errors, run, strict=False)
    malformed = con.execute(
        f"SELECT line, first(column_name ORDER BY column_idx), first(error_type), "
        f"first(csv_line) FROM {ident(errors)} GROUP BY line ORDER BY line"
    ).fetchall()
    skipped = sorted({line for line, *_ in malformed} | set(_blank_records(source.path)))
    from_sql, row_sql = _numbering(con, target, skipped)
    return LoadedRows(
        target,
        from_sql,
        row_sql,
        in_file_order=not skipped,
        malformed=[
            (line, col or "", text or "", _malformed_reason(kind))
            for line, col, kind, text in malformed
        ],
    )


def _read_csv(
    source: Source, target: str, errors: str, run: Callable[[str], None], strict: bool
) -> None:
    columns = "{" + ", ".join(f"{literal(h)}: 'VARCHAR'" for h in source.header) + "}"
    run(
        f"CREATE OR REPLACE TEMP TABLE {ident(target)} AS SELECT {_text_columns(source)} "
        f"FROM read_csv({literal(str(source.path))}, header = true, auto_detect = false, "
        f"columns = {columns}, delim = ',', quote = '\"', escape = '\"', "
        f"strict_mode = {str(strict).lower()}, store_rejects = true, "
        f"rejects_table = {literal(errors)}, rejects_scan = {literal(errors + '_scan')}) AS s"
    )


def _numbering(con: duckdb.DuckDBPyConnection, target: str, skipped: list[int]) -> tuple[str, str]:
    """FROM clause and row-number expression for the loaded CSV rows, in file order."""
    first_data_row = HEADER_ROW + 1
    if not skipped:
        return f"{ident(target)} AS s", f"s.rowid + {first_data_row}"
    steps = f"{target}__steps"
    # Skipped record j (0-based, sorted) has (slot - j) loaded rows before it; a loaded row g
    # sits after every skipped record whose count of loaded rows before it is <= g.
    con.execute(f"CREATE TEMP TABLE {ident(steps)} (loaded_before BIGINT, skipped BIGINT)")
    con.executemany(
        f"INSERT INTO {ident(steps)} VALUES (?, ?)",
        [(row - first_data_row - j, j + 1) for j, row in enumerate(skipped)],
    )
    from_sql = (
        f"{ident(target)} AS s ASOF LEFT JOIN (SELECT loaded_before, max(skipped) AS skipped "
        f"FROM {ident(steps)} GROUP BY loaded_before) AS k ON s.rowid >= k.loaded_before"
    )
    return from_sql, f"s.rowid + {first_data_row} + coalesce(k.skipped, 0)"


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
