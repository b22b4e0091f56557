"""The working tables, as Ibis tables on whichever backend holds them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis
from ibis.backends import BaseBackend

from arusha.errors import ArushaError


@dataclass
class Tables:
    backend: BaseBackend

    @classmethod
    def open(cls, db_path: Path) -> Tables:
        if not Path(db_path).is_file():
            raise ArushaError(f"{db_path}: no such working database", hint="run `arusha ingest`")
        return cls(ibis.duckdb.connect(str(db_path), read_only=True))

    def has(self, name: str) -> bool:
        return name in self.backend.list_tables()

    def missing(self, names: tuple[str, ...]) -> list[str]:
        present = set(self.backend.list_tables())
        return [n for n in names if n not in present]

    def __getattr__(self, name: str) -> ibis.Table:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.backend.table(name)
