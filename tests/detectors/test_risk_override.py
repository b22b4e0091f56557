"""risk.override: a planted overriding officer is found; desks, risky goods, a postal office
whose officers all override often, and a part-timer with one override are not."""

from __future__ import annotations

import pytest

from arusha.detectors.risk_override import RiskOverride
from arusha.engine import Tables
from tests.detectors.test_peers import (
    MACHINERY,
    PHONES,
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
    w.group("G", 6, "SEA01", MACHINERY, 48, 2)  # general examiners: 2 of 48 overridden
    w.add("OVERRIDER", "SEA01", MACHINERY, 48, 16)  # planted: a third
    w.group("V", 3, "SEA01", VEHICLES, 48, 6)  # vehicles desk: more, all alike
    w.group("T", 3, "LND01", TOBACCO, 48, 12)  # tobacco desk: a quarter, all alike
    w.group("S", 4, "LND01", SUGAR, 48, 1)  # sugar, in the same HS section as tobacco
    w.group("P", 5, "PST01", PHONES, 48, 15)  # postal office: 31% for every officer
    w.add("PART", "SEA01", MACHINERY, 3, 1)  # part-timer: one override in three
    return w.build(tmp_path_factory.mktemp("override"))


def test_planted_overrider_is_found_and_honest_lookalikes_are_not(tables):
    assert alerted(RiskOverride, tables) == ["OVERRIDER"]
    alert = run(RiskOverride, tables).alerts[0]
    e = alert.finding.evidence
    assert (e["controlled_declarations"], e["overrides"], e["overrides_to_green"]) == (48, 16, 16)
    # The examiners' 12 overrides fall in the yellow second-quarter stratum (72 declarations),
    # the part-timer's one in the red first quarter (75 with the examiners'); OVERRIDER has 12
    # declarations in each.
    expected = 12 * 12 / 72 + 12 * 1 / 75
    assert e["expected_overrides"] == pytest.approx(expected)
    assert e["observed_to_expected"] == pytest.approx(16 / expected)
    low, high = e["observed_to_expected_ci95"]
    assert 4 < low < 16 / expected < high
    assert e["office_override_rate"] == pytest.approx((12 + 16 + 18 + 1) / (10 * 48 + 3))
    peers = "same HS chapter of the main item, the same risk channel, flow and quarter"
    assert peers in e["peer_group"]
    assert alert.summary == (
        "Officer OVERRIDER (SEA01) processed 16 of 48 red or yellow declarations in a less "
        "strict channel; peers on the same work would have done so about 2.2 times (7.4 times "
        "as often; q < 0.001)."
    )


def test_an_office_where_everyone_overrides_often_sets_its_own_expectation(tables):
    tested = findings(RiskOverride, tables).values()
    postal = [f for f in tested if f.office_code == "PST01"]
    assert len(postal) == 5
    for f in postal:
        assert f.evidence["override_rate"] == pytest.approx(15 / 48)
        assert f.evidence["observed_to_expected"] == pytest.approx(1.0)
        assert not f.flagged


def test_desks_are_compared_with_the_same_goods(tables):
    by_chapter = findings(RiskOverride, tables)
    for officer in ("V1", "T1", "S1"):
        assert by_chapter[officer].evidence["observed_to_expected"] == pytest.approx(1.0)
    # Compared by HS section, the tobacco desk meets the sugar examiners (both section IV) and
    # looks like a group of overriders: the reason goods are compared by chapter by default.
    by_section = findings(RiskOverride, tables, goods_level="section")
    assert by_section["T1"].evidence["observed_to_expected"] == pytest.approx(12 / (48 * 28 / 288))
    assert by_section["T1"].flagged


def test_part_timer_is_not_tested_and_a_single_override_never_alerts(tables):
    assert "PART" not in findings(RiskOverride, tables)
    lowered = findings(RiskOverride, tables, min_controlled=1)
    assert lowered["PART"].evidence["overrides"] == 1
    assert lowered["PART"].evidence["observed_to_expected"] > 5
    assert not lowered["PART"].flagged  # one override is less than min_excess above expected
    assert alerted(RiskOverride, tables, min_controlled=1) == ["OVERRIDER"]


def test_chart_is_the_funnel_the_assessment_used(tables):
    r = run(RiskOverride, tables)
    chart = r.chart
    assert chart.indicator == "ratio" and chart.volume == "overrides_expected"
    assert len(chart.data) == r.tested == 22  # every officer but the part-timer
    top = chart.data.set_index("officer_id").loc["OVERRIDER"]
    limits = chart.limits[chart.limits["level"] == 0.998]
    nearest = limits.iloc[(limits["volume"] - top["overrides_expected"]).abs().argmin()]
    assert top["ratio"] > nearest["upper"]


@pytest.mark.slow
def test_simulated_overriders_are_found_and_no_confounder_is(simulated_world):
    assert_planted_found_and_no_confounder(*simulated_run(RiskOverride, simulated_world))
