"""assignment.steering: a broker steered to one examiner is found; a dominant broker, a desk
of vehicle specialists and a part-timer are not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from arusha.contract import ingest
from arusha.detectors.assignment_steering import AssignmentSteering
from arusha.engine import DetectorRun, Finding, Tables
from arusha.simulate import simulate
from arusha.stats import poisson_binomial_sf
from tests.detectors.test_peers import assert_planted_found_and_no_confounder, run
from tests.detectors.test_roster import VEHICLES, DutyWorld

DAYS = 60  # 1 January to 1 March 2025: one quarter
GENERAL = ("G1", "G2", "G3", "G4", "G5")
LEAVE = range(30, 45)  # G3 is on leave
MONDAYS = range(5, DAYS, 7)  # the part-timer's days (6 January 2025 was a Monday)


def general_on_duty(n: int) -> list[str]:
    return [g for g in GENERAL if not (g == "G3" and n in LEAVE)] + ["PT"] * (n in MONDAYS)


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Tables:
    """SEA01 for a quarter. Five general examiners (G3 on leave for two weeks) and a part-timer
    (Mondays) log in on their duty days; three vehicle examiners likewise, every day.

    * BIG, a broker who dominates the office: ten declarations a day, dealt in turn to the
      general examiners on duty (the part-timer gets one on his days);
    * STEER: two declarations a day, 7 in 10 of them to G1, the others dealt in turn to the
      rest of the general examiners on duty;
    * CARS, a vehicle broker: three a day, one to each vehicle examiner;
    * SMALL: four declarations on the first Monday, three of them to the part-timer.
    Each broker has one trader of its own ("T" + broker)."""
    w = DutyWorld()
    for officer in (*GENERAL, "PT", "V1", "V2", "V3"):
        w.post(officer)
    big, steer = 0, 0
    for n in range(DAYS):
        on = general_on_duty(n)
        for officer in ("V1", "V2", "V3", *on):
            w.login(officer, n)
        general = [g for g in on if g != "PT"]
        for k in range(10):
            if k == 0 and "PT" in on:
                w.receive("PT", "BIG", n)
            else:
                w.receive(general[big % len(general)], "BIG", n)
                big += 1
        for _ in range(2):
            others = [g for g in on if g not in ("G1", "PT")]
            w.receive("G1" if steer % 10 < 7 else others[steer % len(others)], "STEER", n)
            steer += 1
        for officer in ("V1", "V2", "V3"):
            w.receive(officer, "CARS", n, VEHICLES)
    for officer in ("PT", "PT", "PT", "G2"):
        w.receive(officer, "SMALL", MONDAYS[0])
    return w.build(tmp_path_factory.mktemp("steering"))


def findings(tables: Tables, **params) -> dict[tuple[str, str], Finding]:
    """Every pair's finding, alerting or not, by (officer, party); without the screen unless
    asked, so that pairs that cannot be material are tested too."""
    r = run(AssignmentSteering, tables, **{"screen": False, **params})
    tested = AssignmentSteering().assess(r.measures, r.params)
    return {(f.subjects["officer_id"], _party(f)): f for f in tested}


def alerted(r: DetectorRun) -> list[tuple[str, str]]:
    return sorted((a.finding.subjects["officer_id"], _party(a.finding)) for a in r.alerts)


def _party(f: Finding) -> str:
    return f.subjects.get("declarant_id") or f.subjects["trader_id"]


def k_by_day() -> np.ndarray:
    """Officers eligible for a general declaration each day: the general examiners and the
    part-timer on duty."""
    return np.array([len(general_on_duty(n)) for n in range(DAYS)])


def test_the_steered_broker_and_its_trader_are_found_and_nobody_else(tables):
    r = run(AssignmentSteering, tables)
    assert alerted(r) == [("G1", "STEER"), ("G1", "TSTEER")]
    exact = poisson_binomial_sf(84, 1 / np.repeat(k_by_day(), 2))
    assert [a.finding.p_value for a in r.alerts] == pytest.approx([exact, exact])
    # The family: BIG, STEER and CARS (SMALL has too few declarations), each as broker and as
    # trader, times the nine officers of the office; the screen set aside BIG everywhere
    # (each general examiner got a fifth of it in the draws they were in) and CARS (each
    # vehicle examiner got their third), and counted STEER with G1 exactly.
    assert r.tested == 2 * 3 * 9
    screened = set(r.measures.officer_id + "/" + r.measures.party_id)
    assert {"G1/STEER", "G1/TSTEER"} <= screened
    assert not {p for p in screened if p.endswith("BIG") or p.endswith("CARS")}
    # Without the screen: every pair in which the officer was eligible for one of the
    # party's declarations (BIG and STEER with the six general officers, CARS with the three
    # vehicle examiners), and the same alerts, with smaller q-values (fewer tests).
    exact = run(AssignmentSteering, tables, screen=False)
    assert exact.tested == 2 * (6 + 6 + 3)
    assert alerted(exact) == alerted(r)
    assert [a.q_value for a in exact.alerts] < [a.q_value for a in r.alerts]


def assert_screen_keeps_material_pairs(tables: Tables, **params) -> None:
    """The screened run computes the same figures for the pairs it keeps, and keeps every pair
    the exact run finds material."""
    exact = run(AssignmentSteering, tables, screen=False, **params)
    screened = run(AssignmentSteering, tables, **params)
    key = ["office_code", "officer_id", "party_role", "party_id"]
    kept = screened.measures.merge(exact.measures, on=key, suffixes=("", "_exact"))
    assert len(kept) == len(screened.measures)
    assert np.allclose(kept["expected"], kept["expected_exact"], rtol=1e-9)
    material = exact.measures[exact.measures["draws"].notna()]
    assert set(map(tuple, material[key].to_numpy())) <= set(map(tuple, kept[key].to_numpy()))


def test_the_screen_keeps_every_material_pair(tables):
    assert_screen_keeps_material_pairs(tables, min_declarations=1, min_received=3)


def test_the_evidence_reproduces_the_figures(tables):
    alert = next(a for a in run(AssignmentSteering, tables).alerts if "declarant_id" in
                 a.finding.subjects)  # fmt: skip
    e = alert.finding.evidence
    k = np.repeat(k_by_day(), 2)  # two STEER declarations a day, all of them G1's trials
    assert (e["party_declarations"], e["declarations_eligible"], e["received"]) == (120, 120, 84)
    assert e["expected"] == pytest.approx(np.sum(1 / k))
    assert e["mean_officers_eligible"] == pytest.approx(k.mean())
    assert e["share_received"] == pytest.approx(0.7)
    assert e["expected_share"] == pytest.approx(np.mean(1 / k))
    assert alert.finding.p_value == pytest.approx(poisson_binomial_sf(84, 1 / k))
    assert e["test"] == "exact Poisson-binomial upper tail, p_i = 1/k_i"
    assert e["desks"] == [{"desk": "84", "declarations": 120, "received": 84,
                           "expected": pytest.approx(np.sum(1 / k))}]  # fmt: skip
    low, high = e["ratio_ci95"]
    assert e["ratio"] == pytest.approx(84 / np.sum(1 / k)) and low < e["ratio"] < high
    assert (str(e["period_start"]), str(e["period_end"])) == ("2025-01-01", "2025-03-01")
    assert json.loads(alert.row()["evidence"])["desks"][0]["received"] == 84  # plain JSON
    assert alert.summary == (
        "Officer G1 received 84 of the 120 declarations of broker STEER at SEA01 that they "
        f"could have received (70%), where random assignment among the {k.mean():.1f} "
        f"officers on duty at the desk would give about {np.sum(1 / k):.1f} "
        f"({np.mean(1 / k):.0%}); q < 0.001."
    )


def test_a_broker_who_dominates_the_office_reaches_everyone_in_proportion(tables):
    tested = findings(tables)
    for g in GENERAL:
        f = tested[(g, "BIG")]
        assert 0.8 < f.evidence["ratio"] < 1.25 and not f.flagged
        assert f.evidence["test"].startswith("normal approximation to the Poisson-binomial")
    assert tested[("G3", "BIG")].evidence["declarations_eligible"] == 10 * (DAYS - len(LEAVE))


def test_vehicle_specialists_are_compared_with_their_desk_only(tables):
    by_desk = findings(tables)
    for v in ("V1", "V2", "V3"):
        e = by_desk[(v, "CARS")].evidence
        assert (e["received"], e["expected"], e["mean_officers_eligible"]) == (60, 60.0, 3.0)
    # Without desks, each vehicle examiner seems to get a third of CARS where one in eight
    # or nine would be expected: the reason desks are part of the draw.
    merged = findings(tables, desk="office")
    assert all(merged[(v, "CARS")].flagged for v in ("V1", "V2", "V3"))
    assert merged[("V1", "CARS")].evidence["ratio"] > 2.5


def test_a_part_timer_with_tiny_volumes_is_not_flagged(tables):
    tested = findings(tables, min_declarations=1)
    e = tested[("PT", "SMALL")].evidence
    assert (e["received"], e["declarations_eligible"]) == (3, 4)
    assert e["ratio"] > 3 and not tested[("PT", "SMALL")].flagged  # 3 < min_received
    assert not tested[("PT", "BIG")].flagged  # one a Monday: less than his share
    assert alerted(run(AssignmentSteering, tables, min_declarations=1)) == [
        ("G1", "STEER"), ("G1", "TSTEER"),
    ]  # fmt: skip


def test_logins_count_colleagues_on_duty_who_received_nothing(tmp_path):
    # A and B log in every day for forty days; broker X's one declaration a day always goes
    # to A. B examined one declaration, on the first day, so handles the desk.
    w = DutyWorld().post("A").post("B").receive("B", "Y", 0)
    for n in range(40):
        w.login("A", n).login("B", n).receive("A", "X", n)
    tables = w.build(tmp_path)
    with_logins = findings(tables)[("A", "X")]
    assert with_logins.evidence["expected"] == 20 and with_logins.flagged
    # From receipts alone B was on duty on the first day only: A looks like the only examiner.
    receipts_only = findings(tables, logins=False)[("A", "X")]
    assert receipts_only.evidence["expected"] == 39.5 and not receipts_only.flagged


SIMULATED_DECLARATIONS, SIMULATED_SEED = 40_000, 11


@pytest.fixture(scope="module")
def steering_world(tmp_path_factory) -> tuple[Tables, pd.DataFrame]:
    out = tmp_path_factory.mktemp("simulated") / "world"
    result = simulate(out, SIMULATED_DECLARATIONS, SIMULATED_SEED)
    ingest(result.out_dir, out.parent / "work.duckdb")
    truth = pd.read_csv(result.truth_path, dtype=str, keep_default_na=False)
    return Tables.open(out.parent / "work.duckdb"), truth


@pytest.fixture(scope="module")
def simulated(steering_world) -> tuple[DetectorRun, pd.DataFrame]:
    tables, truth = steering_world
    return run(AssignmentSteering, tables), truth


@pytest.mark.slow
def test_on_a_simulated_administration_the_screen_keeps_every_material_pair(steering_world):
    assert_screen_keeps_material_pairs(steering_world[0])


@pytest.mark.slow
def test_simulated_steering_is_found_and_no_confounder_is(simulated):
    r, truth = simulated
    assert_planted_found_and_no_confounder(r, truth)
    pairs = {(a.finding.subjects["officer_id"], a.finding.subjects.get("declarant_id"))
             for a in r.alerts}  # fmt: skip
    for s in truth[truth["scheme"] == AssignmentSteering.id].itertuples():
        assert (s.officer_id, s.declarant_id) in pairs, s.instance_id
