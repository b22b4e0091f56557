"""staff.rotation_overstay: planted overstays are found; rotations and short stays are not."""

from __future__ import annotations

from arusha.detectors.staff_rotation_overstay import RotationOverstay
from arusha.engine import analyze
from arusha.engine.config import parse_config
from tests.worlds import build, declaration


def posting(officer: str, office: str, post: str, start: str, end: str = "") -> dict:
    return {"officer_id": officer, "office_code": office, "post": post,
            "start_date": start, "end_date": end}  # fmt: skip


OFFICERS = [
    posting("LONG", "SEA01", "examiner", "2017-03-01"),  # 8 years: planted overstay
    # re-issued postings with a short gap: one continuous stay of ~7.8 years
    posting("SPLIT", "SEA01", "valuation", "2017-06-01", "2020-12-31"),
    posting("SPLIT", "SEA01", "valuation", "2021-01-10"),
    # rotated: 6 years in total but in two offices
    posting("ROTATED", "SEA01", "examiner", "2019-01-01", "2022-01-31"),
    posting("ROTATED", "AIR01", "examiner", "2022-02-01"),
    # long stay that ended before the data: no longer actionable
    posting("PAST", "LND01", "examiner", "2010-01-01", "2020-01-01"),
    posting("PAST", "HQ", "supervisor", "2022-01-02"),
    posting("NEW", "SEA01", "examiner", "2023-05-01"),
    # ten years at headquarters in a post the rotation policy does not cover
    posting("ANALYST", "HQ", "risk_analyst", "2015-07-04"),
]


def alerts(tmp_path, config=None):
    tables = build(tmp_path, officers=OFFICERS,
                   declarations=[declaration(n) for n in range(0, 360, 30)])  # fmt: skip
    run = analyze(tables, config, detectors=[RotationOverstay]).runs[0]
    return {a.finding.subjects["officer_id"]: a for a in run.alerts}


def test_planted_overstays_are_found_and_rotations_are_not(tmp_path):
    found = alerts(tmp_path)
    assert set(found) == {"LONG", "SPLIT"}
    split = found["SPLIT"].finding
    assert split.evidence["postings_in_stay"] == 2
    assert str(split.period_start) == "2017-06-01"
    assert str(split.period_end) == "2025-11-27"  # the last lodgement in the data
    assert 8.4 < split.evidence["years"] < 8.6
    assert found["LONG"].summary.startswith("Officer LONG has been examiner at SEA01")


def test_policy_per_post_and_exemptions_come_from_the_config(tmp_path):
    config = parse_config({"detectors": {"staff.rotation_overstay": {
        "max_years": 2.5, "max_years_by_post": {"valuation": 10},
        "posts": ["examiner", "valuation", "risk_analyst"],
    }}})  # fmt: skip
    assert set(alerts(tmp_path, config)) == {"LONG", "ROTATED", "NEW", "ANALYST"}
