"""The working tables, as Ibis tables on whichever backend holds them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import ibis
from ibis.backends import BaseBackend

from arusha.errors import ArushaError


@dataclass
class Tables:
    backend: BaseBackend

    @classmethod
    def open(cls, db_path: Path, memory_limit: str | None = None) -> Tables:
        """Open the working database read-only. DuckDB spills what exceeds `memory_limit`
        (default: a quarter of the machine's memory; ARUSHA_MEMORY_LIMIT overrides it) to a
        folder beside the database, so large administrations run on modest machines."""
        db_path = Path(db_path)
        if not db_path.is_file():
            raise ArushaError(f"{db_path}: no such working database", hint="run `arusha ingest`")
        spill = db_path.with_name(db_path.name + ".spill")
        spill.mkdir(exist_ok=True)
        limit = memory_limit or os.environ.get("ARUSHA_MEMORY_LIMIT") or default_memory_limit()
        return cls(
            ibis.duckdb.connect(
                str(db_path), read_only=True, memory_limit=limit, temp_directory=str(spill)
            )
        )

    def has(self, name: str) -> bool:
        return name in self.backend.list_tables()

    def missing(self, names: tuple[str, ...]) -> list[str]:
        present = set(self.backend.list_tables())
        return [n for n in names if n not in present]

    def __getattr__(self, name: str) -> ibis.Table:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.backend.table(name)


def default_memory_limit() -> str:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(1, total // 4 // 2**30)}GB"
