"""control.suppressed_findings: officers whose controls find nothing, or raise no duties, are
found; desks, officers posted to high-risk goods and their colleagues, and a part-timer are
not."""

from __future__ import annotations

import pytest

from arusha.detectors.control_suppressed_findings import SuppressedFindings
from arusha.engine import Tables
from tests.detectors.test_peers import (
    MACHINERY,
    SUGAR,
    TOBACCO,
    VEHICLES,
    Workloads,
    alerted,
    assert_planted_found_and_no_confounder,
    findings,
    run,
    simulated_run,
)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    w = Workloads()
    controls = {"kind": "control"}
    w.group("G", 6, "SEA01", MACHINERY, 60, 9, **controls)  # general examiners: 15% found
    w.add("NOFIND", "SEA01", MACHINERY, 60, 0, **controls)  # planted: finds nothing
    w.add("NOUPLIFT", "SEA01", MACHINERY, 96, 14, uplift=False, **controls)  # raises nothing
    w.group("V", 3, "SEA01", VEHICLES, 60, 4, **controls)  # vehicles desk: fewer, all alike
    w.group("T", 3, "LND01", TOBACCO, 60, 21, **controls)  # tobacco desk: 35%, all alike
    w.group("S", 4, "LND01", SUGAR, 60, 3, **controls)  # sugar: 5%, same HS section IV
    w.add("PART", "SEA01", MACHINERY, 3, 0, **controls)  # part-timer: three controls
    return w.build(tmp_path_factory.mktemp("suppressed"))


def test_planted_officers_are_found_and_honest_lookalikes_are_not(tables):
    assert alerted(SuppressedFindings, tables) == ["NOFIND", "NOUPLIFT"]
    alerts = {a.finding.subjects["officer_id"]: a for a in run(SuppressedFindings, tables).alerts}
    nofind = alerts["NOFIND"].finding.evidence
    found = nofind["discrepancies"]
    assert nofind["controls"] == 60 and found["observed"] == 0
    assert 8 < found["expected"] < 10  # 60 controls at the other examiners' rate, about 15%
    assert found["observed_to_expected"] == 0 and found["observed_to_expected_ci95"][0] == 0
    assert nofind["duty_uplift"] == 0 and nofind["expected_duty_uplift"] == pytest.approx(
        50 * nofind["controls_with_duty_uplift"]["expected"]
    )
    assert "same HS chapter of the main item, the same control channel" in nofind["peer_group"]
    assert alerts["NOFIND"].summary.startswith(
        "Officer NOFIND (SEA01) found discrepancies in 0 of 60 red or yellow controls, where "
        "peers' controls of the same goods would have found about"
    )


def test_discrepancies_recorded_without_raising_duties_are_found_by_the_uplift(tables):
    e = findings(SuppressedFindings, tables)["NOUPLIFT"].evidence
    assert e["discrepancies"]["observed_to_expected"] > 1  # the outcome looks normal...
    assert e["controls_with_duty_uplift"]["observed"] == 0  # ...the duties never move
    assert e["controls_with_duty_uplift"]["p"] < 0.01 < e["discrepancies"]["p"]


def test_officers_on_high_risk_goods_and_their_colleagues_are_compared_like_for_like(tables):
    by_chapter = findings(SuppressedFindings, tables)
    for officer in ("T1", "S1", "V1"):
        assert by_chapter[officer].evidence["discrepancies"]["observed_to_expected"] == (
            pytest.approx(1.0)
        )
        assert not by_chapter[officer].flagged
    # Compared by HS section, the sugar examiners meet the tobacco desk's high find rate and
    # look as if they suppressed three findings in four: why goods are compared by chapter.
    s1 = findings(SuppressedFindings, tables, goods_level="section")["S1"]
    assert s1.evidence["discrepancies"]["observed_to_expected"] == pytest.approx(0.25)
    assert s1.flagged


def test_part_timer_is_not_tested_and_a_few_empty_controls_never_alert(tables):
    assert "PART" not in findings(SuppressedFindings, tables)
    part = findings(SuppressedFindings, tables, min_controlled=1)["PART"]
    assert part.evidence["discrepancies"]["observed"] == 0 and not part.flagged
    assert alerted(SuppressedFindings, tables, min_controlled=1) == ["NOFIND", "NOUPLIFT"]


def test_chart_is_the_funnel_of_discrepancies(tables):
    r = run(SuppressedFindings, tables)
    assert r.chart.volume == "found_expected" and r.chart.target == 1.0
    assert len(r.chart.data) == r.tested == 18
    nofind = r.chart.data.set_index("officer_id").loc["NOFIND"]
    limits = r.chart.limits[r.chart.limits["level"] == 0.998]
    nearest = limits.iloc[(limits["volume"] - nofind["found_expected"]).abs().argmin()]
    assert nofind["ratio"] < nearest["lower"]


@pytest.mark.slow
def test_simulated_suppressed_findings_are_found_and_no_confounder_is(simulated_world):
    assert_planted_found_and_no_confounder(*simulated_run(SuppressedFindings, simulated_world))
