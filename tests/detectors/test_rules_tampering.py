"""rules.tampering: rules switched off irregularly while a trader pushes declarations through are
found; routine maintenance, and irregular changes that served no one, are not."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from arusha.detectors.rules_tampering import RulesTampering
from arusha.engine import Detector, DetectorRun, Finding, Tables
from arusha.evaluate import evaluate
from tests.conftest import SimulatedWorld
from tests.detectors.test_peers import run
from tests.worlds import build, declaration, item

VEHICLES, CIGARETTES, TSHIRTS = "8703230000", "2402200000", "6109100000"


def posting(officer: str, office: str, post: str) -> dict:
    return {"officer_id": officer, "office_code": office, "post": post,
            "start_date": "2020-01-01", "end_date": ""}  # fmt: skip


OFFICERS = [
    posting("X1", "SEA01", "examiner"),
    posting("S1", "AIR01", "supervisor"),
    posting("A1", "HQ01", "risk_analyst"),
    posting("IT1", "HQ01", "it_admin"),
]
PARTIES = [
    {"party_id": "B1", "role": "declarant", "name": "Harbour Brokers Ltd"},
    *({"party_id": f"T{k}", "role": "trader", "name": f"Trader {k} Ltd"} for k in range(1, 7)),
]
RULES = [
    {"rule_id": "R1", "description": "Trader T1: previous offences", "hs_prefix": "",
     "trader_id": "T1", "channel": "red"},
    {"rule_id": "R2", "description": "Cigarettes", "hs_prefix": "2402", "trader_id": "",
     "channel": "red"},
    {"rule_id": "R3", "description": "Trader T5: previous offences", "hs_prefix": "",
     "trader_id": "T5", "channel": "yellow"},
    {"rule_id": "R4", "description": "T-shirts: counterfeit brands", "hs_prefix": "6109",
     "trader_id": "", "channel": "yellow"},
]  # fmt: skip


class World:
    """Declarations lodged one by one, rule changes and logins as audit events."""

    def __init__(self) -> None:
        self.declarations: list[dict] = []
        self.items: list[dict] = []
        self.events: list[dict] = []

    def lodge(self, trader: str, when: datetime, channel: str, hs_code: str = VEHICLES) -> None:
        n = len(self.declarations)
        row = declaration(n, trader_id=trader, lodged_at=f"{when:%Y-%m-%dT%H:%M:%S}",
                          risk_channel=channel, final_channel=channel,
                          released_at=f"{when + timedelta(hours=1):%Y-%m-%dT%H:%M:%S}")  # fmt: skip
        self.declarations.append(row)
        self.items.append(item(row["declaration_id"], hs_code))

    def every(self, trader: str, first: datetime, days: int, count: int, channels: tuple[str, ...],
              hs_code: str = VEHICLES) -> None:  # fmt: skip
        for k in range(count):
            self.lodge(trader, first + timedelta(days=days * k), channels[k % len(channels)],
                       hs_code)  # fmt: skip

    def event(self, user: str, when: datetime, action: str, object_id: str, old: str = "",
              new: str = "", workstation: str = "") -> None:  # fmt: skip
        self.events.append({
            "event_id": f"E{len(self.events):05d}", "occurred_at": f"{when:%Y-%m-%dT%H:%M:%S}",
            "user_id": user, "action": action,
            "object_type": "user" if action == "login" else "risk_rule", "object_id": object_id,
            "old_value": old, "new_value": new, "workstation": workstation,
        })  # fmt: skip

    def switch_off(self, user: str, rule: str, start: datetime, stop: datetime, workstation: str,
                   edit: tuple[str, str] | None = None) -> None:  # fmt: skip
        if edit is None:
            self.event(user, start, "disable_risk_rule", rule, "active", "inactive", workstation)
            self.event(user, stop, "enable_risk_rule", rule, "inactive", "active", workstation)
        else:
            self.event(user, start, "edit_risk_rule", rule, *edit, workstation)
            self.event(user, stop, "edit_risk_rule", rule, *edit[::-1], workstation)


def at(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}")


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    w = World()
    for user, workstation in (("X1", "SEA01-WS2"), ("S1", "AIR01-WS3"), ("A1", "HQ01-WS1"),
                              ("IT1", "HQ01-WS9")):  # fmt: skip
        for k in range(30):  # a working habit: logins on thirty days from the usual desk
            w.event(user, at("2025-01-06", "07:30") + timedelta(days=k), "login", user,
                    workstation=workstation)  # fmt: skip
    # T1, under trader rule R1, is always controlled; an examiner switches R1 off for a night
    # (Friday 22:00 to Saturday 06:00, from a remote connection) and T1 lodges six that go green.
    w.every("T1", at("2025-01-06", "09:00"), 4, 30, ("red",))
    w.switch_off("X1", "R1", at("2025-03-07", "22:00"), at("2025-03-08", "06:00"), "VPN-1")
    for k in range(6):
        w.lodge("T1", at("2025-03-07", "22:30") + timedelta(minutes=40 * k), "green")
    # A supervisor, whose post does not maintain rules, switches R1 off for two office hours
    # of a Monday in which T1 lodges nothing: irregular, but nobody benefited.
    w.switch_off("S1", "R1", at("2025-05-05", "10:00"), at("2025-05-05", "12:00"), "AIR01-WS3")
    # Cigarettes (R2): T3 imports them every five days, always red. A risk analyst switches R2
    # off for 40 minutes of a Wednesday morning (routine); one of T3's goes through green.
    w.every("T3", at("2025-01-03", "10:00"), 5, 30, ("red",), CIGARETTES)
    w.switch_off("A1", "R2", at("2025-02-12", "10:00"), at("2025-02-12", "10:40"), "HQ01-WS1")
    w.lodge("T3", at("2025-02-12", "10:15"), "green", CIGARETTES)
    # The IT administrator edits R2 to match nothing one Tuesday night and back; T4, an
    # occasional cigarette importer, pushes five declarations through.
    for day in ("2025-01-20", "2025-02-20", "2025-05-20"):
        w.lodge("T4", at(day, "11:00"), "red", CIGARETTES)
    w.switch_off("IT1", "R2", at("2025-04-15", "23:00"), at("2025-04-16", "05:00"), "VPN-1",
                 edit=("hs_prefix=2402", "hs_prefix=2499"))  # fmt: skip
    for k in range(5):
        w.lodge("T4", at("2025-04-15", "23:30") + timedelta(minutes=50 * k), "green", CIGARETTES)
    # A risk analyst, in office hours, switches trader rule R3 off for three hours in which its
    # trader T5 pushes twelve declarations through: routine hands, extreme benefit.
    w.every("T5", at("2025-01-02", "14:00"), 7, 20, ("yellow",))
    w.switch_off("A1", "R3", at("2025-06-12", "09:30"), at("2025-06-12", "12:30"), "HQ01-WS1")
    for k in range(12):
        w.lodge("T5", at("2025-06-12", "09:40") + timedelta(minutes=12 * k), "green")
    # T-shirts (R4) are selected half the time; an examiner switches R4 off one evening and
    # four T-shirt declarations go green: as many as chance would make green anyway, nearly.
    w.every("T6", at("2025-01-04", "12:00"), 6, 20, ("green", "yellow"), TSHIRTS)
    w.switch_off("X1", "R4", at("2025-04-22", "20:00"), at("2025-04-22", "23:00"), "SEA01-WS2")
    for k in range(4):
        w.lodge("T6", at("2025-04-22", "20:15") + timedelta(minutes=30 * k), "green", TSHIRTS)
    # Routine: an analyst lowers R4's selection rate for two weeks, in office hours.
    w.switch_off("A1", "R4", at("2025-03-03", "11:00"), at("2025-03-17", "11:00"), "HQ01-WS1",
                 edit=("selection_rate=0.50", "selection_rate=0.45"))  # fmt: skip
    return build(tmp_path_factory.mktemp("tampering"), officers=OFFICERS, parties=PARTIES,
                 declarations=w.declarations, items=w.items, audit_events=w.events,
                 risk_rules=RULES)  # fmt: skip


def by_window(r: DetectorRun) -> dict[tuple[str, str], Finding]:
    """Every window's finding, by (user, rule)."""
    found = RulesTampering().assess(r.measures, r.params)
    return {(f.subjects["user_id"], f.subjects["rule_id"]): f for f in found}


def alerted(r: DetectorRun) -> list[dict[str, str]]:
    return sorted((a.finding.subjects for a in r.alerts), key=lambda s: s["rule_id"])


@pytest.fixture(scope="module")
def default(tables: Tables) -> DetectorRun:
    return run(RulesTampering, tables)


def test_rules_switched_off_for_a_trader_are_found_and_routine_changes_are_not(default):
    assert alerted(default) == [
        {"user_id": "X1", "rule_id": "R1", "trader_id": "T1"},
        {"user_id": "IT1", "rule_id": "R2", "trader_id": "T4"},
        {"user_id": "A1", "rule_id": "R3", "trader_id": "T5"},
    ]
    # One finding per disable and per edit that does not restore the previous edit.
    assert len(RulesTampering().assess(default.measures, default.params)) == 7


def test_the_night_disable_evidence(default):
    f = by_window(default)[("X1", "R1")]
    assert f.summary == (
        "Account X1 (examiner) disabled rule R1 (Trader T1: previous offences) from 2025-03-07 "
        "22:00 to 2025-03-08 06:00, by a post that does not maintain rules and outside office "
        "hours; 6 declarations it targets were released green in that window, 6 of them of "
        "trader T1, whose declarations outside it ended red or yellow 100% of the time."
    )
    benefit = f.evidence["benefit"]
    assert benefit["targeted_declarations_in_window"] == 6
    assert benefit["released_green_in_window"] == 6
    assert benefit["targeted_declarations_outside_window"] == 30
    assert benefit["green_share_outside_window"] == 0
    assert benefit["released_green_beyond_expected"] == f.score == 6
    change = f.evidence["change"]
    assert change["restored"] and change["window_hours"] == 8
    assert change["opened"]["workstation"] == "VPN-1"
    # X1 was active on 33 days (30 logins, the night's two days, an evening in April) and
    # used VPN-1 on two of them.
    assert change["opened"]["workstation_share_of_active_days"] == pytest.approx(2 / 33)
    assert f.evidence["irregularities"] == [
        "by an account whose post does not maintain risk rules: made by X1 (post examiner), "
        "undone by X1 (post examiner)",
        "outside office hours (Mon-Fri 07:00-18:00): made Fri 22:00, undone Sat 06:00",
    ]
    beneficiary = f.evidence["beneficiary"]
    assert beneficiary["why_named"] == "the rule's trader"
    assert beneficiary["declarations_in_window"] == 6
    assert (f.period_start.isoformat(), f.period_end.isoformat()) == ("2025-03-07", "2025-03-08")


def test_an_edit_that_matches_nothing_names_the_trader_who_clustered_in_it(default):
    f = by_window(default)[("IT1", "R2")]
    assert f.flagged
    assert f.evidence["rule"]["targets"] == "goods under HS prefix 2402"
    assert f.evidence["change"]["old_value"] == "hs_prefix=2402"
    beneficiary = f.evidence["beneficiary"]
    assert beneficiary["trader_id"] == "T4"
    assert beneficiary["why_named"].startswith("its declarations cluster in the window")
    assert beneficiary["declarations_in_window"] == 5
    assert beneficiary["declarations_outside_window"] == 3
    assert beneficiary["p_clustering_poisson"] < 1e-6


def test_routine_maintenance_and_changes_that_served_no_one_do_not_alert(default):
    found = by_window(default)
    routine = found[("A1", "R2")]
    assert not routine.flagged and routine.evidence["irregularities"] == []
    assert routine.evidence["benefit"]["released_green_in_window"] == 1
    assert "trader_id" not in routine.subjects  # one declaration is no cluster
    supervisor = found[("S1", "R1")]
    assert not supervisor.flagged
    assert supervisor.evidence["irregularities"][0].startswith("by an account whose post")
    assert supervisor.evidence["benefit"]["targeted_declarations_in_window"] == 0
    # Half of T6's T-shirts go green anyway: four green in the window is about two beyond
    # chance, P = 1/16.
    tshirts = found[("X1", "R4")]
    assert not tshirts.flagged
    assert tshirts.evidence["benefit"]["expected_green_in_window"] == pytest.approx(2.0)
    assert tshirts.evidence["benefit"]["p_green_by_chance_binomial"] == pytest.approx(1 / 16)
    assert tshirts.evidence["alerts_because"].endswith("no benefit beyond chance")


def test_an_extreme_benefit_alerts_even_in_routine_hands_and_the_limit_is_a_parameter(
    tables, default
):
    f = by_window(default)[("A1", "R3")]
    assert f.flagged and f.evidence["irregularities"] == []
    assert f.evidence["alerts_because"].startswith("one trader had at least 10 declarations")
    raised = by_window(run(RulesTampering, tables, extreme_benefit=13))[("A1", "R3")]
    assert not raised.flagged


def test_an_account_whose_post_maintains_rules_is_a_parameter(tables):
    r = run(RulesTampering, tables, maintainer_posts=["risk_analyst", "it_admin"],
            office_opens=0, office_closes=24, office_days=["Mon", "Tue", "Wed"])  # fmt: skip
    subjects = alerted(r)
    # The IT administrator's edit is now maintenance (Tuesday 23:00 is office hours); the
    # examiner's Friday night is still irregular.
    assert [s["rule_id"] for s in subjects] == ["R1", "R3"]


def test_a_rarely_used_workstation_is_an_irregularity(tables):
    # X1 used VPN-1 on 2 of its 33 active days (6%): rare once the limit is 10%.
    f = by_window(run(RulesTampering, tables, rare_workstation_share=0.1))[("X1", "R1")]
    assert f.evidence["irregularities"][2] == (
        "from a workstation the account used on few of the days it was active: made from "
        "VPN-1 (on 6.1% of its days), undone from VPN-1 (on 6.1% of its days)"
    )
    assert "and from a workstation the account rarely uses;" in f.summary


def assert_exactly_the_planted_alerts(
    detector: type[Detector], world: SimulatedWorld, instances: int
) -> DetectorRun:
    """Every planted instance of the detector's scheme is matched by an alert (which names all
    its subjects), every alert matches one, and no other staff member is named."""
    r = run(detector, world.tables)
    result = evaluate(pd.DataFrame([a.row() for a in r.alerts]), world.truth, [detector.id])
    (scheme,) = [s for s in result.schemes if s.scheme == detector.id]
    assert scheme.instances == instances and scheme.found == instances, scheme.missed
    (precision,) = result.detectors
    assert precision.alerts == precision.matching == instances
    assert result.innocent == []  # no confounder, nor anyone else
    return r


def test_simulated_tampering_is_found_and_routine_maintenance_is_not(
    simulated_world: SimulatedWorld,
):
    r = assert_exactly_the_planted_alerts(RulesTampering, simulated_world, 3)
    maintenance = simulated_world.truth["scheme"] == "routine_rule_maintenance"
    analysts = set(simulated_world.truth.loc[maintenance, "user_id"])
    tested = {f.subjects["user_id"] for f in RulesTampering().assess(r.measures, r.params)}
    assert analysts <= tested  # their changes were assessed, and none alerted
