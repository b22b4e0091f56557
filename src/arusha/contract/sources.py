"""Finding the file behind each contract table and reading its header."""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from pathlib import Path

import duckdb

from arusha.contract.schema import TABLES, TableSpec
from arusha.contract.sql import literal

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)


class SourceError(Exception):
    """A file that cannot be read as a contract table at all (its rows are never reached)."""


@dataclass(frozen=True)
class Source:
    table: TableSpec
    path: Path
    format: str  # "csv" | "parquet"
    header: tuple[str, ...]

    @property
    def missing_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.table.required_columns if c not in self.header)

    @property
    def extra_columns(self) -> tuple[str, ...]:
        known = set(self.table.column_names)
        return tuple(c for c in self.header if c not in known)


def find_file(data_dir: Path, table: TableSpec) -> tuple[Path, str] | None:
    """The table's file in `data_dir` and its format, or None when absent."""
    found = [
        (data_dir / f"{table.name}{suffix}", fmt)
        for fmt, suffixes in (("csv", CSV_SUFFIXES), ("parquet", PARQUET_SUFFIXES))
        for suffix in suffixes
        if (data_dir / f"{table.name}{suffix}").is_file()
    ]
    if len(found) > 1:
        names = ", ".join(p.name for p, _ in found)
        raise SourceError(f"{names}: one table, several files; keep exactly one")
    return found[0] if found else None


def unknown_files(data_dir: Path) -> list[str]:
    """Files in the folder that are not a contract table (reported, never read)."""
    expected = {f"{t.name}{s}" for t in TABLES for s in (*CSV_SUFFIXES, *PARQUET_SUFFIXES)}
    return sorted(
        p.name
        for p in data_dir.iterdir()
        if p.is_file() and p.name not in expected and not p.name.startswith(".")
    )


def read_header(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> tuple[str, ...]:
    header = _parquet_header(con, path) if fmt == "parquet" else _csv_header(path)
    names = [h.strip() for h in header]
    if not any(names):
        raise SourceError(f"{path.name}: no header row")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SourceError(f"{path.name}: header names a column twice: {', '.join(duplicated)}")
    return tuple(names)


def _csv_header(path: Path) -> list[str]:
    """The first record, decoded on its own: a bad byte further down is a row's problem."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        raw = handle.readline()
        while raw.count(b'"') % 2 and (more := handle.readline()):  # quoted line break
            raw += more
    try:
        text = raw.decode("utf-8-sig")  # spreadsheet exports often start with a byte-order mark
    except UnicodeDecodeError as err:
        raise SourceError(f"{path.name}: header row is not UTF-8 text ({err.reason})") from err
    try:
        return next(csv.reader([text.rstrip("\r\n")]), [])
    except csv.Error as err:
        raise SourceError(f"{path.name}: header row is not valid CSV ({err})") from err


def _parquet_header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
    except duckdb.Error as err:
        raise SourceError(f"{path.name}: not a readable Parquet file ({first_line(err)})") from err
    return [r[0] for r in rows]


def first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
