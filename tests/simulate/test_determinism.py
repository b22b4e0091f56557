"""Same inputs, same bytes; CSV and Parquet hold the same rows."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from arusha.contract.schema import TABLES, Kind
from arusha.simulate import simulate
from tests.simulate.queries import connect

SMALL = 3_000
PARQUET_TYPE = {
    Kind.STRING: pa.string(),
    Kind.INTEGER: pa.int64(),
    Kind.DECIMAL: pa.float64(),
    # Written as timestamp[s]; Parquet's finest unit at or above seconds is milliseconds.
    Kind.TIMESTAMP: pa.timestamp("ms"),
    Kind.DATE: pa.date32(),
}


def _contents(folder: Path) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    files["truth"] = Path(f"{folder}.truth.csv").read_bytes()
    return files


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_identical_bytes(tmp_path: Path, fmt: str) -> None:
    first = simulate(tmp_path / "a", SMALL, seed=5, fmt=fmt)
    second = simulate(tmp_path / "b", SMALL, seed=5, fmt=fmt)
    a, b = _contents(first.out_dir), _contents(second.out_dir)
    assert len(a) == len(TABLES) + 1
    assert a == b


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    a = _contents(simulate(tmp_path / "a", SMALL, seed=5).out_dir)
    b = _contents(simulate(tmp_path / "b", SMALL, seed=6).out_dir)
    for name in ("declarations.csv", "items.csv", "officers.csv", "parties.csv", "truth"):
        assert a[name] != b[name], name


def test_parquet_has_the_contract_types_and_the_csv_rows(tmp_path: Path) -> None:
    as_csv = simulate(tmp_path / "c", SMALL, seed=5, fmt="csv")
    as_parquet = simulate(tmp_path / "p", SMALL, seed=5, fmt="parquet")
    assert as_csv.rows == as_parquet.rows
    for spec in TABLES:
        schema = pq.read_schema(as_parquet.out_dir / f"{spec.name}.parquet")
        assert schema.names == list(spec.column_names)
        assert [schema.field(c.name).type for c in spec.columns] == [
            PARQUET_TYPE[c.kind] for c in spec.columns
        ]
    csv_db, parquet_db = connect(as_csv.out_dir), connect(as_parquet.out_dir, "parquet")
    for spec in TABLES:
        query = f"SELECT * FROM {spec.name} ORDER BY ALL"
        assert csv_db.execute(query).fetchall() == parquet_db.execute(query).fetchall()


def test_progress_is_reported_after_each_month(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    simulate(
        tmp_path / "w", SMALL, seed=1, progress=lambda done, total: calls.append((done, total))
    )
    assert len(calls) == 24 and calls[-1] == (SMALL, SMALL)
    assert all(a[0] < b[0] for a, b in pairwise(calls))
