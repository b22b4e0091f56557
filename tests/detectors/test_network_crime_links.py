"""network.crime_links: an officer who cleared most of a trader's declarations before its case
is found, whether the case names the trader by id or by a misspelt name; a vehicle desk, a busy
officer, a part-timer, an officer who kept finding discrepancies and clearances after a case
are not."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from arusha.detectors.network_crime_links import CrimeLinks, match_names, party_windows
from arusha.engine import DetectorRun, Finding, Tables
from tests.conftest import SimulatedWorld
from tests.detectors.test_peers import run
from tests.worlds import build, declaration, item

MACHINERY, VEHICLES, STEEL = "8471300000", "8703230000", "7308900000"  # chapters 84, 87, 73
GENERAL = ("G1", "G2", "G3", "G4")
HONEST = 10  # case parties whose declarations are cleared in proportion to each one's work


@dataclass
class CaseWorld:
    """A year of SEA01, 2025, built trader by trader: `clear` gives an officer some of a
    trader's declarations in the first two months of a quarter, released the same day."""

    declarations: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    parties: dict[str, dict] = field(default_factory=dict)
    officers: dict[str, dict] = field(default_factory=dict)
    cases: list[dict] = field(default_factory=list)

    def party(self, party_id: str, name: str, role: str = "trader") -> CaseWorld:
        self.parties[party_id] = {"party_id": party_id, "role": role, "name": name}
        return self

    def clear(self, trader: str, officer: str, n: int, quarter: int, hs_code: str = MACHINERY,
              broker: str = "B1", channel: str = "green", found: int = 0,
              flow: str = "import") -> CaseWorld:  # fmt: skip
        """`n` declarations of `trader` through `broker`, assigned to `officer`; with a yellow
        or red `channel` each is controlled, and the first `found` find a discrepancy."""
        posting = {"officer_id": officer, "office_code": "SEA01", "post": "examiner",
                   "start_date": "2020-01-01"}  # fmt: skip
        self.officers.setdefault(officer, posting)
        for i in range(n):
            month, day = 3 * (quarter - 1) + 1 + i % 2, 1 + (i // 2) % 28
            at = f"2025-{month:02d}-{day:02d}"
            outcome = "none" if channel == "green" else "no_discrepancy"
            if i < found:
                outcome = "discrepancy"
            row = declaration(len(self.declarations), declarant_id=broker, trader_id=trader,
                              officer_id=officer, flow=flow, lodged_at=f"{at}T09:00:00",
                              assigned_at=f"{at}T09:10:00", released_at=f"{at}T15:00:00",
                              risk_channel=channel, final_channel=channel,
                              inspection_outcome=outcome,
                              duties_assessed="150.00" if i < found else "100.00")  # fmt: skip
            self.declarations.append(row)
            self.items.append(item(row["declaration_id"], hs_code))
        return self

    def case(self, case_id: str, detected_on: str, party_id: str = "", party_name: str = "",
             office: str = "AIR01", offence: str = "narcotics") -> CaseWorld:  # fmt: skip
        self.cases.append({"case_id": case_id, "detected_on": detected_on,
                           "office_code": office, "party_id": party_id,
                           "party_name": party_name, "offence": offence})  # fmt: skip
        return self

    def build(self, tmp_path: Path) -> Tables:
        return build(tmp_path, parties=list(self.parties.values()),
                     officers=list(self.officers.values()), declarations=self.declarations,
                     items=self.items, enforcement_cases=self.cases)  # fmt: skip


def world() -> CaseWorld:
    """Four general examiners G1-G4 (ch. 84), a part-timer PT and a vehicle desk V1-V3 (ch. 87).

    * Q1: BG1's 200 machinery declarations, 49 to each examiner and 4 to PT. SMUG (case NC-1 by
      id, 15 May): G1 clears 26 of its 40 (16 lodged by broker B1, 10 by B2), PT 5, the others
      3 each. CARS and VBG: 60 vehicles each, 20 to each vehicle examiner; CARS has case NC-4.
    * Q2: BG2's 200, G1 busy with 80, the others 40 each. BIGCASE (case NC-3): 100 shared in
      the same proportions. NAMED, "Sunrise Trading Ltd", 40: G2 clears 28; its case NC-2
      names "SUNRSIE TRADING LIMITED" only (and "Sunrise Holdings Ltd" also exists).
    * Q3: BG3's 200, 50 each. ST's 40 yellow declarations, 28 to G3, who finds discrepancies in
      4; colleagues find 2 in their 12. Case NC-5.
    * Q4: BG4's 200, 50 each; LATE's 40, 10 each, all after its case NC-6. NICHE, the only
      steel (ch. 73) at the office: G4 clears 28 of its 40, the others 4 each. Case NC-7.
    * NC-8 names a traveller, who is no party.
    * H1-H10, exporters with a case each, whose declarations G1-G4 share equally in Q1 or Q2
      (the usual case party; they also show the funnel that a few ties stand out).
    """
    w = CaseWorld().party("B1", "Harbour Brokers Ltd", "declarant")
    w.party("B2", "Swift Clearing Ltd", "declarant")
    for party_id, name in (("BG1", "Amani Foods Ltd"), ("BG2", "Baraka Foods Ltd"),
                           ("BG3", "Chai Foods Ltd"), ("BG4", "Dawa Foods Ltd"),
                           ("SMUG", "Kilima Imports Ltd"), ("NAMED", "Sunrise Trading Ltd"),
                           ("DECOY", "Sunrise Holdings Ltd"), ("BIGCASE", "Bahari Holdings Ltd"),
                           ("VBG", "Motor Traders Ltd"), ("CARS", "Auto Dealers Ltd"),
                           ("ST", "Upepo Supplies Ltd"), ("LATE", "Late Comers Ltd"),
                           ("NICHE", "Chuma Steel Ltd")):  # fmt: skip
        w.party(party_id, name)
    for g in GENERAL:
        w.clear("BG1", g, 49, 1)
    w.clear("BG1", "PT", 4, 1)
    w.clear("SMUG", "G1", 16, 1).clear("SMUG", "G1", 10, 1, broker="B2").clear("SMUG", "PT", 5, 1)
    for g in GENERAL[1:]:
        w.clear("SMUG", g, 3, 1)
    for v in ("V1", "V2", "V3"):
        w.clear("VBG", v, 20, 1, VEHICLES).clear("CARS", v, 20, 1, VEHICLES)
    for g, bg2, named, big in (("G1", 80, 8, 40), ("G2", 40, 28, 20), ("G3", 40, 2, 20),
                               ("G4", 40, 2, 20)):  # fmt: skip
        w.clear("BG2", g, bg2, 2).clear("NAMED", g, named, 2).clear("BIGCASE", g, big, 2)
    for g, st, found in (("G1", 4, 1), ("G2", 4, 1), ("G3", 28, 4), ("G4", 4, 0)):
        w.clear("BG3", g, 50, 3).clear("ST", g, st, 3, channel="yellow", found=found)
    for g, niche in (("G1", 4), ("G2", 4), ("G3", 4), ("G4", 28)):
        w.clear("BG4", g, 50, 4).clear("LATE", g, 10, 4).clear("NICHE", g, niche, 4, STEEL)
    w.case("NC-1", "2025-05-15", "SMUG").case("NC-2", "2025-08-01", party_name="SUNRSIE "
           "TRADING LIMITED", office="LND01", offence="counterfeit")  # fmt: skip
    w.case("NC-3", "2025-08-01", "BIGCASE", office="SEA01", offence="tobacco")
    w.case("NC-4", "2025-05-15", "CARS", office="SEA01", offence="counterfeit")
    w.case("NC-5", "2025-10-15", "ST").case("NC-6", "2025-09-30", "LATE")
    w.case("NC-7", "2025-12-20", "NICHE")
    for k in range(1, HONEST + 1):  # the usual case party: its goods shared like all the work
        w.party(f"H{k}", f"Honest Exporter {k} Ltd").case(f"NC-H{k}", "2025-06-30", f"H{k}")
        for g in GENERAL:
            w.clear(f"H{k}", g, 10, 1 + k % 2, flow="export")
    return w.case("NC-8", "2025-03-01", party_name="Juma Athumani", office="LND01")


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> Tables:
    return world().build(tmp_path_factory.mktemp("crime_links"))


def findings(tables: Tables, **params) -> dict[tuple[str, str], Finding]:
    """Every tested officer × party finding, alerting or not."""
    r = run(CrimeLinks, tables, **{"every_pair": True, **params})
    return {_pair(f): f for f in CrimeLinks().assess(r.measures, r.params)}


def alerted(r: DetectorRun) -> list[tuple[str, str]]:
    return sorted(_pair(a.finding) for a in r.alerts)


def _pair(f: Finding) -> tuple[str, str]:
    return f.subjects["officer_id"], f.subjects.get("trader_id") or f.subjects["declarant_id"]


def test_the_planted_ties_are_found_and_nobody_else(tables):
    r = run(CrimeLinks, tables)
    assert alerted(r) == [("G1", "SMUG"), ("G2", "NAMED"), ("G4", "NICHE")]
    # SMUG with 5 officers, CARS with 3, NAMED, BIGCASE, ST, NICHE and the honest exporters
    # with 4; LATE not at all.
    assert r.tested == 5 + 3 + 4 * (4 + HONEST)


def test_the_evidence_reproduces_the_figures(tables):
    # Q1, ch. 84, green imports: 240 cleared, 40 of them SMUG's. G1 cleared 49 of the other
    # parties' 200, so E = 40 · 49/200 = 9.8 of SMUG's; G1 cleared 26.
    f = findings(tables)[("G1", "SMUG")]
    e = f.evidence
    assert (e["cleared_by_officer"], e["party_cleared"]) == (26, 40)
    assert e["officers_clearing_party"] == 5
    assert e["expected_cleared_by_officer"] == pytest.approx(9.8)
    assert e["ratio"] == pytest.approx(26 / 9.8) and e["share"] == pytest.approx(0.65)
    assert e["expected_share"] == pytest.approx(9.8 / 40)
    low, high = e["ratio_ci95"]
    assert low < e["ratio"] < high
    assert e["party_cleared_compared_in_any_channel_and_flow"] == 0
    assert e["controls_of_party"] == {
        "by_officer": 0, "discrepancies_found_by_officer": 0,
        "expected_discrepancies_found_by_officer": 0.0, "by_colleagues": 0,
        "discrepancies_found_by_colleagues": 0,
    }  # fmt: skip
    assert e["cases"] == [{"case_id": "NC-1", "detected_on": "2025-05-15", "office_code": "AIR01",
                           "offence": "narcotics", "linked_by": "party id",
                           "cleared_before_by_officer": 26}]  # fmt: skip
    assert e["network"] == [
        _edge("officer", "G1", "broker", "B1", 16), _edge("officer", "G1", "broker", "B2", 10),
        _edge("broker", "B1", "trader", "SMUG", 16), _edge("broker", "B2", "trader", "SMUG", 10),
        _edge("trader", "SMUG", "case", "NC-1", 26),
    ]  # fmt: skip
    assert (f.period_start, f.period_end) == (date(2025, 1, 1), date(2025, 2, 8))
    assert f.office_code == "SEA01"
    assert f.summary == (
        "Officer G1 cleared 26 of the 40 declarations of trader SMUG released at SEA01 green "
        "or without findings in the 365 days before its enforcement case of 2025-05-15; their "
        "share of comparable work predicts about 9.8 (2.7 times as many; {q})."
    )


def _edge(from_role: str, from_id: str, to_role: str, to_id: str, n: int) -> dict:
    return {"from_role": from_role, "from_id": from_id, "to_role": to_role, "to_id": to_id,
            "declarations": n}  # fmt: skip


def test_a_case_known_by_a_misspelt_name_reaches_its_trader(tables):
    # Q2: 340 cleared, NAMED 40; G2 cleared 40 + 20 of the other parties' 300: E = 8.
    e = findings(tables)[("G2", "NAMED")].evidence
    assert (e["cleared_by_officer"], e["expected_cleared_by_officer"]) == (28, pytest.approx(8))
    (case,) = e["cases"]
    assert case["linked_by"] == "name" and case["name_in_case"] == "SUNRSIE TRADING LIMITED"
    assert case["name_similarity"] == pytest.approx(100 * (1 - 2 / 30), abs=0.05)
    assert e["party_name"] == "Sunrise Trading Ltd"


def test_a_busy_officer_is_expected_to_clear_more(tables):
    # G1 cleared 88 of the other Q2 parties' 240: E = 100 · 88/240 for BIGCASE; cleared 40.
    f = findings(tables)[("G1", "BIGCASE")]
    assert f.evidence["expected_cleared_by_officer"] == pytest.approx(100 * 88 / 240)
    assert f.evidence["ratio"] < 1.1 and not f.flagged


def test_a_desk_is_compared_with_its_goods(tables):
    by_goods = findings(tables)
    for v in ("V1", "V2", "V3"):
        e = by_goods[(v, "CARS")].evidence
        assert (e["cleared_by_officer"], e["expected_cleared_by_officer"]) == (20, 20)
    # All goods alike, each vehicle examiner seems to clear a third of CARS where their 20 of
    # the office's 300 other declarations predict 4: the reason goods are compared.
    merged = findings(tables, goods_level="office")
    assert merged[("V1", "CARS")].evidence["expected_cleared_by_officer"] == pytest.approx(4)
    assert all(merged[(v, "CARS")].flagged for v in ("V1", "V2", "V3"))


def test_a_part_timer_with_a_handful_is_not_flagged(tables):
    e = findings(tables)[("PT", "SMUG")]
    assert (e.evidence["cleared_by_officer"], e.evidence["expected_cleared_by_officer"]) == (
        5, pytest.approx(0.8)
    )  # fmt: skip
    assert e.evidence["ratio"] > 6 and not e.flagged  # 5 < min_cleared


def test_an_officer_who_kept_finding_discrepancies_is_not_flagged(tables):
    # ST's yellow declarations have no other yellow work to compare with: its goods are
    # compared in any channel, 200 of BG3 (50 G3's): E = 34 · 50/200 of its 34 cleared.
    f = findings(tables)[("G3", "ST")]
    e = f.evidence
    assert (e["cleared_by_officer"], e["party_cleared"]) == (24, 34)
    assert e["expected_cleared_by_officer"] == pytest.approx(8.5)
    assert e["party_cleared_compared_in_any_channel_and_flow"] == 34
    controls = e["controls_of_party"]
    assert (controls["by_officer"], controls["discrepancies_found_by_officer"]) == (28, 4)
    assert controls["expected_discrepancies_found_by_officer"] == pytest.approx(28 * 2 / 12)
    assert not f.flagged
    assert findings(tables, min_findings=5)[("G3", "ST")].flagged


def test_a_trader_alone_with_its_goods_is_compared_on_the_desk_work(tables):
    # Nobody else imports steel: G1-G4 cleared it, so their whole Q4 work is compared, 60 of
    # the other parties' 240 each (BG4 and LATE): E = 40 · 60/240 = 10 for G4, who cleared 28.
    e = findings(tables)[("G4", "NICHE")].evidence
    assert (e["cleared_by_officer"], e["expected_cleared_by_officer"]) == (28, 10)
    assert e["party_cleared_compared_on_desk_work"] == 40


def test_clearances_after_the_case_or_beyond_the_lookback_do_not_count(tables):
    tested = findings(tables)
    assert not any(party == "LATE" for _, party in tested)
    # With 100 days of lookback SMUG's declarations (January and February) precede its case
    # of 15 May by too much: 40 cleared ones is then 0.
    assert not any(party == "SMUG" for _, party in findings(tables, lookback_days=100))


def test_cases_that_designate_no_party_leave_nothing_to_test(tmp_path):
    w = CaseWorld().party("B1", "Harbour Brokers Ltd", "declarant").party("T1", "Acme Ltd")
    w.clear("T1", "G1", 30, 1).case("NC-8", "2025-03-01", party_name="Juma Athumani")
    r = run(CrimeLinks, w.build(tmp_path))
    assert (r.skipped, r.tested, r.alerts) == ("", 0, [])


def test_skipped_without_enforcement_cases(tmp_path):
    tables = build(tmp_path, declarations=[declaration(1)])
    skipped = run(CrimeLinks, tables).skipped
    assert skipped == "needs enforcement_cases, which the input does not have"


# Linking cases to parties ----------------------------------------------------------------------

REGISTER = pd.DataFrame(
    {
        "party_id": ["T1", "T2", "T3", "T4", "T5", "T6", "T7"],
        "role": ["trader"] * 7,
        "name": ["Sunrise Trading Ltd", "Baobab Dhahabu Industries Ltd",
                 "Dhahabu Baobab Industries Ltd", "Kara Foods", "Kari Foods",
                 "Twiga Holdings Ltd", "Twiga Holdings Limited"],
    }
)  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "party", "similarity"),
    [
        ("SUNRISE TRADING COMPANY LIMITED", "T1", 100.0),  # legal form and case set aside
        ("Sunrise Trading, Ltd.", "T1", 100.0),  # punctuation
        ("Sunrise Tradïng Ltd", "T1", 100.0),  # accents
        ("SUNRSIE TRADING LIMITED", "T1", pytest.approx(100 * (1 - 2 / 30), abs=0.01)),
        ("DHAHABU BAOBAB INDUSTRIES LIMITED", "T3", 100.0),  # word order names another company
        ("Karu Foods", None, None),  # as close to Kara as to Kari
        ("Twiga Holdings", None, None),  # two parties registered under one name
        ("Sunrise Trading Enterprises", None, None),  # too far from any name
        ("Juma Athumani", None, None),  # a traveller, no party
    ],
)
def test_match_names(typed, party, similarity):
    found = match_names(pd.Series([typed], index=[7]), REGISTER, 90.0)
    if party is None:
        assert found.empty
    else:
        assert found.loc[7, "party_id"] == party and found.loc[7, "similarity"] == similarity


def test_party_windows_merge_cases_whose_lookbacks_overlap():
    links = pd.DataFrame(
        {
            "party_role": ["trader"] * 3,
            "party_id": ["T1", "T1", "T1"],
            "detected_on": [date(2024, 1, 10), date(2024, 3, 1), date(2025, 6, 1)],
        }
    )
    windows = party_windows(links, 30)
    assert windows[["window_start", "window_end"]].to_numpy().tolist() == [
        [date(2023, 12, 11), date(2024, 1, 10)],
        [date(2024, 1, 31), date(2024, 3, 1)],
        [date(2025, 5, 2), date(2025, 6, 1)],
    ]
    merged = party_windows(links, 60)  # the first two lookbacks now overlap
    assert merged[["window_start", "window_end"]].to_numpy().tolist() == [
        [date(2023, 11, 11), date(2024, 3, 1)],
        [date(2025, 4, 2), date(2025, 6, 1)],
    ]


# The simulated administration ------------------------------------------------------------------


def test_simulated_crime_links_are_found_and_no_confounder_is(simulated_world: SimulatedWorld):
    r = run(CrimeLinks, simulated_world.tables)
    pairs = {_pair(a.finding) for a in r.alerts}
    planted = simulated_world.planted(CrimeLinks.id)
    assert len(planted) == 2
    for instance in planted.itertuples():
        assert (instance.officer_id, instance.trader_id) in pairs, instance.instance_id
    confounders = set(simulated_world.confounders()["officer_id"]) - {""}
    assert not {officer for officer, _ in pairs} & confounders
    # Every alert names an officer planted in some collusive scheme (the traders of other
    # schemes can have cases too): none is on an honest officer.
    guilty = simulated_world.truth.loc[simulated_world.truth["kind"] != "confounder", "officer_id"]
    assert {officer for officer, _ in pairs} <= set(guilty)
