"""Streaming writers: one file per contract table, appended to month by month."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from arusha.contract.schema import TABLES, TableSpec
from arusha.simulate.format import arrow_schema, csv_body, csv_header

Format = Literal["csv", "parquet"]


class TableWriter:
    def __init__(self, path: Path, spec: TableSpec, fmt: Format) -> None:
        self.spec = spec
        self.schema = arrow_schema(spec)
        self.rows = 0
        self._csv: BinaryIO | None = None
        self._parquet: pq.ParquetWriter | None = None
        if fmt == "csv":
            self._csv = path.open("wb")
            self._csv.write(csv_header(spec))
        else:
            self._parquet = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, table: pa.Table) -> None:
        """Appends rows given as typed columns named as in the contract (any order)."""
        table = table.select(list(self.spec.column_names)).cast(self.schema)
        self.rows += table.num_rows
        if self._csv is not None:
            self._csv.write(csv_body(table, self.spec))
        elif table.num_rows:
            self._parquet.write_table(table)

    def close(self) -> None:
        if self._csv is not None:
            self._csv.close()
        else:
            self._parquet.close()


class Sinks:
    """All contract tables of one output folder, opened together and closed together."""

    def __init__(self, out_dir: Path, fmt: Format) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.writers = {t.name: TableWriter(out_dir / f"{t.name}.{fmt}", t, fmt) for t in TABLES}

    def write(self, name: str, table: pa.Table) -> None:
        self.writers[name].write(table)

    @property
    def rows(self) -> dict[str, int]:
        return {name: w.rows for name, w in self.writers.items()}

    def __enter__(self) -> Sinks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for writer in self.writers.values():
            writer.close()
