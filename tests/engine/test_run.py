"""The runner: applicable detectors run, the others are skipped with the reason."""

from __future__ import annotations

import ibis
import pandas as pd

from arusha.engine import Detector, analyze
from tests.worlds import build, declaration


class NeedsAudit(Detector):
    """A detector that needs the optional audit trail."""

    id, title, reference = "test.needs_audit", "Needs the audit trail", "test"
    needs = ("declarations", "audit_events")

    def measure(self, tables, params) -> ibis.Table:  # pragma: no cover - never runs here
        raise AssertionError("must be skipped")

    def assess(self, measures: pd.DataFrame, params):  # pragma: no cover
        raise AssertionError("must be skipped")


def test_detector_whose_optional_table_is_absent_is_skipped_with_reason(tmp_path):
    tables = build(tmp_path, declarations=[declaration(1)])
    run = analyze(tables, detectors=[NeedsAudit]).runs[0]
    assert run.skipped == "needs audit_events, which the input does not have"
    assert run.alerts == [] and run.measures is None
