"""Read access to a working database, and which of its tables exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

Params = list[Any] | dict[str, Any] | None


@dataclass(frozen=True)
class Db:
    con: duckdb.DuckDBPyConnection
    tables: frozenset[str]

    @classmethod
    def attach(cls, con: duckdb.DuckDBPyConnection) -> Db:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = 'main'"
        ).fetchall()
        return cls(con, frozenset(r[0] for r in rows))

    def df(self, sql: str, params: Params = None) -> pd.DataFrame:
        """The result of `sql`: only small aggregates should come back this way."""
        return self.con.execute(sql, params or []).df()

    def records(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        return self.df(sql, params).to_dict("records")
