"""One failing row per contract rule, asserting the exact reason an analyst reads."""

from __future__ import annotations

import pytest

from tests.contract.conftest import rejects

# (table, index of the row to break, column, bad value, expected reason)
RULES = [
    ("declarations", 0, "declaration_id", "", "required value is empty"),
    ("declarations", 0, "flow", "imports", "must be one of: import, export, transit"),
    ("declarations", 0, "risk_channel", "Red", "must be one of: green, blue, yellow, red"),
    ("declarations", 0, "final_channel", "amber", "must be one of: green, blue, yellow, red"),
    (
        "declarations",
        0,
        "lodged_at",
        "04/03/2025 09:15",
        "not an ISO 8601 local timestamp like 2025-03-04T09:15:00",
    ),
    (
        "declarations",
        0,
        "lodged_at",
        "2025-03-02T09:15:00+02:00",
        "not an ISO 8601 local timestamp like 2025-03-04T09:15:00",
    ),
    (
        "declarations",
        0,
        "released_at",
        "2025-02-30T10:00:00",
        "not an ISO 8601 local timestamp like 2025-03-04T09:15:00",
    ),
    (
        "declarations",
        0,
        "inspection_outcome",
        "found",
        "must be one of: none, no_discrepancy, discrepancy",
    ),
    ("declarations", 0, "duties_declared", "-1.00", "must be ≥ 0"),
    (
        "declarations",
        0,
        "duties_assessed",
        "1,234.50",
        "not a decimal number (use a point as decimal separator, no thousands separator)",
    ),
    (
        "declarations",
        0,
        "duties_assessed",
        "1e400",
        "not a decimal number (use a point as decimal separator, no thousands separator)",
    ),
    ("declarations", 0, "trader_id", "", "required value is empty"),
    ("items", 0, "item_no", "1.5", "not a whole number"),
    ("items", 0, "item_no", "0", "must be ≥ 1"),
    ("items", 0, "hs_code", "87032", "must be 6 to 10 digits"),
    ("items", 0, "hs_code", "8703.23", "must be 6 to 10 digits"),
    ("items", 0, "origin_country", "XX", "not an ISO 3166-1 alpha-2 country code"),
    ("items", 0, "origin_country", "jp", "not an ISO 3166-1 alpha-2 country code"),
    ("items", 0, "customs_value", "0", "must be > 0"),
    ("items", 0, "net_mass_kg", "-3", "must be > 0"),
    ("officers", 0, "start_date", "2020-13-01", "not a date like 2025-03-04 (YYYY-MM-DD)"),
    ("officers", 0, "end_date", "31.12.2024", "not a date like 2025-03-04 (YYYY-MM-DD)"),
    ("officers", 0, "office_code", "", "required value is empty"),
    ("parties", 3, "role", "broker", "must be one of: trader, declarant, carrier"),
    (
        "audit_events",
        0,
        "occurred_at",
        "yesterday",
        "not an ISO 8601 local timestamp like 2025-03-04T09:15:00",
    ),
    ("risk_rules", 0, "channel", "green", "must be one of: yellow, red"),
    ("risk_rules", 0, "hs_prefix", "87x", "must be digits"),
    ("enforcement_cases", 0, "detected_on", "", "required value is empty"),
    ("interventions", 0, "start_date", "2025-3-15", "not a date like 2025-03-04 (YYYY-MM-DD)"),
]


@pytest.mark.parametrize(("table", "index", "column", "value", "reason"), RULES)
def test_each_rule_rejects_its_row_with_its_reason(
    world, load_world, table, index, column, value, reason
):
    world[table][index][column] = value
    report, con = load_world(world)
    found = [r for r in rejects(con, table)]
    assert found == [(table, index + 2, column, value or None, reason)]
    outcome = report.outcome(table)
    assert outcome.read == len(world[table])
    assert outcome.loaded == outcome.read - 1


CROSS_COLUMN = [
    ("declarations", "released_at", "2025-03-01T08:00:00", "released before it was lodged"),
    ("declarations", "assigned_at", "2025-03-01T08:00:00", "assigned before it was lodged"),
    ("officers", "end_date", "2019-12-31", "posting ends before it starts"),
]


@pytest.mark.parametrize(("table", "column", "value", "reason"), CROSS_COLUMN)
def test_cross_column_rules(world, load_world, table, column, value, reason):
    world[table][0][column] = value
    world[table][0].update({"lodged_at": "2025-03-02T09:15:00"} if table == "declarations" else {})
    _, con = load_world(world)
    assert rejects(con, table) == [(table, 2, column, value, reason)]


def test_duplicate_key_keeps_the_first_and_names_it(world, load_world):
    world["declarations"].append(dict(world["declarations"][4]))
    report, con = load_world(world)
    last_row = len(world["declarations"]) + 1
    assert rejects(con, "declarations") == [
        (
            "declarations",
            last_row,
            "declaration_id",
            "D005",
            "duplicate of row 6 (same declaration_id=D005)",
        )
    ]
    assert report.outcome("declarations").loaded == len(world["declarations"]) - 1
    # the first occurrence is loaded, so its items are not affected
    assert report.outcome("items").rejected == 0


def test_composite_key(world, load_world):
    world["items"][1]["item_no"] = "1"
    _, con = load_world(world)
    assert rejects(con, "items") == [
        (
            "items",
            3,
            "declaration_id",
            "D001",
            "duplicate of row 2 (same declaration_id=D001, item_no=1)",
        )
    ]


def test_duplicate_of_an_invalid_row_is_loaded(world, load_world):
    """When the first occurrence is itself invalid, the valid second one is the one kept."""
    duplicate = dict(world["parties"][0])
    world["parties"][0]["role"] = "agent"
    world["parties"].append(duplicate)
    report, con = load_world(world)
    assert [r[1:3] for r in rejects(con, "parties")] == [(2, "role")]
    assert report.outcome("parties").loaded == len(world["parties"]) - 1
    assert report.outcome("declarations").rejected == 0


def test_dangling_reference(world, load_world):
    world["declarations"][0]["declarant_id"] = "B404"
    _, con = load_world(world)
    assert rejects(con, "declarations") == [
        ("declarations", 2, "declarant_id", "B404", "declarant_id B404 not found in parties")
    ]


def test_rows_referring_to_a_rejected_row_are_rejected_and_say_why(world, load_world):
    world["declarations"][0]["flow"] = "?"
    report, con = load_world(world)
    assert rejects(con, "items") == [
        (
            "items",
            row,
            "declaration_id",
            "D001",
            "declaration_id D001 refers to a rejected row of declarations (declarations.csv row 2)",
        )
        for row in (2, 3)
    ]
    assert report.outcome("items").rejected == 2
    # enforcement case C1 points at D003, which is fine; nothing else cascades
    assert report.outcome("enforcement_cases").rejected == 0


def test_cascade_through_two_levels(world, load_world):
    world["parties"][0]["name"] = ""  # B1 rejected → its declarations → their items
    report, _con = load_world(world)
    b1 = [d for d in world["declarations"] if d["declarant_id"] == "B1"]
    assert report.outcome("declarations").rejected == len(b1)
    assert report.outcome("items").rejected == 2 * len(b1)


def test_optional_values_may_be_empty(world, load_world):
    world["declarations"][0].update(officer_id="", assigned_at="", released_at="")
    world["risk_rules"][0]["hs_prefix"] = ""
    report, con = load_world(world)
    assert rejects(con) == []
    assert all(t.read == t.loaded for t in report.tables)


def test_values_are_trimmed_and_typed(world, load_world):
    world["items"][0]["customs_value"] = "  1500.25 "
    world["declarations"][0]["lodged_at"] = "2025-03-02 09:15:00"
    _, con = load_world(world)
    assert rejects(con) == []
    assert con.execute(
        "SELECT customs_value FROM items WHERE declaration_id='D001' AND item_no=1"
    ).fetchone() == (1500.25,)
    assert (
        str(
            con.execute(
                "SELECT lodged_at FROM declarations WHERE declaration_id='D001'"
            ).fetchone()[0]
        )
        == "2025-03-02 09:15:00"
    )


def test_several_problems_in_one_row_count_once(world, load_world):
    world["items"][0].update(hs_code="x", origin_country="ZZ", net_mass_kg="0")
    report, con = load_world(world)
    assert [r[2] for r in rejects(con, "items")] == ["hs_code", "net_mass_kg", "origin_country"]
    assert report.outcome("items").rejected == 1
