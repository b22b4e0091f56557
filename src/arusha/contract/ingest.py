"""Loading a contract folder into a DuckDB working database, with every bad row accounted for.

Each table goes through the same stages, all as SQL inside DuckDB:
rows (text + row numbers) → row rules (types, enums, ranges, formats, cross-column) → unique
keys (the first occurrence wins) → references (to rows already loaded) → typed table.
A row that fails a stage is written to `_rejects` with its row number, column, value and
reason; a row that refers to a rejected row is rejected in turn and says which. For every table
read = loaded + rejected.

`ingest()` builds the database under a temporary name and renames it over the previous one only
when complete, so an interrupted run (even kill -9) leaves the previous database intact.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from arusha.contract.checks import (
    problems_expression,
    raw,
    table_checks,
    typed_ref,
    valid_expression,
)
from arusha.contract.checks import typed_expression as typed_value
from arusha.contract.rows import LoadedRows, load_rows
from arusha.contract.schema import SQL_TYPE, TABLES, TABLES_BY_NAME, Kind, TableSpec
from arusha.contract.sources import (
    Source,
    SourceError,
    find_file,
    first_line,
    read_header,
    unknown_files,
)
from arusha.contract.sql import ident, literal
from arusha.errors import ArushaError

log = logging.getLogger(__name__)

# What a file that cannot be parsed raises; any other DuckDB error is a bug of ours, not the file's.
UNREADABLE = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)

STAGES = ("read", "check rows", "check keys", "check references", "write")

# (table, stage, fraction of the table done) — the CLI draws it; the core only reports.
ProgressCallback = Callable[[str, str, float], None]


@dataclass
class TableOutcome:
    table: str
    required: bool
    status: str = "absent"  # loaded | absent | refused
    file: str | None = None
    format: str | None = None
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    missing_columns: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.required and self.status != "loaded"


@dataclass
class IngestReport:
    tables: list[TableOutcome]
    unknown_files: list[str] = field(default_factory=list)
    db_path: Path | None = None
    rejects_path: Path | None = None

    @property
    def ok(self) -> bool:
        return not any(t.failed for t in self.tables)

    @property
    def problems(self) -> list[str]:
        return [t.message for t in self.tables if t.status == "refused" or t.failed]

    def outcome(self, table: str) -> TableOutcome:
        return next(t for t in self.tables if t.table == table)


class IngestError(ArushaError):
    """The folder cannot be ingested at all (not a folder, unreadable)."""


def ingest(
    data_dir: Path,
    db_path: Path,
    rejects_path: Path | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Load `data_dir` into `db_path` atomically and write the rejects CSV.

    When a required table is missing or refused, nothing is replaced: the previous database
    and rejects file stay as they were, and the report says why.
    """
    data_dir, db_path = Path(data_dir), Path(db_path)
    if not data_dir.is_dir():
        raise IngestError(
            f"{data_dir}: not a folder",
            hint="give the folder that holds declarations.csv, items.csv, officers.csv, ...",
        )
    rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(db_path)
    building = db_path.with_name(f"{db_path.name}.building-{os.getpid()}")
    try:
        with contextlib.closing(duckdb.connect(str(building))) as con:
            report = load_folder(con, data_dir, progress)
            if report.ok:
                _export_rejects(con, rejects_path)
            con.execute("CHECKPOINT")
        if report.ok:
            _fsync(building)
            os.replace(building, db_path)
            report.db_path, report.rejects_path = db_path, rejects_path
        return report
    finally:
        building.unlink(missing_ok=True)
        Path(f"{building}.wal").unlink(missing_ok=True)


def default_rejects_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + ".rejects.csv")


def load_folder(
    con: duckdb.DuckDBPyConnection, data_dir: Path, progress: ProgressCallback | None = None
) -> IngestReport:
    """Validate and load every contract table of `data_dir` into `con`."""
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    con.execute(
        'CREATE OR REPLACE TABLE _rejects (table_name VARCHAR, file VARCHAR, "row" BIGINT, '
        '"column" VARCHAR, value VARCHAR, reason VARCHAR)'
    )
    outcomes = [TableLoader(con, spec, data_dir, progress).load() for spec in TABLES]
    _write_summary(con, outcomes)
    return IngestReport(outcomes, unknown_files(data_dir))


class TableLoader:
    """Runs one table through the stages. Working tables are prefixed `_work_<table>`."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        spec: TableSpec,
        data_dir: Path,
        progress: ProgressCallback | None,
    ) -> None:
        self.con, self.spec, self.data_dir = con, spec, data_dir
        self.progress = progress
        self.outcome = TableOutcome(spec.name, spec.required)
        self.rows = f"_work_{spec.name}"
        self.source: Source | None = None
        self.fraction, self.stage_label = 0.0, STAGES[0]
        self.in_file_order = True

    def load(self) -> TableOutcome:
        try:
            self.source = self._source()
        except SourceError as err:
            return self._refuse(str(err))
        if self.source is None:
            if self.spec.required:
                self.outcome.message = (
                    f"{self.spec.name}: required table missing from {self.data_dir} "
                    f"(expected {self.spec.name}.csv or {self.spec.name}.parquet)"
                )
            return self.outcome
        self._describe_source()
        if self.source.missing_columns:
            missing = ", ".join(self.source.missing_columns)
            return self._refuse(f"{self.source.path.name}: missing required column(s): {missing}")
        try:
            self._stage(0)
            loaded = load_rows(self.con, self.source, f"{self.rows}_raw", self._run)
            self._stage(1)
            self._check_rows(loaded)
        except UNREADABLE as err:  # other errors are bugs and are raised
            self._drop_work_tables()
            return self._refuse(f"{self.source.path.name}: cannot be read ({first_line(err)})")
        self._reject_many(loaded.malformed)
        self._validate_and_write()
        return self.outcome

    def _source(self) -> Source | None:
        found = find_file(self.data_dir, self.spec)
        if found is None:
            return None
        path, fmt = found
        return Source(self.spec, path, fmt, read_header(self.con, path, fmt))

    def _describe_source(self) -> None:
        assert self.source is not None
        self.outcome.file, self.outcome.format = self.source.path.name, self.source.format
        self.outcome.missing_columns = self.source.missing_columns
        self.outcome.extra_columns = self.source.extra_columns

    def _refuse(self, message: str) -> TableOutcome:
        self.outcome.status, self.outcome.message = "refused", message
        log.warning(message)
        return self.outcome

    def _validate_and_write(self) -> None:
        self._stage(2)
        self._check_keys()
        self._stage(3)
        self._check_references()
        self._stage(4)
        self._write()
        self._drop_work_tables()
        self.outcome.status = "loaded"
        self._count()
        self._stage(5)

    # -- stages -----------------------------------------------------------------------------

    def _check_rows(self, loaded: LoadedRows) -> None:
        spec, native = self.spec, loaded.native
        checks = table_checks(spec, set(self.source.header), native)
        texts = ", ".join(f"s.{raw(c.name)}" for c in spec.columns if c.name not in native)
        typed = "".join(
            f", {f's.{ident(c.name)}' if c.name in native else typed_value(c)} AS {ident(c.name)}"
            for c in spec.columns
            if c.kind is not Kind.STRING
        )
        self._run(
            f"CREATE TEMP TABLE {ident(self.rows)} AS SELECT *, {valid_expression(checks)} AS _ok "
            f"FROM (SELECT {loaded.row_sql} AS _row, {texts}{typed} FROM {loaded.from_sql})"
        )
        self._run(
            f"INSERT INTO _rejects SELECT {literal(spec.name)}, {literal(self.source.path.name)}, "
            f"_row, p.column, p.value, p.reason FROM (SELECT _row, "
            f"unnest({problems_expression(checks)}) AS p FROM {ident(self.rows)} WHERE NOT _ok)"
        )
        self.in_file_order = loaded.in_file_order
        if loaded.table:
            self.con.execute(f"DROP TABLE {ident(loaded.table)}")

    def _check_keys(self) -> None:
        if not self.spec.key:
            return
        refs = [typed_ref(self.spec.column(k)) for k in self.spec.key]
        keys = ", ".join(refs)
        shown = " || ', ' || ".join(
            f"{literal(k + '=')} || w.{r}" for k, r in zip(self.spec.key, refs, strict=True)
        )
        # Aggregate first: most files have no duplicate, and then nothing is joined.
        self._reject_where(
            f"SELECT w._row, {literal(self.spec.key[0])} AS col, w.{refs[0]}::VARCHAR AS val, "
            f"'duplicate of row ' || d.first_row || ' (same ' || {shown} || ')' AS reason "
            f"FROM {ident(self.rows)} AS w JOIN (SELECT {keys}, min(_row) AS first_row "
            f"FROM {ident(self.rows)} WHERE _ok GROUP BY {keys} HAVING count(*) > 1) AS d "
            f"USING ({keys}) WHERE w._ok AND w._row <> d.first_row"
        )

    def _check_references(self) -> None:
        for ref in self.spec.references:
            target = TABLES_BY_NAME[ref.table]
            if not self._table_exists(target.name):
                continue  # the target was refused or is absent: that is reported on its own
            col = typed_ref(self.spec.column(ref.column))
            shown = f"{literal(ref.column + ' ')} || r.{col}"
            rejected = ident(_rejected_keys(target.name, ref.target))
            self._reject_where(
                f"SELECT r._row, {literal(ref.column)} AS col, r.{col} AS val, "
                f"CASE WHEN bad.first_row IS NULL THEN {shown} || ' not found in {target.name}' "
                f"ELSE {shown} || ' refers to a rejected row of {target.name} (' || bad.file || "
                f"' row ' || bad.first_row || ')' END AS reason "
                f"FROM {ident(self.rows)} AS r "
                f"LEFT JOIN (SELECT DISTINCT {ident(ref.target)} AS v FROM {ident(target.name)})"
                f" AS ok ON r.{col} = ok.v "
                f"LEFT JOIN {rejected} AS bad ON r.{col} = bad.v "
                f"WHERE r.{col} IS NOT NULL AND ok.v IS NULL AND {self._still_valid('r')}"
            )

    def _write(self) -> None:
        columns = ", ".join(
            f"{typed_ref(c)}::{SQL_TYPE[c.kind]} AS {ident(c.name)}" for c in self.spec.columns
        )
        self._run(
            f"CREATE OR REPLACE TABLE {ident(self.spec.name)} AS SELECT {columns} "
            f"FROM {ident(self.rows)} AS r WHERE {self._still_valid('r')}"
            + ("" if self.in_file_order else " ORDER BY r._row")
        )
        for column in REFERENCED.get(self.spec.name, ()):
            self._remember_rejected_keys(column)

    def _remember_rejected_keys(self, column: str) -> None:
        """Keys of rejected rows that no loaded row has, so that rows referring to them can say
        which row of this file to fix. Temporary: not part of the working database."""
        col = typed_ref(self.spec.column(column))
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {ident(_rejected_keys(self.spec.name, column))} AS "
            f"SELECT r.{col} AS v, min(r._row) AS first_row, "
            f"{literal(self.source.path.name)} AS file FROM {ident(self.rows)} AS r "
            f"WHERE r.{col} IS NOT NULL AND NOT ({self._still_valid('r')}) "
            f"AND r.{col} NOT IN (SELECT {ident(column)} FROM {ident(self.spec.name)}) "
            f"GROUP BY r.{col}"
        )

    # -- helpers ----------------------------------------------------------------------------

    def _still_valid(self, alias: str) -> str:
        return (
            f'{alias}._ok AND {alias}._row NOT IN (SELECT "row" FROM _rejects '
            f"WHERE table_name = {literal(self.spec.name)})"
        )

    def _reject_where(self, select: str) -> None:
        """Insert into _rejects the rows of `select` (_row, col, val, reason)."""
        self._run(
            f"INSERT INTO _rejects SELECT {literal(self.spec.name)}, "
            f"{literal(self.source.path.name)}, _row, col, val, reason FROM ({select})"
        )

    def _reject_many(self, rows: list[tuple[int, str, str, str]]) -> None:
        if rows:
            self.con.executemany(
                "INSERT INTO _rejects VALUES (?, ?, ?, ?, ?, ?)",
                [(self.spec.name, self.source.path.name, *row) for row in rows],
            )

    def _count(self) -> None:
        self.outcome.loaded = self._scalar(f"SELECT count(*) FROM {ident(self.spec.name)}")
        self.outcome.rejected = self._scalar(
            f'SELECT count(DISTINCT "row") FROM _rejects WHERE table_name = '
            f"{literal(self.spec.name)}"
        )
        self.outcome.read = self.outcome.loaded + self.outcome.rejected

    def _table_exists(self, name: str) -> bool:
        return bool(
            self._scalar(
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                [name],
            )
        )

    def _scalar(self, sql: str, params: list | None = None) -> int:
        return self.con.execute(sql, params or []).fetchone()[0]

    def _drop_work_tables(self) -> None:
        for (name,) in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, ?)",
            [self.rows],
        ).fetchall():
            self.con.execute(f"DROP TABLE IF EXISTS {ident(name)}")

    def _stage(self, index: int) -> None:
        self.fraction = index / len(STAGES)
        self.stage_label = STAGES[index] if index < len(STAGES) else "done"
        if self.progress:
            self.progress(self.spec.name, self.stage_label, self.fraction)

    def _run(self, sql: str) -> None:
        """Execute a long statement, reporting DuckDB's own progress within the stage."""
        if not self.progress:
            self.con.execute(sql)
            return
        failure: list[BaseException] = []

        def work() -> None:
            try:
                self.con.execute(sql)
            except BaseException as err:  # re-raised in the calling thread
                failure.append(err)

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
            done = self.con.query_progress()
            if done > 0:
                self.progress(
                    self.spec.name, self.stage_label, self.fraction + done / 100 / len(STAGES)
                )
        if failure:
            raise failure[0]


def _referenced_columns() -> dict[str, tuple[str, ...]]:
    """For each table, its columns that other tables refer to."""
    refs = [ref for spec in TABLES for ref in spec.references]
    return {
        table: tuple(sorted({r.target for r in refs if r.table == table}))
        for table in {r.table for r in refs}
    }


REFERENCED = _referenced_columns()


def _rejected_keys(table: str, column: str) -> str:
    return f"_rejected_keys_{table}_{column}"


def _write_summary(con: duckdb.DuckDBPyConnection, outcomes: list[TableOutcome]) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE _load_summary (table_name VARCHAR, file VARCHAR, "
        "format VARCHAR, status VARCHAR, read BIGINT, loaded BIGINT, rejected BIGINT, "
        "missing_columns VARCHAR, extra_columns VARCHAR, message VARCHAR)"
    )
    con.executemany(
        "INSERT INTO _load_summary VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                o.table,
                o.file,
                o.format,
                o.status,
                o.read,
                o.loaded,
                o.rejected,
                ", ".join(o.missing_columns),
                ", ".join(o.extra_columns),
                o.message,
            )
            for o in outcomes
        ],
    )


def _export_rejects(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """rejects.csv, ordered as the contract lists the tables, then by row."""
    order = ", ".join(f"({literal(t.name)}, {i})" for i, t in enumerate(TABLES))
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    con.execute(
        f'COPY (SELECT r.table_name AS "table", r.file, r."row", r."column", r.value, '
        f"r.reason FROM _rejects AS r JOIN (VALUES {order}) AS o(name, i) "
        f'ON r.table_name = o.name ORDER BY o.i, r."row", r."column", r.reason) '
        f"TO {literal(str(partial))} (HEADER, DELIMITER ',')"
    )
    os.replace(partial, path)


def _remove_stale_builds(db_path: Path) -> None:
    """Delete what an interrupted ingest left behind (its process is gone)."""
    for leftover in db_path.parent.glob(f"{db_path.name}.building-*"):
        pid = leftover.name.rsplit("-", 1)[-1].split(".")[0]
        if pid.isdigit() and not _process_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
