"""`arusha explain`: an alert row in words and figures; finding a row by its id."""

from datetime import date

import numpy as np
import pytest

from arusha import explain as module
from arusha.engine import Detector, Finding
from arusha.engine.alerts import Alert, write_alerts
from arusha.errors import ArushaError
from arusha.explain import (
    comparisons,
    explain,
    find_alert,
    flatten_evidence,
    format_value,
    innocent_explanations,
    read_alerts,
)
from tests.pages import use_pages


class Steering(Detector):
    """Brokers whose declarations reach one examiner far more often than random assignment."""

    id, title, reference = "test.steering", "Assignment steering", "test"

    def measure(self, tables, params):  # pragma: no cover - not run here
        raise AssertionError

    def assess(self, measures, params):  # pragma: no cover
        raise AssertionError


def steering_alert(officer: str = "007", q: float = 0.0123) -> Alert:
    finding = Finding(
        subjects={"officer_id": officer, "declarant_id": "B-12"},
        period_start=date(2024, 1, 1),
        period_end=date(2024, 6, 30),
        score=4.25,
        summary=f"Examiner {officer} received 42 of broker B-12's 80 declarations ({{q}}).",
        evidence={
            "peer_group": {"office": "ALPHA", "examiners_on_duty": 10},
            "expected": 8.1,
            "observed": 42,
            "test": "exact Poisson-binomial tail",
            "by_month": [{"month": "2024-01", "observed": 7}, {"month": "2024-02", "observed": 9}],
        },
        p_value=0.0004,
    )
    return Alert("test.steering", finding, q)


@pytest.fixture()
def out_dir(tmp_path, monkeypatch):
    pages = tmp_path / "pages"
    pages.mkdir()
    innocent = ["The broker files only goods that one trained examiner may clear."]
    use_pages(pages, monkeypatch, test_steering=innocent)
    write_alerts([steering_alert(), steering_alert("O-99", 0.02)], tmp_path)
    return tmp_path


def test_explain_says_who_when_what_and_how_sure(out_dir):
    alert = steering_alert()
    text = explain(find_alert(out_dir, alert.alert_id), Steering)
    lines = text.splitlines()
    assert lines[0] == f"Alert {alert.alert_id} · test.steering (Assignment steering)"
    assert "Examiner 007 received 42 of broker B-12's 80 declarations (q = 0.012)." in text
    assert "Officer:            007" in lines  # the leading zero kept: ids are text
    assert "Broker (declarant): B-12" in lines
    assert not any(line.startswith("Trader") for line in lines)  # absent subjects left out
    assert "Period:             2024-01-01 to 2024-06-30" in lines
    # observed and expected first, then the rest in the order stored
    compared = lines[lines.index("What was compared") + 1 :][:5]
    assert [c.split()[0] for c in compared] == ["Observed", "Expected", "Peer", "Peer", "Test"]
    assert "  Peer group · Examiners on duty  10" in lines
    assert "    2024-02  9" in lines  # the list of records as a small table
    flat = " ".join(text.split())
    assert "Test: exact Poisson-binomial tail." in flat
    assert "p = 0.0004: if the subject worked like comparable peers" in flat
    assert "by chance about once in 2,500." in flat
    assert "q = 0.012: among this detector's alerts at least this strong, at most 1.2%" in flat
    assert "The broker files only goods that one trained examiner may clear." in flat
    assert "not a finding of wrongdoing" in flat


def test_rule_alert_without_p_says_so():
    row = {
        "alert_id": "A-1",
        "detector": "x.rule",
        "officer_id": "O1",
        "period_start": "2024-01-01",
        "period_end": "2024-01-01",
        "score": 2.0,
        "p_value": None,
        "q_value": None,
        "summary": "Officer O1 stayed 10 years.",
        "evidence": '{"years": 10.5}',
    }
    text = explain(row)
    assert "Period:             2024-01-01\n" in text  # one day, shown once
    assert "  Years  10.5" in text
    assert "comes from a rule, not a statistical test" in " ".join(text.split())


def test_innocent_explanations_from_the_docs_page(tmp_path, monkeypatch):
    use_pages(tmp_path, monkeypatch, x_rule=["A posting extended by decision.", "Acting duties."])
    assert innocent_explanations("x.rule") == "A posting extended by decision. Acting duties."
    assert innocent_explanations("y.none") == module.GENERIC_INNOCENT


def test_find_alert_by_unique_prefix(out_dir):
    alert = steering_alert()
    assert find_alert(out_dir, alert.alert_id[:8].lower())["alert_id"] == alert.alert_id


def test_unknown_id_suggests_the_closest(out_dir):
    alert = steering_alert()
    wrong = alert.alert_id[:-1] + ("0" if alert.alert_id[-1] != "0" else "1")
    with pytest.raises(ArushaError, match="no alert") as err:
        find_alert(out_dir, wrong)
    assert alert.alert_id in err.value.hint


def test_missing_alerts_file_says_what_to_run(tmp_path):
    with pytest.raises(ArushaError, match="no alerts file") as err:
        find_alert(tmp_path, "A-1")
    assert "arusha analyze" in err.value.hint


def test_csv_alerts_keep_ids_as_text(out_dir):
    (out_dir / "alerts.parquet").unlink()
    alerts = read_alerts(out_dir)
    assert sorted(alerts["officer_id"]) == ["007", "O-99"]
    assert alerts["trader_id"].tolist() == ["", ""]
    assert alerts["q_value"].tolist() == [0.0123, 0.02]


def test_comparisons_pair_observed_with_expected():
    evidence = {"overrides": 35, "expected_overrides": 3.5, "observed_to_expected": 10.0,
                "observed": 7, "expected": 2.0, "rate_observed": 0.3, "rate_expected": 0.1,
                "months_observed": "12", "months_expected": 12}  # fmt: skip
    assert comparisons({**evidence, "found": {"observed": 4, "expected": 1.5}}) == [
        ("Overrides", 35, 3.5),
        ("Count", 7, 2.0),
        ("Rate", 0.3, 0.1),
        ("Found", 4, 1.5),
    ]
    scalars, _ = flatten_evidence(evidence)
    names = [name for name, _ in scalars]
    assert names[:4] == ["Overrides", "Expected overrides", "Observed", "Expected"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234567, "1,234,567"),
        (2.0, "2"),
        (0.03125, "0.0312"),
        (12.345, "12.3"),
        (4321.5, "4,322"),
        (0.00002, "2.00e-05"),
        (True, "yes"),
        (None, "–"),
        (float("nan"), "–"),
        (date(2024, 5, 1), "2024-05-01"),
        (["a", 1], '["a", 1]'),
        (np.int64(7), "7"),
        (np.float64(0.5), "0.5"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_evidence_records_with_different_keys_make_one_complete_table():
    evidence = {"cases": [{"case_id": "C1", "party_id": "T1"},
                          {"case_id": "C2", "name_in_case": "Acme Ltd"}]}  # fmt: skip
    _, tables = flatten_evidence(evidence)
    assert tables == [(
        "Cases",
        [{"Case ID": "C1", "Party ID": "T1", "Name in case": ""},
         {"Case ID": "C2", "Party ID": "", "Name in case": "Acme Ltd"}],
    )]  # fmt: skip
