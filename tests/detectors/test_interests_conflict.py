"""interests.conflict: a declared business and a relative under another spelling are found
when the officer clears their company, a common name only with a steered excess; a namesake,
a similar name, a company the officer never handles and a handful of declarations are not."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from arusha.detectors.interests_conflict import InterestConflict
from arusha.engine import DetectorRun, Finding, Tables
from arusha.engine.alerts import alerts_table
from arusha.stats import poisson_binomial_sf
from tests.conftest import SimulatedWorld
from tests.detectors.test_peers import run
from tests.detectors.test_roster import DutyWorld
from tests.worlds import build

DAYS = 60  # 1 January to 1 March 2025: one quarter
GENERAL = ("G1", "G2", "G3", "G4", "G5")  # examiners at SEA01, all on duty every day
FILLERS = 6  # companies elsewhere owned by a Mohamed Ali, and as many by a John Mwangi

PARTIES = [
    {"party_id": "BR1", "role": "declarant", "name": "Harbour Clearing Ltd"},
    {"party_id": "BR2", "role": "declarant", "name": "Mollel Cargo Services Ltd",
     "owners": "Rehema Swai Mollel"},
    {"party_id": "TBIZ", "role": "trader", "name": "Baobab Holdings Ltd",
     "registration_no": "TR-0000123", "owners": "Neema Kassim"},
    {"party_id": "TREL", "role": "trader", "name": "Upendo Traders Ltd",
     "owners": "HASAN, Aicha Aly; Peter Kimaro"},
    {"party_id": "TMA", "role": "trader", "name": "Crescent Supplies Ltd",
     "owners": "Mohamed Ali; Joseph Kamau"},
    {"party_id": "TJM", "role": "trader", "name": "Summit Distributors Ltd",
     "owners": "John Mwangi; Grace Achieng"},
    {"party_id": "TFEW", "role": "trader", "name": "Kesho Ltd", "owners": "Baraka Temba Chande"},
    {"party_id": "TFAR", "role": "trader", "name": "Pwani Traders Ltd", "owners": "Lucy Ngowi"},
    {"party_id": "TPART", "role": "trader", "name": "Jabali Supplies Ltd",
     "owners": "Hamisi Kassim; Lulu Mrema"},
    *({"party_id": f"F{k}", "role": "trader", "name": f"Filler {word} Ltd",
       "owners": f"{owner}; {other}"}
      for k, (word, owner, other) in enumerate(zip(
          ["Alpha", "Beta", "Gamma", "Delta", "Sigma", "Omega"] * 2,
          ["Mohamed Ali"] * FILLERS + ["John Mwangi"] * FILLERS,
          ["Hamisi Kassim"] * 4 + ["Isaac Mushi", "Ruth Lyimo",
           "Kofi Mensah", "Priya Shah", "Anil Mehta", "Sunil Singh", "Kwame Okafor",
           "David Kiprop"], strict=True))),
]  # fmt: skip
INTERESTS = [
    {"officer_id": "G1", "person_or_company": "BAOBAB HOLDINGS LIMITED", "relation": "business",
     "registration_no": "tr 0000123"},
    {"officer_id": "G2", "person_or_company": "Aisha Ali Hassan", "relation": "spouse"},
    {"officer_id": "G3", "person_or_company": "Mohamed Ali", "relation": "parent"},
    {"officer_id": "G3", "person_or_company": "Josephine Kamau", "relation": "child"},
    {"officer_id": "G4", "person_or_company": "John Mwangi", "relation": "parent"},
    {"officer_id": "G5", "person_or_company": "Baraka Temba Chande", "relation": "sibling"},
    {"officer_id": "G5", "person_or_company": "Rehema Swai Mollel", "relation": "sibling"},
    {"officer_id": "G5", "person_or_company": "Hamisi Juma Kassim", "relation": "spouse"},
]  # fmt: skip


def steered(officer: str, count: int):
    """7 in 10 of `count` declarations to `officer`, the others in turn to the rest."""
    others = [g for g in GENERAL if g != officer]
    for s in range(count):
        yield s, officer if s % 10 < 7 else others[s % len(others)]


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Tables:
    """SEA01 for a quarter, five examiners on duty every day, one broker (BR1), and X1 alone at
    LND01 with broker BR2. Each trader's declarations are dealt in turn among the five unless
    steered:

    * TBIZ (1 a day): G1 declared it as a business, by name and registration number, and gets
      his fair fifth: 12 declarations, a conflict of interest all the same;
    * TREL (2 a day, 7 in 10 to G2): an owner is `HASAN, Aicha Aly`, G2's declared spouse
      `Aisha Ali Hassan`; every fourth declaration is red, and the other officers' red ones
      find a discrepancy, G2's never;
    * TMA (2 a day): owned by Mohamed Ali, G3's declared parent, like six other companies,
      and by Joseph Kamau (G3 declared a Josephine Kamau);
    * TJM (1 a day, 7 in 10 to G4): owned by John Mwangi, G4's declared parent, like six
      other companies;
    * TFEW (one a day for 20 days): owned by G5's sibling, who receives 4;
    * TFAR (1 a day at LND01, all to X1, lodged by BR2): BR2 is owned by G5's other sibling;
    * TPART (1 a day, 7 in 10 to G5): owned by a Hamisi Kassim, like four other companies,
      where G5 declared a spouse Hamisi Juma Kassim: part of a common name.
    """
    w = DutyWorld()
    for officer in GENERAL:
        w.post(officer)
    w.post("X1", office="LND01")
    for n in range(DAYS):
        for officer in GENERAL:
            w.login(officer, n)
        w.receive(GENERAL[n % 5], "BR1", n, trader="TBIZ")
        w.receive(GENERAL[(2 * n) % 5], "BR1", n, trader="TMA")
        w.receive(GENERAL[(2 * n + 1) % 5], "BR1", n, trader="TMA")
        w.receive("X1", "BR2", n, office="LND01", trader="TFAR")
        if n < 20:
            w.receive(GENERAL[n % 5], "BR1", n, trader="TFEW")
    for s, officer in steered("G2", 2 * DAYS):
        w.receive(officer, "BR1", s // 2, trader="TREL")
        if s % 4 == 0:
            outcome = "no_discrepancy" if officer == "G2" else "discrepancy"
            w.declarations[-1].update(risk_channel="red", final_channel="red",
                                      inspection_outcome=outcome)  # fmt: skip
    for s, officer in steered("G4", DAYS):
        w.receive(officer, "BR1", s, trader="TJM")
    for s, officer in steered("G5", DAYS):
        w.receive(officer, "BR1", s, trader="TPART")
    return build(
        tmp_path_factory.mktemp("interests"), parties=PARTIES, officers=w.postings,
        declarations=w.declarations, items=w.items, audit_events=w.logins, interests=INTERESTS,
    )  # fmt: skip


def findings(tables: Tables, **params) -> dict[tuple[str, str], Finding]:
    """Every tested pair's finding, alerting or not, by (officer, party)."""
    r = run(InterestConflict, tables, **params)
    return {(f.subjects["officer_id"], _party(f)): f
            for f in InterestConflict().assess(r.measures, r.params)}  # fmt: skip


def alerted(r: DetectorRun) -> list[tuple[str, str]]:
    return sorted((a.finding.subjects["officer_id"], _party(a.finding)) for a in r.alerts)


def _party(f: Finding) -> str:
    return f.subjects.get("trader_id") or f.subjects["declarant_id"]


def test_the_declared_business_the_relative_and_the_steered_common_name_are_found(tables):
    r = run(InterestConflict, tables)
    assert alerted(r) == [("G1", "TBIZ"), ("G2", "TREL"), ("G4", "TJM")]
    by_pair = {(a.finding.subjects["officer_id"], _party(a.finding)): a for a in r.alerts}
    # Identified links are rules; the common name is tested, and only it has a q-value.
    assert by_pair[("G1", "TBIZ")].finding.p_value is None
    assert by_pair[("G2", "TREL")].finding.p_value is None
    assert by_pair[("G4", "TJM")].q_value <= 0.05


def test_the_evidence_shows_the_match_its_weights_and_what_the_officer_did(tables):
    f = findings(tables)[("G2", "TREL")]
    e, link = f.evidence, f.evidence["link"]
    assert (link["declared"], link["relation"], link["matched"], link["matched_as"]) == (
        "Aisha Ali Hassan",
        "spouse",
        "HASAN, Aicha Aly",
        "owner or director",
    )
    assert link["name_agreement"] == "the same words in another spelling or order"
    assert link["namesakes_in_register"] == 0 and link["expected_namesakes"] < 0.15
    weights = link["match_weights"]
    assert link["match_weight"] == pytest.approx(weights["prior"] + weights["name"])
    assert link["match_probability"] == pytest.approx(1 / (1 + 2 ** -link["match_weight"]))
    assert 0.5 <= link["match_probability"] < 1 and e["link_identified"]
    records = sum(len(p["owners"].split(";")) for p in PARTIES if "owners" in p)
    assert link["register_records"] == records
    assert weights["prior"] == pytest.approx(math.log2(1 / (records - 1)))  # 1 / size: odds
    # The name weighs log2(m / u), u the chance of a namesake: expected ones over the register.
    assert link["name_u_probability"] == pytest.approx(link["expected_namesakes"] / records)
    assert weights["name"] == pytest.approx(
        math.log2(link["name_m_probability"] / link["name_u_probability"])
    )
    assert (e["party_declarations"], e["handled"], e["handled_at_office"]) == (120, 84, 84)
    assert (e["handled_controlled"], e["handled_discrepancies"]) == (24, 0)
    assert (e["others_controlled"], e["others_discrepancies"]) == (6, 6)
    assert (e["declarations_eligible"], e["received_when_eligible"]) == (120, 84)
    assert e["expected_under_random_assignment"] == pytest.approx(24.0)  # 120 × 1/5
    assert e["ratio"] == pytest.approx(3.5) and e["ratio_ci95"][0] < 3.5 < e["ratio_ci95"][1]
    assert e["p_random_assignment"] == pytest.approx(poisson_binomial_sf(84, np.full(120, 0.2)))
    # The period of their handling: the last two declarations, on 1 March, went to others.
    assert (str(f.period_start), str(f.period_end)) == ("2025-01-01", "2025-02-28")
    assert f.office_code == "SEA01" and f.score == pytest.approx(84 * link["match_probability"])
    assert f.summary == (
        "Officer G2 handled 84 of the 120 declarations of trader TREL at SEA01 (random "
        "assignment would have given about 24), none of their 24 controls finding a discrepancy "
        "(other officers: 6 of 6), and declared as spouse Aisha Ali Hassan, who matches 'HASAN, "
        "Aicha Aly', an owner or director of the trader (the same words in another spelling or "
        f"order; link probability {link['match_probability']:.2f})."
    )


def test_a_declared_business_is_a_conflict_even_at_a_fair_share(tables):
    f = findings(tables)[("G1", "TBIZ")]
    link = f.evidence["link"]
    assert link["registration_no_agreement"] == "the same number"
    assert link["name_agreement"] == "the same words"  # the legal form aside
    assert link["match_probability"] > 0.999 and f.flagged
    assert f.evidence["expected_under_random_assignment"] == pytest.approx(12.0)
    assert f.summary == (
        "Officer G1 handled 12 of the 60 declarations of trader TBIZ at SEA01 (random "
        "assignment would have given about 12), none of them controlled, and declared a "
        "business interest in BAOBAB HOLDINGS LIMITED (tr 0000123), the trader's registered "
        "name and number (link probability 1.00)."
    )


def test_a_common_name_alone_never_alerts(tables):
    tested = findings(tables)
    f = tested[("G3", "TMA")]
    link = f.evidence["link"]
    assert link["namesakes_in_register"] == FILLERS  # the other owners called Mohamed Ali
    assert link["match_probability"] < 0.5 and not f.evidence["link_identified"]
    assert f.evidence["handled"] == 24 and f.evidence["ratio"] == pytest.approx(1.0)
    assert not f.flagged and f.p_value > 0.4
    # The steered common name alerts on the excess, and says so.
    steered_pair = tested[("G4", "TJM")]
    assert steered_pair.evidence["received_when_eligible"] == 42
    assert steered_pair.p_value == pytest.approx(poisson_binomial_sf(42, np.full(60, 0.2)))
    assert "{q}" in steered_pair.summary and "the excess corroborates it" in steered_pair.summary
    # Companies elsewhere owned by namesakes, with no declarations, are not tested.
    assert not {party for officer, party in tested if party.startswith("F")}


def test_a_similar_name_a_company_never_handled_and_a_handful_are_not_flagged(tables):
    tested = findings(tables)
    assert not any(f.evidence["link"]["declared"] == "Josephine Kamau" for f in tested.values())
    far = tested[("G5", "BR2")]  # the broker a sibling owns, lodging only at LND01
    assert far.subjects == {"officer_id": "G5", "declarant_id": "BR2"}
    assert far.evidence["link_identified"] and far.evidence["handled"] == 0 and not far.flagged
    assert far.office_code == "LND01"
    few = tested[("G5", "TFEW")]
    assert few.evidence["link_identified"] and few.evidence["handled"] == 4 and not few.flagged
    assert findings(tables, min_handled=4)[("G5", "TFEW")].flagged


def test_part_of_a_common_name_is_not_corroborated_by_steering(tables):
    f = findings(tables)[("G5", "TPART")]
    link = f.evidence["link"]
    assert link["name_agreement"] == "the words of one name all in the other"
    assert link["namesakes_in_register"] == 4 and not f.evidence["link_identified"]
    assert f.evidence["received_when_eligible"] == 42 and f.p_value < 1e-10
    assert not f.flagged  # steered, but the names may well belong to different people


def test_a_stricter_link_threshold_leaves_the_relative_to_the_excess(tables):
    tested = findings(tables, min_link_probability=0.999)
    relative = tested[("G2", "TREL")]
    assert not relative.evidence["link_identified"] and relative.p_value < 1e-10
    assert relative.flagged  # 84 received where 24 were expected: corroborated
    assert tested[("G1", "TBIZ")].evidence["link_identified"]  # the registration number


def test_reruns_give_identical_alerts(tables):
    first = alerts_table(run(InterestConflict, tables).alerts)
    again = alerts_table(run(InterestConflict, tables).alerts)
    assert first.equals(again) and first.num_rows == 3
    evidence = json.loads(first.column("evidence")[0].as_py())
    assert set(evidence["link"]["match_weights"]) == {"prior", "name", "registration_no"}


def test_without_interests_the_detector_is_skipped(tmp_path):
    tables = build(tmp_path, parties=PARTIES[:3])
    assert run(InterestConflict, tables).skipped == "needs interests, which the input does not have"


def test_interests_that_match_nobody_give_no_findings(tmp_path):
    posting = {"officer_id": "G1", "office_code": "SEA01", "post": "examiner",
               "start_date": "2020-01-01", "end_date": ""}  # fmt: skip
    tables = build(tmp_path, parties=PARTIES[:4], officers=[posting], interests=[
        {"officer_id": "G1", "person_or_company": "Ngao Lulu Almasi", "relation": "spouse"},
        {"officer_id": "G1", "person_or_company": "Kifaru Mazao Ltd", "relation": "business"},
    ])  # fmt: skip
    r = run(InterestConflict, tables)
    assert (r.findings, r.alerts, r.skipped) == (0, [], "")


def test_on_the_simulated_administration(simulated_world: SimulatedWorld):
    r = run(InterestConflict, simulated_world.tables)
    planted = simulated_world.planted("interests.conflict")
    assert len(planted) == 3
    flagged = {(a.finding.subjects["officer_id"], a.finding.subjects.get("trader_id"))
               for a in r.alerts}  # fmt: skip
    assert flagged == set(zip(planted["officer_id"], planted["trader_id"], strict=True))
    confounders = simulated_world.confounders()
    assert not {o for o, _ in flagged} & set(confounders["officer_id"]) - {""}
    # The common-name relatives are linked, weakly, and never alerted.
    common = confounders[confounders["scheme"] == "common_name_relative"]["officer_id"]
    tested = InterestConflict().assess(r.measures, r.params)
    linked = [f for f in tested if f.subjects["officer_id"] in set(common)]
    assert linked and not any(f.flagged or f.evidence["link_identified"] for f in linked)
    assert pd.Series([f.evidence["handled"] for f in linked]).eq(0).all()
