"""One simulated world per test session, read through DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from arusha.simulate import SimulationResult, simulate
from tests.simulate.queries import Truth, connect

DECLARATIONS = 60_000
SEED = 11


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return simulate(tmp_path_factory.mktemp("simulate") / "world", DECLARATIONS, SEED)


@pytest.fixture(scope="session")
def db(world: SimulationResult) -> duckdb.DuckDBPyConnection:
    return connect(world.out_dir)


@pytest.fixture(scope="session")
def truth(world: SimulationResult) -> Truth:
    return Truth.read(world.truth_path)
