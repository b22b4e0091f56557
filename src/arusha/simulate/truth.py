"""The truth file: one row per planted instance, kept outside the data folder.

Evaluation joins alerts to these rows on the detector id (`scheme`) and the subjects;
`docs/simulation.md` describes every scheme and confounder and its strength unit.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class Subjects:
    """Who an instance is about, as the ids that appear in the data (empty: not applicable)."""

    officer_id: str = ""
    declarant_id: str = ""
    trader_id: str = ""
    user_id: str = ""
    rule_id: str = ""
    office_code: str = ""


@dataclass(frozen=True)
class TruthRow:
    instance_id: str
    kind: str  # scheme, confounder or intervention
    scheme: str  # detector id, or confounder name
    subjects: Subjects  # written as its columns, in place
    period_start: str = ""
    period_end: str = ""
    strength: float = 0.0
    description: str = ""
    # other detectors that rightly see this instance, ";"-separated: a colluding officer also
    # has the trader's declarations steered to them and finds nothing in their controls
    also_seen_by: str = ""

    def cells(self) -> list[str]:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "subjects"}
        values |= asdict(self.subjects)
        values["strength"] = f"{self.strength:.4g}"
        return [values[c] for c in TRUTH_COLUMNS]


_ROW = [f.name for f in fields(TruthRow)]
TRUTH_COLUMNS = tuple(
    _ROW[: _ROW.index("subjects")] + [f.name for f in fields(Subjects)]
    + _ROW[_ROW.index("subjects") + 1 :]
)  # fmt: skip


def write_truth(path: Path, rows: list[TruthRow]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(TRUTH_COLUMNS)
        writer.writerows(row.cells() for row in rows)
