"""`build_profile`: one self-contained HTML page describing what a working database holds.

The page is what an integrity unit looks at first after loading an export: did everything
load, what was rejected and why, which period and offices the data cover, and whether the
volumes, channels, release times and staff figures look like the administration they know.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from arusha.contract.schema import TABLES_BY_NAME
from arusha.profile import sections
from arusha.profile.db import Db
from arusha.report import write_page

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    needs: tuple[str, ...]
    build: Callable[[Db], dict[str, Any]]

    @property
    def template(self) -> str:
        return f"profile/{self.id}.html.j2"

    @property
    def optional(self) -> bool:
        """A section on optional tables is left out when they are absent; others say why not."""
        return any(t in TABLES_BY_NAME and not TABLES_BY_NAME[t].required for t in self.needs)


SECTIONS: tuple[Section, ...] = (
    Section("period", "Period covered", (), sections.period),
    Section("loading", "What was loaded", ("_load_summary",), sections.loading),
    Section("rejects", "Rejected rows", ("_rejects",), sections.rejects),
    Section("volumes", "Declarations per office and month", ("declarations",), sections.volumes),
    Section("channels", "Risk channels per office", ("declarations",), sections.channels),
    Section("release", "Time to release", ("declarations",), sections.release),
    Section("officers", "Officers per office and post", ("officers",), sections.officers),
    Section("declarants", "Largest declarants", ("declarations", "parties"), sections.declarants),
    Section("audit_events", "Audit trail", ("audit_events",), sections.audit_events),
    Section("risk_rules", "Risk rules", ("risk_rules",), sections.risk_rules),
    Section("interests", "Declarations of interest", ("interests",), sections.interests),
    Section(
        "enforcement_cases", "Enforcement cases", ("enforcement_cases",), sections.enforcement_cases
    ),
    Section("interventions", "Interventions", ("interventions",), sections.interventions),
)


@dataclass(frozen=True)
class Shown:
    """A section as the page shows it: its data, or the tables it lacked."""

    section: Section
    missing: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


def _show(section: Section, db: Db) -> Shown | None:
    missing = tuple(t for t in section.needs if t not in db.tables)
    if missing:
        return None if section.optional else Shown(section, missing)
    return Shown(section, data=section.build(db))


def build_profile(db_path: Path, out_path: Path) -> Path:
    """Write the data profile of the working database `db_path` to `out_path`; return it."""
    db_path, out_path = Path(db_path), Path(out_path)
    if not db_path.is_file():
        raise FileNotFoundError(f"no working database at {db_path}: run `arusha ingest` first")
    with duckdb.connect(str(db_path), read_only=True) as con:
        db = Db.attach(con)
        if "_load_summary" not in db.tables:
            raise ValueError(f"{db_path} is not a working database: run `arusha ingest` first")
        shown = [s for s in (_show(section, db) for section in SECTIONS) if s is not None]
    log.info("profile of %s: %d sections", db_path, len(shown))
    return write_page(
        out_path,
        "profile/page.html.j2",
        packages=("arusha.profile",),
        title="Data profile",
        database=db_path.name,
        sections=shown,
    )
