"""Every honest look-alike is in the truth file, shows its legitimate pattern in the data, and
takes no part in any scheme."""

from __future__ import annotations

from datetime import date

from tests.simulate.queries import CONTROLLED, Truth, discrepancy_rate, one, override_rate

CONFOUNDERS = {
    "desk_specialist": 3,
    "part_time": 3,
    "high_override_office": 1,
    "high_risk_posting": 3,
    "common_name_relative": 2,
    "routine_rule_maintenance": 5,
    "long_tenure_non_sensitive": 2,
}
SUBJECTS = ("officer_id", "declarant_id", "trader_id", "user_id")


def test_every_confounder_is_planted(truth: Truth) -> None:
    for name, count in CONFOUNDERS.items():
        rows = truth.of(name)
        assert len(rows) == count and {r["kind"] for r in rows} == {"confounder"}, name


def test_no_confounder_takes_part_in_a_scheme(truth: Truth) -> None:
    def subjects(kind: str) -> set[str]:
        return {r[s] for r in truth.rows if r["kind"] == kind for s in SUBJECTS} - {""}

    assert not subjects("confounder") & (subjects("scheme") | subjects("intervention"))
    (office,) = {r["office_code"] for r in truth.of("high_override_office")}
    assert office not in {r["office_code"] for r in truth.rows if r["kind"] == "scheme"}


def _officers(truth: Truth, name: str) -> list[str]:
    return [r["officer_id"] for r in truth.of(name)]


def test_desk_specialists_see_few_brokers_but_get_a_random_share_of_each(db, truth) -> None:
    desk = _officers(truth, "desk_specialist")
    in_desk = f"officer_id IN ({', '.join(repr(o) for o in desk)})"
    top_broker, desk_share = one(
        db,
        f"""SELECT declarant_id, count(*) / sum(count(*)) OVER () FROM declarations
            WHERE {in_desk} GROUP BY declarant_id ORDER BY 2 DESC LIMIT 1""",
    )
    for row in truth.of("desk_specialist"):
        concentration, share_of_broker, share_of_desk = one(
            db,
            f"""SELECT avg((declarant_id = ?)::INT) FILTER (WHERE officer_id = ?),
                       avg((officer_id = ?)::INT) FILTER (WHERE declarant_id = ?),
                       avg((officer_id = ?)::INT)
                FROM declarations WHERE {in_desk}""",
            top_broker,
            row["officer_id"],
            row["officer_id"],
            top_broker,
            row["officer_id"],
        )
        assert concentration > 0.3 and abs(concentration - desk_share) < 0.15, row["instance_id"]
        assert abs(desk_share - float(row["strength"])) < 0.15, row["instance_id"]
        # Random within the desk: the officer's share of the top broker is their share of all.
        assert abs(share_of_broker - share_of_desk) < 0.1, row["instance_id"]


def test_part_timers_have_tiny_volumes_and_an_honest_override(db, truth: Truth) -> None:
    for row in truth.of("part_time"):
        monthly, total = one(
            db,
            """SELECT count(*) / count(DISTINCT date_trunc('month', lodged_at)), count(*)
               FROM declarations WHERE officer_id = ?""",
            row["officer_id"],
        )
        overrides, _ = override_rate(db, "officer_id = ?", row["officer_id"])
        assert total >= 3 and monthly <= 6, row["instance_id"]
        assert overrides > 0, row["instance_id"]


def test_the_high_override_office_overrides_for_everyone(db, truth: Truth) -> None:
    (row,) = truth.of("high_override_office")
    office, strength = row["office_code"], float(row["strength"])
    rate, _ = override_rate(db, "office_code = ?", office)
    assert rate >= strength - 0.05
    per_officer = db.execute(
        f"""SELECT avg((final_channel IN ('green', 'blue'))::INT) FROM declarations
            WHERE office_code = ? AND risk_channel IN {CONTROLLED}
            GROUP BY officer_id HAVING count(*) >= 20""",
        [office],
    ).fetchall()
    assert len(per_officer) >= 5
    assert sum(r >= strength / 2 for (r,) in per_officer) >= 0.8 * len(per_officer)


def test_high_risk_postings_find_more_because_of_the_goods(db, truth: Truth) -> None:
    posted = _officers(truth, "high_risk_posting")
    listed = ", ".join(repr(o) for o in posted)
    (office,) = {r["office_code"] for r in truth.of("high_risk_posting")}
    others, _ = discrepancy_rate(db, f"office_code = ? AND officer_id NOT IN ({listed})", office)
    for row in truth.of("high_risk_posting"):
        rate, n = discrepancy_rate(db, "officer_id = ?", row["officer_id"])
        assert n >= 30 and rate > 1.3 * others, row["instance_id"]
        assert rate >= 0.5 * float(row["strength"]), row["instance_id"]
        main_goods = one(
            db,
            """SELECT avg((left(hs_code, 2) IN ('22', '24'))::INT) FROM items i
               JOIN declarations d USING (declaration_id) WHERE d.officer_id = ? AND item_no = 1""",
            row["officer_id"],
        )[0]
        assert main_goods > 0.95, row["instance_id"]


def test_common_name_relatives_own_companies_the_officer_never_clears(db, truth) -> None:
    for row in truth.of("common_name_relative"):
        officer = row["officer_id"]
        names = db.execute(
            "SELECT person_or_company FROM interests WHERE officer_id = ?", [officer]
        ).fetchall()
        owned = max(
            one(
                db,
                """SELECT count(*) FROM parties
                   WHERE list_contains(string_split(owners, ';'), ?)""",
                name,
            )[0]
            for (name,) in names
        )
        cleared = one(
            db,
            """SELECT count(*) FROM declarations d JOIN parties p ON p.party_id = d.trader_id
               JOIN interests i ON list_contains(string_split(p.owners, ';'),
                                                 i.person_or_company)
               WHERE i.officer_id = ? AND d.officer_id = ?""",
            officer,
            officer,
        )[0]
        assert owned >= float(row["strength"]) >= 2 and cleared == 0, row["instance_id"]


def test_routine_rule_maintenance_is_by_risk_analysts_in_office_hours(db, truth) -> None:
    for row in truth.of("routine_rule_maintenance"):
        n, in_hours, analyst = one(
            db,
            """SELECT count(*), bool_and(dayofweek(occurred_at) BETWEEN 1 AND 5
                                         AND hour(occurred_at) BETWEEN 8 AND 16),
                      bool_and(o.post = 'risk_analyst')
               FROM audit_events e JOIN officers o ON o.officer_id = e.user_id
                 AND e.occurred_at::DATE BETWEEN o.start_date
                     AND coalesce(o.end_date, DATE '9999-12-31')
               WHERE e.user_id = ? AND e.object_type = 'risk_rule'""",
            row["user_id"],
        )
        assert n == float(row["strength"]) and in_hours and analyst, row["instance_id"]


def test_long_tenures_are_outside_sensitive_posts(db, truth: Truth) -> None:
    for row in truth.of("long_tenure_non_sensitive"):
        post, office, start = one(
            db,
            "SELECT post, office_code, start_date FROM officers WHERE officer_id = ? "
            "AND end_date IS NULL",
            row["officer_id"],
        )
        assert post in ("risk_analyst", "it_admin") and office == "HQ01"
        assert start < date(2020, 12, 31)
