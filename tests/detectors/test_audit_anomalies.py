"""audit.anomalies: self-reassignment, channel changes on others' declarations, deletions after
release, export bursts and unexplained role grants are found; the honest look-alikes next to
them (supervisors' moves and approvals, a single correction, weekly reports, grants on a new
posting) are not."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from arusha.detectors.audit_anomalies import AuditAnomalies
from arusha.engine import DetectorRun, Finding, Tables
from arusha.stats import binomial_test
from tests.conftest import SimulatedWorld
from tests.detectors.test_peers import run
from tests.detectors.test_rules_tampering import assert_exactly_the_planted_alerts
from tests.worlds import build, declaration

FIRST_DAY = datetime(2025, 1, 6, 9, 0)  # a Monday


def posting(officer: str, office: str, post: str, start: str = "2020-01-01") -> dict:
    return {"officer_id": officer, "office_code": office, "post": post,
            "start_date": start, "end_date": ""}  # fmt: skip


OFFICERS = [
    *(posting(f"E{k}", "LND02", "examiner") for k in range(1, 5)),
    *(posting(f"E{k}", "ICD01", "examiner") for k in range(5, 8)),
    posting("SUP", "LND02", "supervisor"),
    posting("SUP2", "ICD01", "supervisor"),
    posting("V1", "ICD01", "valuation"),
    posting("G1", "ICD02", "examiner"),
    posting("N1", "ICD02", "examiner", start="2025-03-03"),
    posting("ADM", "HQ01", "it_admin"),
    posting("RA", "HQ01", "risk_analyst"),
]
PARTIES = [
    {"party_id": "B1", "role": "declarant", "name": "Harbour Brokers Ltd"},
    {"party_id": "B2", "role": "declarant", "name": "Swift Clearing"},
    {"party_id": "T1", "role": "trader", "name": "Acme Imports"},
]


class World:
    def __init__(self) -> None:
        self.declarations: list[dict] = []
        self.events: list[dict] = []

    def declare(self, officer: str, office: str, broker: str, day: int) -> str:
        """A declaration lodged on working day `day`, assigned half an hour later, released
        at noon."""
        lodged = FIRST_DAY + timedelta(days=day)
        row = declaration(len(self.declarations), office_code=office, declarant_id=broker,
                          officer_id=officer, lodged_at=_text(lodged),
                          assigned_at=_text(lodged + timedelta(minutes=30)),
                          released_at=_text(lodged.replace(hour=12)))  # fmt: skip
        self.declarations.append(row)
        return row["declaration_id"]

    def workload(self, officer: str, office: str, n: int = 30) -> list[str]:
        return [self.declare(officer, office, ("B1", "B2")[k % 2], k) for k in range(n)]

    def event(self, user: str, when: datetime, action: str, object_type: str, object_id: str,
              old: str = "", new: str = "", workstation: str = "") -> None:  # fmt: skip
        self.events.append({
            "event_id": f"E{len(self.events):05d}", "occurred_at": _text(when), "user_id": user,
            "action": action, "object_type": object_type, "object_id": object_id,
            "old_value": old, "new_value": new, "workstation": workstation or f"{user}-DESK",
        })  # fmt: skip

    def on(self, declaration_id: str, user: str, action: str, old: str = "", new: str = "",
           minutes: int = 40) -> None:  # fmt: skip
        """An event on a declaration, `minutes` after its lodgement."""
        row = next(d for d in self.declarations if d["declaration_id"] == declaration_id)
        when = datetime.fromisoformat(row["lodged_at"]) + timedelta(minutes=minutes)
        object_type = "document" if action == "delete_document" else "declaration"
        object_id = f"{declaration_id}/invoice" if object_type == "document" else declaration_id
        self.event(user, when, action, object_type, object_id, old, new)


def _text(when: datetime) -> str:
    return f"{when:%Y-%m-%dT%H:%M:%S}"


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    w = World()
    for officer in OFFICERS:  # everyone's habit: a login on forty working days at their desk
        for k in range(40):
            day = FIRST_DAY + timedelta(days=k + 2 * (k // 5))  # Mondays to Fridays
            w.event(officer["officer_id"], day.replace(hour=7), "login", "user",
                    officer["officer_id"])  # fmt: skip
    work = {e: w.workload(e, "LND02") for e in ("E1", "E2", "E3", "E4")}
    work |= {e: w.workload(e, "ICD01") for e in ("E5", "E6", "E7")}

    # LND02. E1 takes twelve of broker B1's declarations from colleagues; E4 takes one (a
    # colleague off sick); the supervisor moves three between colleagues.
    for k in range(12):
        moved = w.declare("E1", "LND02", "B1", 40 + k)
        w.on(moved, "E1", "reassign", ("E2", "E3")[k % 2], "E1")
    w.on(w.declare("E4", "LND02", "B2", 60), "E4", "reassign", "E2", "E4")
    supervised = [w.declare("E3", "LND02", "B2", 61 + k) for k in range(3)]
    for moved in supervised:
        w.on(moved, "SUP", "reassign", "E2", "E3")
    # E3 changes the channel of twenty of its own; E2 of eight of E3's, and of one it had
    # before the supervisor moved it (its own work then); supervisors approve changes on
    # their examiners' declarations at both offices.
    for d in work["E3"][:20]:
        w.on(d, "E3", "change_channel", "red", "green")
    for d in work["E3"][20:28]:
        w.on(d, "E2", "change_channel", "red", "green")
    w.on(supervised[0], "E2", "change_channel", "yellow", "green", minutes=20)
    for d in work["E4"][:6]:
        w.on(d, "SUP", "change_channel", "red", "yellow")
    for d in work["E6"][:5]:
        w.on(d, "SUP2", "change_channel", "red", "yellow")

    # ICD01. E5 deletes a document of ten of broker B2's declarations two days after their
    # release, and replaces one before release; E6 corrects one file after release.
    for d in work["E5"][1:20:2][:10]:
        w.on(d, "E5", "delete_document", minutes=2 * 24 * 60)
    w.on(work["E5"][0], "E5", "delete_document", minutes=60)
    w.on(work["E6"][3], "E6", "delete_document", minutes=26 * 60)

    # Exports: the risk analyst's weekly report and the valuation officer's monthly one;
    # E6 runs four exports one afternoon; E7 fourteen on a Sunday night from a remote link.
    for k in range(20):
        w.event("RA", FIRST_DAY + timedelta(weeks=k, hours=1), "export_data", "report",
                "selectivity_report", workstation="RA-DESK")  # fmt: skip
    for k in range(5):
        w.event("V1", FIRST_DAY + timedelta(weeks=4 * k, hours=3), "export_data", "report",
                "valuation_report")  # fmt: skip
    for k in range(4):
        w.event("E6", datetime(2025, 3, 4, 15, 10 * k), "export_data", "report", "declarations")
    for k in range(14):
        w.event("E7", datetime(2025, 4, 13, 2, 3 * k), "export_data", "report",
                ("declarations", "traders")[k % 2], workstation="VPN-9")  # fmt: skip

    # Role grants: on N1's new posting (explained), to E4 in office hours from the usual desk
    # (unexplained, nothing else unusual), to G1 on a Saturday night from a remote link.
    w.event("ADM", datetime(2025, 3, 3, 10), "grant_role", "user", "N1", "", "examiner")
    w.event("ADM", datetime(2025, 5, 6, 11), "grant_role", "user", "E4", "examiner",
            "supervisor")  # fmt: skip
    w.event("ADM", datetime(2025, 4, 12, 23, 30), "grant_role", "user", "G1", "examiner",
            "risk_rule_editor", workstation="VPN-9")  # fmt: skip
    # ... and, in the same session, a reporting role to a service account nobody holds.
    w.event("ADM", datetime(2025, 4, 12, 23, 40), "grant_role", "user", "SVC1", "",
            "data_export", workstation="VPN-9")  # fmt: skip
    return build(tmp_path_factory.mktemp("audit"), officers=OFFICERS, parties=PARTIES,
                 declarations=w.declarations, audit_events=w.events)  # fmt: skip


@pytest.fixture(scope="module")
def default(tables: Tables) -> DetectorRun:
    return run(AuditAnomalies, tables)


def findings(r: DetectorRun) -> dict[tuple[str, str], Finding]:
    """Every finding by (mechanism, account); role grants by (mechanism, grantee)."""
    found = AuditAnomalies().assess(r.measures, r.params)
    return {
        (f.evidence["mechanism"], f.evidence.get("grantee") or f.subjects["user_id"]): f
        for f in found
    }


def test_each_mechanism_is_found_once_and_no_lookalike_is(default):
    alerts = {
        (a.finding.evidence["mechanism"], tuple(sorted(a.finding.subjects.items())))
        for a in default.alerts
    }
    assert alerts == {
        ("self_reassignment", (("declarant_id", "B1"), ("officer_id", "E1"), ("user_id", "E1"))),
        ("channel_change_by_unassigned", (("officer_id", "E2"), ("user_id", "E2"))),
        ("delete_after_release", (("declarant_id", "B2"), ("officer_id", "E5"),
                                  ("user_id", "E5"))),
        ("export_burst", (("officer_id", "E7"), ("user_id", "E7"))),
        ("role_grant", (("officer_id", "G1"), ("user_id", "ADM"))),
        ("role_grant", (("user_id", "ADM"),)),  # the service account is no officer
    }  # fmt: skip


def test_self_reassignment_against_peers_with_the_broker_named(default):
    f = findings(default)[("self_reassignment", "E1")]
    e = f.evidence
    # E1 handled 42 declarations and took 12; the other examiners at LND02 took 1 in 94.
    assert (e["events"], e["exposure"]) == (12, 42)
    assert e["peers"] == {"peer_group": "examiner accounts at LND02", "accounts": 3,
                          "events": 1, "exposure": 94}  # fmt: skip
    assert f.p_value == pytest.approx(binomial_test(12, 13, 42 / 136))
    assert e["expected_at_peer_rate"] == pytest.approx(42 / 94)
    assert e["broker"] == {"declarant_id": "B1", "events": 12, "share_of_events": 1.0,
                           "broker_exposure": 27, "broker_share_of_exposure": 27 / 42}  # fmt: skip
    assert e["own_history"]["exposure_before_first_event_day"] == 30
    assert f.summary == (
        "Officer E1 (examiner, LND02) reassigned to themself 12 declarations first assigned to "
        "colleagues, 12 of them of broker B1; examiner accounts at LND02 did so 1 time in 94 "
        "declarations assigned to them (about 0.4 expected at their rate; {q})."
    )
    one = findings(default)[("self_reassignment", "E4")]
    assert one.evidence["events"] == 1 and not one.flagged


def test_channel_changes_on_declarations_never_assigned(default):
    found = findings(default)
    e = found[("channel_change_by_unassigned", "E2")].evidence
    # Eight on E3's declarations; the ninth was E2's own before the supervisor moved it.
    assert (e["events"], e["exposure"]) == (8, 9)
    assert (e["peers"]["events"], e["peers"]["exposure"]) == (0, 20)
    # No peer did it: the ratio is unbounded, but its lower limit is reported.
    assert e["rate_ratio"] is None and e["rate_ratio_ci95"][1] is None
    assert e["rate_ratio_ci95"][0] > 3
    assert found[("channel_change_by_unassigned", "E3")].evidence["events"] == 0
    # Supervisors approve on their examiners' declarations: compared with each other (every
    # office, as each office has one), they set their own expectation.
    sup = found[("channel_change_by_unassigned", "SUP")]
    assert sup.evidence["peers"]["peer_group"] == "supervisor accounts at every office"
    assert (sup.evidence["events"], sup.evidence["peers"]["events"]) == (6, 5)
    assert not sup.flagged and sup.p_value > 0.3


def test_deletions_after_release_but_not_replacements_before_it(default):
    found = findings(default)
    f = found[("delete_after_release", "E5")]
    assert (f.evidence["events"], f.evidence["exposure"]) == (10, 30)
    assert (f.evidence["peers"]["events"], f.evidence["peers"]["exposure"]) == (1, 60)
    assert f.evidence["broker"]["declarant_id"] == "B2"
    assert f.evidence["rate_ratio"] == pytest.approx((10 / 30) / (1 / 60))
    single = found[("delete_after_release", "E6")]
    assert single.evidence["events"] == 1 and not single.flagged


def test_export_burst_against_own_history_and_peers(default):
    found = findings(default)
    f = found[("export_burst", "E7")]
    e = f.evidence
    assert (e["exports_in_window"], e["own_busiest_window_other_days"]) == (14, 0)
    assert (e["peer_accounts_exporting"], e["peers_busiest_window"]) == (1, 4)  # E6
    assert e["outside_office_hours"] and e["workstation"] == "VPN-9"
    assert e["workstation_share_of_active_days"] == pytest.approx(1 / 41)
    assert f.score == 14 - 4
    assert f.summary.startswith(
        "Officer E7 (examiner, ICD01) ran 14 data exports within 60 minutes from Sun "
        "2025-04-13 02:00, outside office hours, from workstation VPN-9 (used on 2.4% of their "
        "active days)"
    )
    for routine in ("RA", "V1", "E6"):
        assert not found[("export_burst", routine)].flagged
    assert found[("export_burst", "RA")].evidence["exports_in_window"] == 1


def test_role_grants_explained_by_a_posting_or_otherwise_ordinary_do_not_alert(default):
    found = findings(default)
    assert found[("role_grant", "N1")].evidence["days_to_nearest_posting_change"] == 0
    ordinary = found[("role_grant", "E4")]
    assert not ordinary.evidence["explained_by_posting"] and not ordinary.flagged
    f = found[("role_grant", "G1")]
    assert f.flagged and f.subjects == {"user_id": "ADM", "officer_id": "G1"}
    assert f.evidence["administrator_grants"] == 4
    service = found[("role_grant", "SVC1")]
    assert service.flagged and service.subjects == {"user_id": "ADM"}
    assert "data_export to account SVC1 (no posting in the HR register) on Sat" in service.summary
    assert f.summary == (
        "Administrator ADM (it_admin) granted the role risk_rule_editor to examiner G1 (ICD02) "
        "on Sat 2025-04-12 23:30, outside office hours, from workstation VPN-9 (used on 2.3% "
        "of their active days), with no posting of the grantee starting or ending within 30 "
        "days."
    )


def test_thresholds_are_parameters(tables):
    r = run(AuditAnomalies, tables, min_events=13, min_burst=15, posting_days=2000)
    # E1's 12 self-reassignments, E2's 8 changes and E5's 10 deletions are now too few, E7's
    # 14 exports are no burst, and G1's posting of 2020 explains the grant; nothing explains
    # the service account's.
    assert [a.finding.evidence["grantee"] for a in r.alerts] == ["SVC1"]


def test_simulated_anomalies_are_found_and_nobody_else(simulated_world: SimulatedWorld):
    r = assert_exactly_the_planted_alerts(AuditAnomalies, simulated_world, 4)
    mechanisms = sorted(a.finding.evidence["mechanism"] for a in r.alerts)
    assert mechanisms == ["delete_after_release", "export_burst", "role_grant",
                          "self_reassignment"]  # fmt: skip
