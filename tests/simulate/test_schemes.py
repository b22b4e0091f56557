"""Every planted scheme is in the truth file and shows in the written data at its strength."""

from __future__ import annotations

from datetime import date

import pytest

from tests.simulate.queries import (
    CONTROLLED,
    RELEASED_SOFT,
    Truth,
    binomial_floor,
    examiners_on_duty,
    expected_findings,
    officer_share,
    one,
    override_rate,
    relative_release_times,
    same_person,
    similar_company,
    span,
    unit_value_ratio,
    years_before,
)

SCHEMES = {
    "assignment.steering": 3,
    "risk.override": 3,
    "control.suppressed_findings": 3,
    "valuation.accepted_undervaluation": 2,
    "release.selective_speed": 2,
    "rules.tampering": 3,
    "audit.anomalies": 4,
    "interests.conflict": 3,
    "network.crime_links": 2,
    "staff.rotation_overstay": 3,
    "intervention.effect": 2,
}
SPAN_END = date(2025, 12, 31)


def test_every_scheme_is_planted_two_to_four_times(truth: Truth) -> None:
    for scheme, count in SCHEMES.items():
        assert len(truth.of(scheme)) == count, scheme
    kinds = {r["scheme"]: r["kind"] for r in truth.rows}
    assert kinds["intervention.effect"] == "intervention"
    assert {kinds[s] for s in SCHEMES if s != "intervention.effect"} == {"scheme"}


def test_steering_gives_the_officer_far_more_than_a_random_share(db, truth: Truth) -> None:
    for row in truth.of("assignment.steering"):
        first, last = span(row)
        share, n = officer_share(
            db,
            row["officer_id"],
            "declarant_id",
            row["declarant_id"],
            row["office_code"],
            first,
            last,
        )
        on_duty = examiners_on_duty(db, row["office_code"], first, last)
        assert n >= 20 and share >= binomial_floor(float(row["strength"]), n), row["instance_id"]
        assert share >= 3 / on_duty, row["instance_id"]


def test_overriding_officers_far_exceed_their_office(db, truth: Truth) -> None:
    for row in truth.of("risk.override"):
        first, last = span(row)
        officer, office = row["officer_id"], row["office_code"]
        period = "lodged_at::DATE BETWEEN ? AND ?"
        rate, n = override_rate(db, f"officer_id = ? AND {period}", officer, first, last)
        peers, _ = override_rate(
            db, f"office_code = ? AND officer_id <> ? AND {period}", office, officer, first, last
        )
        assert n >= 30 and rate >= binomial_floor(float(row["strength"]), n), row["instance_id"]
        assert peers < 0.1 and rate > 4 * peers, row["instance_id"]
        unlogged = one(
            db,
            f"""SELECT count(*) FROM declarations d WHERE officer_id = ? AND {period}
                  AND risk_channel IN {CONTROLLED} AND final_channel IN {RELEASED_SOFT}
                  AND NOT EXISTS (SELECT 1 FROM audit_events e
                      WHERE e.action = 'change_channel' AND e.object_id = d.declaration_id
                        AND e.user_id = d.officer_id AND e.new_value = d.final_channel)""",
            officer,
            first,
            last,
        )
        assert unlogged == (0,), row["instance_id"]


def test_suppressed_findings_are_far_below_peers_on_the_same_goods(db, truth: Truth) -> None:
    for row in truth.of("control.suppressed_findings"):
        first, last = span(row)
        found, expected, _ = expected_findings(
            db, row["officer_id"], row["office_code"], first, last
        )
        planted = float(row["strength"]) * expected
        assert expected >= 5 and found < expected / 2, row["instance_id"]
        assert found <= planted + 4 * planted**0.5 + 3, row["instance_id"]  # Poisson tail
        uplift = one(
            db,
            """SELECT max(abs(duties_assessed - duties_declared)) FROM declarations
               WHERE officer_id = ? AND lodged_at::DATE BETWEEN ? AND ?
                 AND inspection_outcome <> 'discrepancy'""",
            row["officer_id"],
            first,
            last,
        )[0]
        assert uplift == 0, row["instance_id"]


def test_undervalued_items_pass_controls_without_uplift(db, truth: Truth) -> None:
    for row in truth.of("valuation.accepted_undervaluation"):
        first, last = span(row)
        pair = "d.officer_id = ? AND d.trader_id = ? AND d.lodged_at::DATE BETWEEN ? AND ?"
        params = (row["officer_id"], row["trader_id"], first, last)
        ratio, n = unit_value_ratio(db, pair, *params)
        assert n >= 10 and abs(ratio - float(row["strength"])) < 0.12, row["instance_id"]
        others, _ = unit_value_ratio(
            db, "d.trader_id = ? AND d.officer_id <> ?", row["trader_id"], row["officer_id"]
        )
        assert others > 0.75, row["instance_id"]
        controlled, uplifted = one(
            db,
            f"""SELECT avg((final_channel IN {CONTROLLED})::INT),
                       sum((duties_assessed <> duties_declared)::INT)
                FROM declarations d WHERE {pair}""",
            *params,
        )
        assert controlled > 0.85 and uplifted == 0, row["instance_id"]


def test_selected_broker_is_released_much_faster_by_the_officer(db, truth: Truth) -> None:
    for row in truth.of("release.selective_speed"):
        times = relative_release_times(
            db, row["officer_id"], row["declarant_id"], row["office_code"], *span(row)
        )
        pair, n = times["pair"]
        assert n >= 10 and pair <= 2 * float(row["strength"]), row["instance_id"]
        assert times["officer"][0] > 0.7 and times["broker"][0] > 0.7, row["instance_id"]


def test_rules_are_switched_off_while_the_trader_passes_green(db, truth: Truth) -> None:
    for row in truth.of("rules.tampering"):
        events = db.execute(
            """SELECT e.occurred_at, e.action, o.post FROM audit_events e
               JOIN officers o ON o.officer_id = e.user_id AND e.occurred_at::DATE
                    BETWEEN o.start_date AND coalesce(o.end_date, DATE '9999-12-31')
               WHERE e.user_id = ? AND e.object_id = ? AND e.object_type = 'risk_rule'
               ORDER BY e.occurred_at""",
            [row["user_id"], row["rule_id"]],
        ).fetchall()
        (start, off, post), (stop, on, _) = events
        assert (off, on) in {
            ("disable_risk_rule", "enable_risk_rule"),
            ("edit_risk_rule", "edit_risk_rule"),
        }
        office_hours = start.weekday() < 5 and 8 <= start.hour < 17
        assert post != "risk_analyst" or not office_hours, row["instance_id"]
        inside = "trader_id = ? AND lodged_at BETWEEN ? AND ?"
        n, green = one(
            db,
            f"""SELECT count(*), bool_and(risk_channel = 'green' AND final_channel = 'green'
                                          AND released_at IS NOT NULL)
                FROM declarations WHERE {inside}""",
            row["trader_id"],
            start,
            stop,
        )
        assert n >= float(row["strength"]) and green, row["instance_id"]
        red = one(
            db,
            f"""SELECT avg((risk_channel = 'red')::INT) FROM declarations
                WHERE trader_id = ? AND NOT ({inside})""",
            row["trader_id"],
            row["trader_id"],
            start,
            stop,
        )[0]
        assert red > 0.9, row["instance_id"]


def _self_reassigned(db, row: dict[str, str]) -> tuple[int, int]:
    """Of the broker's declarations at the office on the officer's working days, first
    assigned to someone else: how many the officer moved to themself, and how many."""
    first, last = span(row)
    moved, n = one(
        db,
        """WITH worked AS (SELECT DISTINCT assigned_at::DATE AS day FROM declarations
                          WHERE officer_id = ?),
                moves AS (SELECT object_id, old_value FROM audit_events
                          WHERE action = 'reassign' AND user_id = ? AND new_value = ?)
           SELECT count(m.object_id), count(*) FROM declarations d
           JOIN worked w ON w.day = d.assigned_at::DATE
           LEFT JOIN moves m ON m.object_id = d.declaration_id
           WHERE d.declarant_id = ? AND d.office_code = ? AND d.lodged_at::DATE BETWEEN ? AND ?
             AND (d.officer_id <> ? OR m.object_id IS NOT NULL)""",
        row["officer_id"],
        row["officer_id"],
        row["officer_id"],
        row["declarant_id"],
        row["office_code"],
        first,
        last,
        row["officer_id"],
    )
    return moved, n


def _deleted_after_release(db, row: dict[str, str]) -> tuple[int, int]:
    """Of the broker's declarations the officer handled and released: how many had a document
    deleted by the officer after release, and how many."""
    first, last = span(row)
    return one(
        db,
        """SELECT count(DISTINCT d.declaration_id) FILTER (WHERE e.event_id IS NOT NULL), count(
                  DISTINCT d.declaration_id) FROM declarations d
           LEFT JOIN audit_events e ON e.action = 'delete_document' AND e.user_id = d.officer_id
                AND e.object_id LIKE d.declaration_id || '/%' AND e.occurred_at > d.released_at
           WHERE d.officer_id = ? AND d.declarant_id = ? AND d.released_at IS NOT NULL
             AND d.lodged_at::DATE BETWEEN ? AND ?""",
        row["officer_id"],
        row["declarant_id"],
        first,
        last,
    )


def _unexplained_grants(db, row: dict[str, str]) -> int:
    return one(
        db,
        """SELECT count(*) FROM audit_events e WHERE e.action = 'grant_role'
             AND e.user_id = ? AND e.object_id = ? AND e.occurred_at::DATE BETWEEN ? AND ?
             AND NOT EXISTS (SELECT 1 FROM officers o WHERE o.officer_id = e.object_id
                 AND abs(date_diff('day', o.start_date, e.occurred_at::DATE)) <= 30)""",
        row["user_id"],
        row["officer_id"],
        *span(row),
    )[0]


def _export_bursts(db) -> dict[str, int]:
    """Per user, the most export_data events within any two hours."""
    return dict(
        db.execute(
            """SELECT user_id, max(n) FROM (SELECT user_id, count(*) OVER (PARTITION BY user_id
                   ORDER BY occurred_at RANGE BETWEEN CURRENT ROW AND INTERVAL 2 HOUR FOLLOWING)
                   AS n FROM audit_events WHERE action = 'export_data') GROUP BY user_id"""
        ).fetchall()
    )


def _at_strength(counted: tuple[int, int], strength: float) -> bool:
    hits, n = counted
    return n >= 10 and hits / n >= binomial_floor(strength, n)


def test_audit_anomalies_show_in_the_audit_trail(db, truth: Truth) -> None:
    seen = set()
    for row in truth.of("audit.anomalies"):
        strength = float(row["strength"])
        if row["declarant_id"] and _at_strength(_self_reassigned(db, row), strength):
            seen.add("self-reassignment")
        elif row["declarant_id"] and _at_strength(_deleted_after_release(db, row), strength):
            seen.add("deletion after release")
        elif row["user_id"] != row["officer_id"] and _unexplained_grants(db, row) == 1:
            seen.add("unexplained grant")
        elif row["user_id"] and _export_bursts(db).get(row["user_id"], 0) >= strength:
            seen.add("export burst")
        else:
            pytest.fail(f"{row['instance_id']} does not show in the audit trail")
    assert len(seen) == 4


def test_honest_audit_trail_has_none_of_those_anomalies(db, truth: Truth) -> None:
    planted = {r[k] for r in truth.of("audit.anomalies") for k in ("officer_id", "user_id")}
    assert max(n for user, n in _export_bursts(db).items() if user not in planted) <= 3
    late_deletions = one(
        db,
        """SELECT list(DISTINCT e.user_id) FROM audit_events e JOIN declarations d
             ON e.object_id LIKE d.declaration_id || '/%'
           WHERE e.action = 'delete_document' AND e.occurred_at > d.released_at""",
    )[0]
    assert set(late_deletions) <= planted
    self_moves = one(
        db,
        """SELECT list(DISTINCT user_id) FROM audit_events
           WHERE action = 'reassign' AND user_id = new_value""",
    )[0]
    assert set(self_moves) <= planted


def test_conflicted_officers_clear_the_company_they_are_linked_to(db, truth: Truth) -> None:
    for row in truth.of("interests.conflict"):
        first, last = span(row)
        declared = db.execute(
            "SELECT person_or_company, registration_no FROM interests WHERE officer_id = ?",
            [row["officer_id"]],
        ).fetchall()
        name, registration, owners = one(
            db,
            "SELECT name, registration_no, owners FROM parties WHERE party_id = ?",
            row["trader_id"],
        )
        linked = any(
            (reg is not None and reg == registration)
            or similar_company(text, name)
            or any(same_person(text, owner) for owner in (owners or "").split(";"))
            for text, reg in declared
        )
        assert linked, row["instance_id"]
        share, n = officer_share(
            db, row["officer_id"], "trader_id", row["trader_id"], row["office_code"], first, last
        )
        assert n >= 10 and share >= binomial_floor(float(row["strength"]), n), row["instance_id"]


def test_officers_cleared_traders_that_later_appear_in_cases(db, truth: Truth) -> None:
    for row in truth.of("network.crime_links"):
        first, last = span(row)
        name = one(db, "SELECT name FROM parties WHERE party_id = ?", row["trader_id"])[0]
        cases = db.execute(
            "SELECT party_id, party_name FROM enforcement_cases WHERE detected_on > ?", [last]
        ).fetchall()
        assert any(
            pid == row["trader_id"] or (pname and similar_company(pname, name))
            for pid, pname in cases
        ), row["instance_id"]
        share, n = officer_share(
            db, row["officer_id"], "trader_id", row["trader_id"], row["office_code"], first, last
        )
        assert n >= 10 and share >= binomial_floor(float(row["strength"]), n), row["instance_id"]
        found = one(
            db,
            """SELECT count(*) FROM declarations WHERE officer_id = ? AND trader_id = ?
                 AND lodged_at::DATE BETWEEN ? AND ? AND inspection_outcome = 'discrepancy'""",
            row["officer_id"],
            row["trader_id"],
            first,
            last,
        )[0]
        assert found == 0, row["instance_id"]


def test_overstaying_examiners_and_only_they_exceed_five_years(db, truth: Truth) -> None:
    rows = truth.of("staff.rotation_overstay")
    for row in rows:
        post, office, start, end = one(
            db,
            "SELECT post, office_code, start_date, end_date FROM officers "
            "WHERE officer_id = ? ORDER BY start_date DESC",
            row["officer_id"],
        )
        assert (post, office, end) == ("examiner", row["office_code"], None)
        assert years_before(SPAN_END, 10) <= start <= years_before(SPAN_END, 7)
    long_serving = db.execute(
        "SELECT officer_id FROM officers WHERE post = 'examiner' AND end_date IS NULL "
        "AND start_date < ?",
        [years_before(SPAN_END, 5)],
    ).fetchall()
    assert {o for (o,) in long_serving} == {r["officer_id"] for r in rows}


def test_intervention_stops_steering_at_its_offices(db, truth: Truth) -> None:
    start, offices = one(db, "SELECT start_date, office_codes FROM interventions")
    steering = {r["instance_id"]: r for r in truth.of("assignment.steering")}
    for row in truth.of("intervention.effect"):
        ended = steering[row["description"].split(" ends ")[1].split(":")[0]]
        assert row["office_code"] in offices.split(";")
        assert date.fromisoformat(row["period_start"]) == start
        assert date.fromisoformat(ended["period_end"]) < start
        subjects = (row["officer_id"], "declarant_id", row["declarant_id"], row["office_code"])
        before, n_before = officer_share(db, *subjects, *span(ended))
        after, n_after = officer_share(db, *subjects, start, SPAN_END)
        on_duty = examiners_on_duty(db, row["office_code"], start, SPAN_END)
        assert before >= binomial_floor(float(row["strength"]), n_before), row["instance_id"]
        assert n_after >= 20 and after < 2 / on_duty, row["instance_id"]
