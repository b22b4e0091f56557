"""Small synthetic worlds for engine and detector tests: rows in, an ingested database out."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from arusha.contract import ingest
from arusha.engine import Tables
from tests.contract.world import Row, write_world

PARTIES: list[Row] = [
    {"party_id": "B1", "role": "declarant", "name": "Harbour Brokers Ltd"},
    {"party_id": "T1", "role": "trader", "name": "Acme Imports"},
]


def declaration(n: int, **values: str) -> Row:
    """A valid green import at SEA01, lodged on day `n` of 2025, overridable field by field."""
    lodged = _day(n)
    row = {
        "declaration_id": f"D{n:05d}",
        "office_code": "SEA01",
        "flow": "import",
        "declarant_id": "B1",
        "trader_id": "T1",
        "lodged_at": f"{lodged}T09:00:00",
        "risk_channel": "green",
        "final_channel": "green",
        "officer_id": "",
        "assigned_at": "",
        "released_at": f"{lodged}T12:00:00",
        "inspection_outcome": "none",
        "duties_declared": "100.00",
        "duties_assessed": "100.00",
    }
    row.update(values)
    return row


def _day(n: int) -> str:
    return (date(2025, 1, 1) + timedelta(days=n % 365)).isoformat()


def item(declaration_id: str, hs_code: str = "8703230000", **values: str) -> Row:
    row = {
        "declaration_id": declaration_id,
        "item_no": "1",
        "hs_code": hs_code,
        "origin_country": "JP",
        "customs_value": "1000.00",
        "net_mass_kg": "100.0",
    }
    row.update(values)
    return row


def build(tmp_path: Path, **tables: list[Row]) -> Tables:
    """Ingest the given tables (parties and items default to a minimal valid set)."""
    world = {"parties": PARTIES, "officers": [], "declarations": [], **tables}
    world.setdefault("items", [item(d["declaration_id"]) for d in world["declarations"]])
    report = ingest(write_world(tmp_path / "data", world), tmp_path / "work.duckdb")
    assert report.ok and not any(t.rejected for t in report.tables), report
    return Tables.open(tmp_path / "work.duckdb")
