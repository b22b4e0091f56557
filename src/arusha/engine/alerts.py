"""Turning findings into the contract's alert rows: stable ids, q-values, canonical evidence."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from arusha.contract.schema import ALERT_COLUMNS
from arusha.engine.detector import SUBJECTS, Finding
from arusha.stats import benjamini_hochberg

SIGNIFICANT_DIGITS = 6  # evidence and scores are rounded so that reruns are byte-identical


@dataclass(frozen=True)
class Alert:
    detector: str
    finding: Finding
    q_value: float | None

    @property
    def alert_id(self) -> str:
        return alert_id(self.detector, self.finding)

    @property
    def summary(self) -> str:
        return self.finding.summary.replace("{q}", format_q(self.q_value))

    def row(self) -> dict:
        f = self.finding
        return {
            "alert_id": self.alert_id,
            "detector": self.detector,
            **{s: f.subjects.get(s) for s in SUBJECTS},
            "period_start": f.period_start,
            "period_end": f.period_end,
            "score": rounded(f.score),
            "p_value": rounded(f.p_value),
            "q_value": rounded(self.q_value),
            "summary": self.summary,
            "evidence": canonical_json(
                {**f.evidence, "p_value": f.p_value, "q_value": self.q_value}
                if f.p_value is not None
                else f.evidence
            ),
        }


def alert_id(detector: str, finding: Finding) -> str:
    """The same detector, subjects and period give the same id on every rerun."""
    key = "|".join(
        [detector, *(finding.subjects.get(s) or "" for s in SUBJECTS),
         finding.period_start.isoformat(), finding.period_end.isoformat()]
    )  # fmt: skip
    return "A-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def select_alerts(
    detector: str, findings: list[Finding], fdr: float, untested: int = 0
) -> tuple[list[Alert], int]:
    """Benjamini–Hochberg over every tested finding; keep the flagged and significant ones.

    Returns the alerts and the number of tests, counting the `untested` hypotheses a detector
    screened out (as p = 1). Findings without a p-value are rules, not tests: they alert when
    flagged.
    """
    tested = [i for i, f in enumerate(findings) if f.p_value is not None]
    q = np.full(len(findings), np.nan)
    if tested:
        p = np.array([findings[i].p_value for i in tested])
        q[tested] = benjamini_hochberg(p, untested=untested)
    alerts = [
        Alert(detector, f, None if math.isnan(qi) else float(qi))
        for f, qi in zip(findings, q, strict=True)
        if f.flagged and (f.p_value is None or qi <= fdr)
    ]
    alerts.sort(key=lambda a: (-rounded(a.finding.score), a.alert_id))
    return alerts, len(tested) + untested


def write_alerts(alerts: list[Alert], out_dir: Path) -> tuple[Path, Path]:
    table = alerts_table(alerts)
    csv_path, parquet_path = out_dir / "alerts.csv", out_dir / "alerts.parquet"
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path)
    return csv_path, parquet_path


ARROW_TYPES = {"VARCHAR": pa.string(), "DATE": pa.date32(), "DOUBLE": pa.float64()}


def alerts_table(alerts: list[Alert]) -> pa.Table:
    rows = [a.row() for a in alerts]
    schema = pa.schema(
        [pa.field(c.name, ARROW_TYPES[c.sql_type], nullable=not c.required) for c in ALERT_COLUMNS]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def rounded(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = float(value)
    if value == 0 or math.isinf(value):
        return value
    digits = SIGNIFICANT_DIGITS - math.floor(math.log10(abs(value))) - 1
    return round(value, digits)


def canonical_json(evidence: dict) -> str:
    return json.dumps(
        _canonical(evidence), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


def _canonical(value):
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return rounded(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def format_q(q: float | None) -> str:
    if q is None:
        return "no test"
    return "q < 0.001" if q < 0.001 else f"q = {q:.3f}"
