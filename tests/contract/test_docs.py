"""docs/data-contract.md and the schema module must list the same tables and columns."""

from __future__ import annotations

import re
from pathlib import Path

from arusha.contract.schema import ALERT_COLUMNS, TABLES
from arusha.indicators import INDICATOR_COLUMNS

DOC = Path(__file__).parents[2] / "docs" / "data-contract.md"


def documented_tables() -> dict[str, list[tuple[str, bool]]]:
    """{table: [(column, optional)]} from the markdown tables under each `## name.csv` heading."""
    tables: dict[str, list[tuple[str, bool]]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        heading = re.match(r"## (\w+)\.csv", line) or re.match(r"## Output: `(\w+)", line)
        if heading:
            current = tables.setdefault(heading.group(1), [])
        elif line.startswith("#"):
            current = None  # another section: its tables are not column lists
        elif current is not None and line.startswith("| ") and not line.startswith("| column"):
            name, kind = (cell.strip() for cell in line.strip("|").split("|")[:2])
            for column in name.split(", "):
                current.append((column, "optional" in kind))
    return tables


def test_every_input_table_and_column_is_documented_in_order():
    documented = documented_tables()
    for spec in TABLES:
        assert documented[spec.name] == [(c.name, not c.required) for c in spec.columns]


def test_alert_output_columns_match():
    assert documented_tables()["alerts"] == [(c.name, not c.required) for c in ALERT_COLUMNS]


def test_indicator_output_columns_match():
    documented = documented_tables()["indicators"]
    assert documented == [(c.name, not c.required) for c in INDICATOR_COLUMNS]
