"""A tiny valid Customs world, written by hand, for the contract tests.

Every row here is valid; each test breaks exactly what it is about and asserts the outcome.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from arusha.contract.schema import TABLES, TABLES_BY_NAME

Row = dict[str, str]


def _declaration(n: int, officer: str, declarant: str, trader: str) -> Row:
    return {
        "declaration_id": f"D{n:03d}",
        "office_code": "SEA01",
        "flow": "import",
        "declarant_id": declarant,
        "trader_id": trader,
        "lodged_at": f"2025-03-{n % 28 + 1:02d}T09:15:00",
        "risk_channel": "red" if n % 3 == 0 else "green",
        "final_channel": "red" if n % 3 == 0 else "green",
        "officer_id": officer,
        "assigned_at": f"2025-03-{n % 28 + 1:02d}T09:45:00",
        "released_at": f"2025-03-{n % 28 + 1:02d}T15:00:00",
        "inspection_outcome": "discrepancy" if n % 9 == 0 else "none",
        "duties_declared": f"{100 + n}.50",
        "duties_assessed": f"{100 + n + (n % 9 == 0) * 40}.50",
    }


def valid_world() -> dict[str, list[Row]]:
    parties = [
        {"party_id": "B1", "role": "declarant", "name": "Harbour Brokers Ltd"},
        {"party_id": "B2", "role": "declarant", "name": "Swift Clearing"},
        {
            "party_id": "T1",
            "role": "trader",
            "name": "Acme Imports",
            "registration_no": "R-1",
            "owners": "Amina Juma; Peter Mwangi",
        },
        {"party_id": "T2", "role": "trader", "name": "Blue Sea Trading", "address": "Dock Rd 4"},
    ]
    officers = [
        {
            "officer_id": "O1",
            "office_code": "SEA01",
            "post": "examiner",
            "start_date": "2020-01-01",
            "end_date": "",
        },
        {
            "officer_id": "O2",
            "office_code": "SEA01",
            "post": "examiner",
            "start_date": "2019-05-01",
            "end_date": "2024-12-31",
        },
        {
            "officer_id": "O2",
            "office_code": "AIR01",
            "post": "supervisor",
            "start_date": "2025-01-01",
            "end_date": "",
        },
        {
            "officer_id": "RA1",
            "office_code": "HQ",
            "post": "risk_analyst",
            "start_date": "2018-01-01",
            "end_date": "",
        },
    ]
    declarations = [
        _declaration(n, "O1" if n % 2 else "O2", "B1" if n % 4 else "B2", "T1" if n % 3 else "T2")
        for n in range(1, 13)
    ]
    declarations[1]["officer_id"] = declarations[1]["assigned_at"] = ""
    declarations[2]["released_at"] = ""
    items = [
        {
            "declaration_id": d["declaration_id"],
            "item_no": str(i),
            "hs_code": "8703230000",
            "origin_country": "JP",
            "customs_value": f"{1000 * i}.00",
            "net_mass_kg": "1200.5",
        }
        for d in declarations
        for i in (1, 2)
    ]
    return {
        "parties": parties,
        "officers": officers,
        "declarations": declarations,
        "items": items,
        "audit_events": [
            {
                "event_id": "E1",
                "occurred_at": "2025-03-02T10:00:00",
                "user_id": "RA1",
                "action": "edit_risk_rule",
                "object_type": "risk_rule",
                "object_id": "R1",
                "old_value": "red",
                "new_value": "yellow",
                "workstation": "HQ-12",
            },
        ],
        "risk_rules": [
            {
                "rule_id": "R1",
                "description": "Used cars from JP",
                "hs_prefix": "8703",
                "channel": "yellow",
            },
            {"rule_id": "R2", "description": "Watch trader", "trader_id": "T2", "channel": "red"},
        ],
        "interests": [
            {"officer_id": "O1", "person_or_company": "Amina Juma", "relation": "spouse"},
        ],
        "enforcement_cases": [
            {
                "case_id": "C1",
                "detected_on": "2025-04-01",
                "office_code": "SEA01",
                "party_id": "T2",
                "offence": "tobacco",
                "declaration_id": "D003",
            },
            {
                "case_id": "C2",
                "detected_on": "2025-04-02",
                "office_code": "SEA01",
                "party_name": "Blu Sea Tradng",
                "offence": "revenue",
            },
        ],
        "interventions": [
            {
                "intervention_id": "I1",
                "name": "random assignment",
                "start_date": "2025-03-15",
                "office_codes": "SEA01;AIR01",
            },
        ],
    }


def copy_world(world: dict[str, list[Row]]) -> dict[str, list[Row]]:
    return copy.deepcopy(world)


def write_world(
    folder: Path, world: dict[str, list[Row]], fmt: str = "csv", header: dict | None = None
) -> Path:
    """Write each table with the contract's columns (or `header[table]` when given)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in world.items():
        columns = (header or {}).get(name) or list(TABLES_BY_NAME[name].column_names)
        data = {c: [r.get(c, "") for r in rows] for c in columns}
        table = pa.table({c: pa.array(v, pa.string()) for c, v in data.items()})
        if fmt == "csv":
            pacsv.write_csv(table, folder / f"{name}.csv")
        else:
            pq.write_table(table, folder / f"{name}.parquet")
    return folder


TABLE_NAMES = [t.name for t in TABLES]
