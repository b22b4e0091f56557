"""Alert assembly: FDR across a detector's tests, stable ids, canonical evidence, the contract's
columns."""

from __future__ import annotations

from datetime import date

import pyarrow.parquet as pq

from arusha.contract.schema import ALERT_COLUMNS
from arusha.engine.alerts import alert_id, canonical_json, select_alerts, write_alerts
from arusha.engine.detector import Finding


def finding(officer: str, p: float | None, flagged: bool = True, score: float = 1.0) -> Finding:
    return Finding(
        subjects={"officer_id": officer},
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
        score=score,
        summary=f"Officer {officer} stands out ({{q}}).",
        evidence={"observed": 12, "expected": 3.3333333333, "when": date(2025, 2, 1)},
        p_value=p,
        flagged=flagged,
    )


def test_fdr_is_applied_across_all_tests_of_the_detector():
    # 1e-4 survives BH at 5% among 4 tests (q = 4e-4); 0.02 does not (q = 0.0267 < 0.05 ...)
    findings = [finding("A", 1e-4), finding("B", 0.02), finding("C", 0.5), finding("D", 0.9)]
    alerts, tested = select_alerts("x.test", findings, fdr=0.05)
    assert tested == 4
    assert [a.finding.subjects["officer_id"] for a in alerts] == ["A", "B"]
    assert alerts[0].q_value == 4e-4
    assert alerts[1].q_value == 0.02 * 4 / 2
    assert alerts[0].summary == "Officer A stands out (q < 0.001)."


def test_unflagged_findings_count_as_tests_but_never_alert():
    findings = [finding("A", 1e-9, flagged=False), finding("B", 1e-3)]
    alerts, tested = select_alerts("x.test", findings, fdr=0.05)
    assert tested == 2 and [a.finding.subjects["officer_id"] for a in alerts] == ["B"]


def test_rule_findings_without_p_alert_when_flagged():
    alerts, tested = select_alerts("x.rule", [finding("A", None), finding("B", None, False)], 0.05)
    assert tested == 0 and [a.q_value for a in alerts] == [None]


def test_alert_id_depends_on_detector_subjects_and_period_only():
    a, b = finding("A", 0.01, score=1), finding("A", 0.02, score=9)
    assert alert_id("x", a) == alert_id("x", b)
    assert alert_id("x", a) != alert_id("y", a)
    assert alert_id("x", a) != alert_id("x", finding("B", 0.01))
    assert alert_id("x", a).startswith("A-") and len(alert_id("x", a)) == 14


def test_evidence_is_canonical():
    text = canonical_json({"b": 1 / 3, "a": [date(2025, 1, 2), 2.0000000001]})
    assert text == '{"a":["2025-01-02",2.0],"b":0.333333}'


def test_written_files_have_exactly_the_contract_columns(tmp_path):
    alerts, _ = select_alerts("x.test", [finding("A", 1e-6), finding("B", 0.5)], 0.05)
    csv_path, parquet_path = write_alerts(alerts, tmp_path)
    names = [c.name for c in ALERT_COLUMNS]
    assert csv_path.read_text().splitlines()[0] == ",".join(f'"{n}"' for n in names)
    table = pq.read_table(parquet_path)
    assert table.column_names == names
    row = table.to_pylist()[0]
    assert row["evidence"] == (
        '{"expected":3.33333,"observed":12,"p_value":1e-06,"q_value":2e-06,"when":"2025-02-01"}'
    )
    assert row["period_start"] == date(2025, 1, 1) and row["declarant_id"] is None
