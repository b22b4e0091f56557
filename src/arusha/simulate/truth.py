"""The truth file: one row per planted instance, kept outside the data folder.

Evaluation joins alerts to these rows on the detector id (`scheme`) and the subjects;
`docs/simulation.md` describes every scheme and confounder and its strength unit.
"""

from __future__ import annotations

import csv
from dataclasses import astuple, dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class TruthRow:
    instance_id: str
    kind: str  # scheme, confounder or intervention
    scheme: str  # detector id, or confounder name
    officer_id: str = ""
    declarant_id: str = ""
    trader_id: str = ""
    user_id: str = ""
    rule_id: str = ""
    office_code: str = ""
    period_start: str = ""
    period_end: str = ""
    strength: float = 0.0
    description: str = ""
    # other detectors that rightly see this instance, ";"-separated: a colluding officer also
    # has the trader's declarations steered to them and finds nothing in their controls
    also_seen_by: str = ""


TRUTH_COLUMNS = tuple(f.name for f in fields(TruthRow))


def write_truth(path: Path, rows: list[TruthRow]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        for row in rows:
            values = list(astuple(row))
            values[TRUTH_COLUMNS.index("strength")] = f"{row.strength:.4g}"
            writer.writerow(values)
