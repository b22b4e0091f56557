"""Evaluation against the simulated truth, on frames whose metrics are counted by hand."""

from types import SimpleNamespace

import pandas as pd
import pytest

from arusha.detectors import catalogue
from arusha.errors import ArushaError
from arusha.evaluate import evaluate, format_evaluation, read_truth
from arusha.explain import read_alerts

TRUTH = pd.DataFrame(
    [
        # instance, kind, scheme, officer, declarant, user
        ("S1", "scheme", "assignment.steering", "O1", "B1", ""),
        ("S2", "scheme", "assignment.steering", "O2", "B2", ""),
        ("S3", "scheme", "risk.override", "O3", "", ""),
        ("I1", "intervention", "intervention.effect", "O1", "B1", ""),
        ("C1", "confounder", "desk_specialist", "O9", "", ""),
        ("C2", "confounder", "routine_rule_maintenance", "", "", "O8"),
    ],
    columns=["instance_id", "kind", "scheme", "officer_id", "declarant_id", "user_id"],
)

ALERTS = pd.DataFrame(
    [
        ("a1", "assignment.steering", "O1", "B1", None),  # S1
        ("a2", "assignment.steering", "O2", "B3", None),  # wrong broker: no match
        ("a3", "assignment.steering", "O2", None, None),  # S2 needs its broker named: no match
        ("a4", "risk.override", "O3", "B7", None),  # S3: naming more subjects is fine
        ("a5", "risk.override", "O9", None, None),  # innocent, a planted confounder
        ("a6", "audit.anomalies", None, None, "O8"),  # nothing planted; innocent confounder
        ("a7", "risk.override", "O4", None, None),  # innocent
        ("a8", "assignment.steering", "O1", "B1", None),  # S1 again (another period)
        ("a9", "risk.override", "O2", None, None),  # wrong scheme for O2: no match, not innocent
    ],
    columns=["alert_id", "detector", "officer_id", "declarant_id", "user_id"],
)

DETECTORS = ["assignment.steering", "risk.override", "audit.anomalies"]


@pytest.fixture(scope="module")
def ev():
    return evaluate(ALERTS, TRUTH, DETECTORS)


def test_recall_per_scheme(ev):
    recall = {s.scheme: (s.instances, s.found, s.recall, s.missed) for s in ev.schemes}
    assert recall["assignment.steering"] == (2, 1, 0.5, ("S2",))
    assert recall["risk.override"] == (1, 1, 1.0, ())
    assert recall["intervention.effect"] == (1, 0, None, ())
    assert not next(s for s in ev.schemes if s.scheme == "intervention.effect").evaluated
    assert (ev.found, ev.instances) == (2, 3)  # the intervention is not counted


def test_precision_per_detector_and_overall(ev):
    precision = {d.detector: (d.alerts, d.matching, d.precision) for d in ev.detectors}
    assert precision["assignment.steering"] == (4, 2, 0.5)  # a1, a8 of a1, a2, a3, a8
    assert precision["risk.override"] == (4, 1, 0.25)  # a4 of a4, a5, a7, a9
    assert precision["audit.anomalies"] == (1, 0, None)  # nothing planted: not counted
    assert (ev.alerts_matching, ev.alerts_evaluated) == (3, 8)
    assert ev.precision == 3 / 8


def test_precision_on_staff_credits_alerts_on_planted_wrongdoers(ev):
    on_staff = {d.detector: d.on_planted_staff for d in ev.detectors}
    assert on_staff["assignment.steering"] == 4  # O1, O2, O2, O1: all planted wrongdoers
    assert on_staff["risk.override"] == 2  # a4 (O3) and a9 (O2); not O9, O4
    assert ev.staff_precision == 6 / 8


def test_innocent_staff_flagged_and_confounders(ev):
    innocent = {i.staff_id: (i.detectors, i.confounders) for i in ev.innocent}
    assert innocent == {
        "O4": (("risk.override",), ()),
        "O8": (("audit.anomalies",), ("routine_rule_maintenance",)),  # flagged as a user
        "O9": (("risk.override",), ("desk_specialist",)),
    }
    assert [i.staff_id for i in ev.confounders_flagged] == ["O8", "O9"]


def test_matches_list_each_pair(ev):
    pairs = set(ev.matches[["instance_id", "alert_id"]].itertuples(index=False, name=None))
    assert pairs == {("S1", "a1"), ("S1", "a8"), ("S3", "a4")}


def test_an_alert_that_rightly_sees_another_schemes_instance_is_correct_not_recall():
    truth = pd.DataFrame(
        [
            ("S1", "scheme", "assignment.steering", "O1", "B1", "", ""),
            ("V1", "scheme", "valuation.accepted_undervaluation", "O5", "", "T5",
             "assignment.steering;control.suppressed_findings"),
        ],
        columns=["instance_id", "kind", "scheme", "officer_id", "declarant_id", "trader_id",
                 "also_seen_by"],
    )  # fmt: skip
    alerts = pd.DataFrame(
        [
            ("a1", "assignment.steering", "O5", "", "T5"),  # sees V1: correct
            ("a2", "assignment.steering", "O5", "B9", ""),  # V1 names no broker: correct
            ("a3", "assignment.steering", "O5", "", "T6"),  # another trader: wrong
            ("a4", "control.suppressed_findings", "O5", "", ""),  # officer only: correct
            ("a5", "risk.override", "O5", "", ""),  # not in also_seen_by: wrong
        ],
        columns=["alert_id", "detector", "officer_id", "declarant_id", "trader_id"],
    )
    ev = evaluate(alerts, truth, [*DETECTORS, "control.suppressed_findings"])
    precision = {d.detector: (d.alerts, d.matching) for d in ev.detectors}
    assert precision["assignment.steering"] == (3, 2)
    assert precision["control.suppressed_findings"] == (1, 1)
    recall = {s.scheme: s.found for s in ev.schemes}
    assert recall == {"assignment.steering": 0, "valuation.accepted_undervaluation": 0}
    assert ev.matches.empty  # recall matches only


def test_an_alert_on_a_steered_brokers_trader_is_correct_not_recall():
    alerts = pd.DataFrame(
        [
            ("b1", "assignment.steering", "O1", "", "T1"),  # S1's officer, a trader of B1
            ("b2", "assignment.steering", "O1", "B9", "T1"),  # names another broker: wrong
        ],
        columns=["alert_id", "detector", "officer_id", "declarant_id", "trader_id"],
    )
    ev = evaluate(alerts, TRUTH, DETECTORS)
    precision = {d.detector: (d.alerts, d.matching) for d in ev.detectors}
    assert precision["assignment.steering"] == (2, 1)
    assert ev.matches.empty


def test_format_evaluation(ev):
    text = format_evaluation(ev)
    assert "Recall: 2 of 3 planted instances found (67%)." in text
    assert (
        "Precision: 3 of 8 alerts of detectors with planted instances match a planted "
        "instance (38%); "
        "6 name only planted wrongdoers (75%)." in text
    )
    assert "Innocent staff flagged: 3, of whom 2 planted confounder(s)." in text
    lines = text.splitlines()
    assert next(line for line in lines if line.startswith("intervention.effect")).endswith(
        "not evaluated (no detector)"
    )
    assert "nothing planted" in next(line for line in lines if line.startswith("audit.anomalies"))
    assert next(line for line in lines if line.startswith("assignment.steering ")).split() == [
        "assignment.steering",
        "2",
        "1",
        "50%",
        "S2",
    ]


def test_default_detectors_are_the_catalogue_and_those_that_alerted(monkeypatch):
    monkeypatch.setattr(catalogue, "CATALOGUE", [SimpleNamespace(id="risk.override")])
    ev = evaluate(ALERTS[ALERTS["detector"] == "assignment.steering"], TRUTH)
    evaluated = {s.scheme for s in ev.schemes if s.evaluated}
    assert evaluated == {"risk.override", "assignment.steering"}
    assert next(s for s in ev.schemes if s.scheme == "risk.override").recall == 0


def test_no_alerts_finds_nothing_and_flags_no_one():
    ev = evaluate(pd.DataFrame(columns=["alert_id", "detector"]), TRUTH, DETECTORS)
    assert (ev.found, ev.instances, ev.precision, ev.innocent) == (0, 3, None, [])
    assert "none." in format_evaluation(ev)


def test_read_truth_keeps_empty_ids_empty(tmp_path):
    path = tmp_path / "world.truth.csv"
    TRUTH.assign(trader_id="", rule_id="", strength=0.5).to_csv(path, index=False)
    truth = read_truth(path)
    assert truth.loc[4, "user_id"] == "" and truth.loc[5, "user_id"] == "O8"
    assert evaluate(ALERTS, truth, DETECTORS).precision == 3 / 8


def test_read_truth_refuses_what_is_not_a_truth_file(tmp_path):
    with pytest.raises(ArushaError, match="no such truth file"):
        read_truth(tmp_path / "none.csv")
    (tmp_path / "alerts.csv").write_text("alert_id,detector\nA-1,x\n")
    with pytest.raises(ArushaError, match="not a truth file"):
        read_truth(tmp_path / "alerts.csv")


def test_alerts_read_back_from_csv(tmp_path):
    ALERTS.assign(
        trader_id=None,
        rule_id=None,
        score=1.0,
        p_value=None,
        q_value=None,
        summary="s",
        evidence="{}",
    ).to_csv(tmp_path / "alerts.csv", index=False)
    ev = evaluate(read_alerts(tmp_path), TRUTH, DETECTORS)
    assert (ev.alerts_matching, ev.alerts_evaluated, len(ev.innocent)) == (3, 8, 3)


def test_on_a_simulated_truth_file_alerts_naming_each_instance_find_all(tmp_path):
    from arusha.simulate import simulate

    truth = read_truth(simulate(tmp_path / "world", declarations=5000, seed=1).truth_path)
    planted = truth[truth["kind"] == "scheme"]
    perfect = planted.rename(columns={"scheme": "detector"}).assign(
        alert_id=[f"A-{i}" for i in range(len(planted))]
    )
    ev = evaluate(perfect, truth, set(planted["scheme"]))
    assert (ev.found, ev.instances) == (len(planted), len(planted))
    assert ev.precision == 1.0
    assert ev.innocent == []
    interventions = set(truth.loc[truth["kind"] == "intervention", "scheme"])
    assert {s.scheme for s in ev.schemes if not s.evaluated} == interventions
