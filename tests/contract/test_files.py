"""Whole files: refused headers, malformed rows and their row numbers, formats, extra columns."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from arusha.contract.schema import TABLES_BY_NAME
from tests.contract.conftest import load, rejects
from tests.contract.world import write_world


def test_missing_required_column_refuses_the_file_and_names_the_columns(world, tmp_path):
    header = {"items": ["declaration_id", "item_no", "origin_country", "customs_value"]}
    report, con = load(write_world(tmp_path, world, header=header))
    items = report.outcome("items")
    assert items.status == "refused"
    assert items.message == "items.csv: missing required column(s): hs_code, net_mass_kg"
    assert not report.ok
    assert "items" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}


def test_missing_optional_column_is_fine(world, tmp_path):
    columns = [c for c in TABLES_BY_NAME["parties"].column_names if c != "owners"]
    report, _ = load(write_world(tmp_path, world, header={"parties": columns}))
    assert report.ok and report.outcome("parties").loaded == len(world["parties"])


def test_missing_required_table_fails_but_optional_tables_may_be_absent(world, tmp_path):
    del world["officers"], world["interests"]
    report, _ = load(write_world(tmp_path, world))
    assert not report.ok
    assert report.outcome("officers").message.startswith("officers: required table missing")
    assert report.outcome("interests").status == "absent"
    assert not report.outcome("interests").failed


def test_extra_columns_are_reported_and_ignored(world, tmp_path):
    columns = [*TABLES_BY_NAME["parties"].column_names, "vat_status"]
    report, con = load(write_world(tmp_path, world, header={"parties": columns}))
    assert report.outcome("parties").extra_columns == ("vat_status",)
    assert "vat_status" not in [r[0] for r in con.execute("DESCRIBE parties").fetchall()]


def test_unknown_files_are_listed(world, tmp_path):
    write_world(tmp_path, world)
    (tmp_path / "notes.txt").write_text("hello")
    report, _ = load(tmp_path)
    assert report.unknown_files == ["notes.txt"]


def test_two_files_for_one_table_are_refused(world, tmp_path):
    write_world(tmp_path, world)
    write_world(tmp_path, {"risk_rules": world["risk_rules"]}, fmt="parquet")
    report, _ = load(tmp_path)
    assert report.outcome("risk_rules").status == "refused"
    assert "risk_rules.csv, risk_rules.parquet" in report.outcome("risk_rules").message


def test_header_that_is_not_utf8_is_refused(world, tmp_path):
    write_world(tmp_path, world)
    (tmp_path / "interventions.csv").write_bytes(b"intervention_id,n\xe4me\n")
    report, _ = load(tmp_path)
    assert report.outcome("interventions").status == "refused"
    assert "not UTF-8" in report.outcome("interventions").message


def test_broken_parquet_is_refused(world, tmp_path):
    write_world(tmp_path, world)
    (tmp_path / "interests.csv").unlink()
    (tmp_path / "interests.parquet").write_bytes(b"PAR1 this is not parquet")
    report, _ = load(tmp_path)
    assert report.outcome("interests").status == "refused"
    assert report.outcome("interests").message.startswith("interests.parquet: not a readable")


def test_malformed_rows_keep_their_row_numbers(world, tmp_path):
    """Short, long and non-UTF-8 records, a quoted line break and a blank line: every
    rejected row and every loaded row keeps the row number a spreadsheet would show."""
    write_world(tmp_path, world)
    header = ",".join(TABLES_BY_NAME["risk_rules"].column_names)
    (tmp_path / "risk_rules.csv").write_bytes(
        (
            f"{header}\n"
            'R1,"multi\nline description",87,,red\n'  # row 2 (spans two lines)
            "R2,short\n"  # row 3
            "\n"  # blank: not a row
            "R3,long,87,,red,extra\n"  # row 5
            "R4,ok,87,,red\n"  # row 6
        ).encode()
        + b"R5,caf\xe9,87,,red\n"  # row 7
        + b"R6,fine,8703,,purple\n"  # row 8
        + b"R7,last,8703,,yellow\n"  # row 9
    )
    report, con = load(tmp_path)
    assert [(r[1], r[4]) for r in rejects(con, "risk_rules")] == [
        (3, "row has fewer fields than the header"),
        (5, "row has more fields than the header"),
        (7, "row is not valid UTF-8 text"),
        (8, "must be one of: yellow, red"),
    ]
    outcome = report.outcome("risk_rules")
    assert (outcome.read, outcome.loaded, outcome.rejected) == (7, 3, 4)
    assert con.execute("SELECT rule_id FROM risk_rules").fetchall() == [("R1",), ("R4",), ("R7",)]


def test_row_numbers_deep_in_a_large_file(world, tmp_path):
    """The reader works in parallel chunks; row numbers must not drift across them."""
    write_world(tmp_path, world)
    header = ",".join(TABLES_BY_NAME["audit_events"].column_names)
    lines = [header]
    bad = {5_000, 70_001, 140_000}
    for n in range(2, 200_002):
        if n in bad:
            lines.append(f"E{n},2025-03-02T10:00:00,RA1,login")  # too few fields
        elif n == 150_000:
            lines.append(f"E{n},not-a-time,RA1,login,user,RA1,,,WS")
        else:
            lines.append(f"E{n},2025-03-02T10:00:00,RA1,login,user,RA1,,,WS")
    (tmp_path / "audit_events.csv").write_text("\n".join(lines) + "\n")
    report, con = load(tmp_path)
    assert [r[1] for r in rejects(con, "audit_events")] == [5_000, 70_001, 140_000, 150_000]
    assert con.execute(
        "SELECT count(*) FROM audit_events WHERE event_id IN ('E4999', 'E5001', 'E149999')"
    ).fetchone() == (3,)
    assert report.outcome("audit_events").read == 200_000


def test_parquet_with_native_types_loads_like_csv(world, tmp_path):
    write_world(tmp_path / "csv", world)
    write_world(tmp_path / "pq", world, fmt="parquet")
    items = pa.table(
        {
            "declaration_id": [r["declaration_id"] for r in world["items"]],
            "item_no": pa.array([int(r["item_no"]) for r in world["items"]], pa.int64()),
            "hs_code": [r["hs_code"] for r in world["items"]],
            "origin_country": [r["origin_country"] for r in world["items"]],
            "customs_value": pa.array([float(r["customs_value"]) for r in world["items"]]),
            "net_mass_kg": pa.array([float(r["net_mass_kg"]) for r in world["items"]]),
        }
    )
    pq.write_table(items, tmp_path / "pq" / "items.parquet")
    _, csv_con = load(tmp_path / "csv")
    _, pq_con = load(tmp_path / "pq")
    for table in ("items", "declarations", "officers"):
        query = f"SELECT * FROM {table} ORDER BY ALL"
        assert csv_con.execute(query).fetchall() == pq_con.execute(query).fetchall()
    assert rejects(pq_con) == []


def test_parquet_row_numbers_are_record_numbers(world, tmp_path):
    world["interventions"].append(dict(world["interventions"][0], start_date="soon"))
    _report, con = load(write_world(tmp_path, world, fmt="parquet"))
    assert [r[1] for r in rejects(con, "interventions")] == [2]


def test_bare_carriage_return_rejects_its_row_not_the_file(world, tmp_path):
    """An unquoted CR is a line break to the reader: the row it splits is rejected, the rows
    around it load (the strict parser alone would refuse the whole file)."""
    write_world(tmp_path, world)
    header = ",".join(TABLES_BY_NAME["interests"].column_names)
    (tmp_path / "interests.csv").write_bytes(
        f"{header}\nO1,Amina\rJuma,spouse,\nO2,Peter Mwangi,sibling,\n".encode()
    )
    report, con = load(tmp_path)
    assert report.outcome("interests").status == "loaded"
    assert con.execute("SELECT person_or_company FROM interests").fetchall() == [("Peter Mwangi",)]
    assert {r[4] for r in rejects(con, "interests")} == {"row has fewer fields than the header"}


def test_parquet_native_values_are_checked_and_reported_as_text(world, tmp_path):
    """Typed Parquet columns skip the text round trip but not the rules."""
    write_world(tmp_path, world, fmt="parquet")
    rows = world["declarations"]
    native = {c: [r[c] for r in rows] for c in TABLES_BY_NAME["declarations"].column_names}
    for column in ("lodged_at", "assigned_at", "released_at"):
        native[column] = pa.array([v or None for v in native[column]]).cast(pa.timestamp("s"))
    for column in ("duties_declared", "duties_assessed"):
        native[column] = pa.array([float(v) for v in native[column]])
    native["duties_declared"] = pa.array([-1.0] + [float(r["duties_declared"]) for r in rows[1:]])
    native["released_at"] = pa.array(
        [None, "2025-01-01T00:00:00", *[r["released_at"] or None for r in rows[2:]]]
    ).cast(pa.timestamp("s"))
    pq.write_table(pa.table(native), tmp_path / "declarations.parquet")
    report, con = load(tmp_path)
    assert rejects(con, "declarations") == [
        ("declarations", 1, "duties_declared", "-1.0", "must be ≥ 0"),
        ("declarations", 2, "released_at", "2025-01-01 00:00:00", "released before it was lodged"),
    ]
    assert report.outcome("declarations").loaded == len(rows) - 2
