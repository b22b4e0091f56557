from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from arusha.contract import IngestReport, load_folder
from tests.contract.world import valid_world, write_world


@pytest.fixture
def world():
    return valid_world()


def load(folder: Path) -> tuple[IngestReport, duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    return load_folder(con, folder), con


def rejects(con: duckdb.DuckDBPyConnection, table: str | None = None) -> list[tuple]:
    where = "WHERE table_name = ?" if table else ""
    return con.execute(
        f'SELECT table_name, "row", "column", value, reason FROM _rejects {where} '
        'ORDER BY table_name, "row", "column"',
        [table] if table else [],
    ).fetchall()


@pytest.fixture
def load_world(tmp_path):
    """Write a (possibly broken) world and load it in memory."""

    def run(world, fmt: str = "csv", header: dict | None = None):
        return load(write_world(tmp_path / "data", world, fmt, header))

    return run
