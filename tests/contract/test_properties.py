"""Property: whatever is done to the rows of a valid world, every row read is either loaded or
rejected (read = loaded + rejected), rows broken on purpose are rejected, and no valid row is
lost."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arusha.contract import TABLES_BY_NAME, load_folder
from arusha.contract.schema import Kind
from tests.contract.world import copy_world, valid_world

WORLD = valid_world()
MUTABLE = [
    "parties",
    "officers",
    "declarations",
    "items",
    "audit_events",
    "risk_rules",
    "interests",
]
KINDS = [
    "empty_required",
    "wrong_type",
    "dangling",
    "huge",
    "duplicate",
    "bad_encoding",
    "extra_field",
    "free_text",
]


@dataclass(frozen=True)
class Mutation:
    table: str
    index: int
    kind: str
    pick: int  # chooses the column among those the kind applies to
    text: str


@st.composite
def mutations(draw) -> Mutation:
    table = draw(st.sampled_from(MUTABLE))
    return Mutation(
        table,
        draw(st.integers(0, len(WORLD[table]) - 1)),
        draw(st.sampled_from(KINDS)),
        draw(st.integers(0, 100)),
        draw(st.text(min_size=1, max_size=12)),
    )


def _columns_for(table: str, kind: str) -> list[str]:
    spec = TABLES_BY_NAME[table]
    if kind == "empty_required":
        return list(spec.required_columns)
    if kind == "wrong_type":
        return [c.name for c in spec.columns if c.kind is not Kind.STRING or c.choices]
    if kind == "dangling":
        return [r.column for r in spec.references]
    if kind == "huge":
        return [c.name for c in spec.columns if c.kind in (Kind.INTEGER, Kind.DECIMAL)]
    if kind == "free_text":  # any text in a free-text column is valid
        return [
            c.name
            for c in spec.columns
            if c.name in ("name", "address", "description", "workstation", "new_value")
        ]
    return []


def apply(
    world, mutation: Mutation, broken: set, file_edits: dict, value_broken: set, valid_copies: set
):
    """Apply one mutation; record (table, index) of rows that must be rejected."""
    rows = world[mutation.table]
    if mutation.index >= len(rows):
        return
    row = rows[mutation.index]
    if mutation.kind == "duplicate":
        # A copy of a valid row is a duplicate; a copy of a row broken by its values is broken
        # too; the first copy of a row broken only in the file (encoding, field count) is the
        # valid occurrence of its key, and later copies duplicate it.
        rows.append(dict(row))
        copy = (mutation.table, len(rows) - 1)
        origin = (mutation.table, mutation.index)
        keyed = bool(TABLES_BY_NAME[mutation.table].key)  # unkeyed tables may repeat rows
        if origin in value_broken:
            broken.add(copy)
            value_broken.add(copy)
        elif keyed and (
            mutation.index not in file_edits.get(mutation.table, {}) or origin in valid_copies
        ):
            broken.add(copy)
        else:
            valid_copies.add(origin)
        return
    if mutation.kind in ("bad_encoding", "extra_field"):
        file_edits.setdefault(mutation.table, {})[mutation.index] = mutation.kind
        broken.add((mutation.table, mutation.index))
        return
    columns = _columns_for(mutation.table, mutation.kind)
    if not columns:
        return
    column = columns[mutation.pick % len(columns)]
    value = {
        "empty_required": "",
        "wrong_type": "not-a-" + column,
        "dangling": "NOPE-" + column,
        "huge": "1e999"
        if TABLES_BY_NAME[mutation.table].column(column).kind is Kind.DECIMAL
        else "9" * 30,
        "free_text": mutation.text.strip() or "x",
    }[mutation.kind]
    row[column] = value
    if mutation.kind != "free_text":
        broken.add((mutation.table, mutation.index))
        value_broken.add((mutation.table, mutation.index))


def write_csv(folder, world, file_edits) -> None:
    for name, rows in world.items():
        columns = TABLES_BY_NAME[name].column_names
        records = [_record(columns)] + [_record([r.get(c, "") for c in columns]) for r in rows]
        for index, kind in file_edits.get(name, {}).items():
            record = records[index + 1].removesuffix(b"\r\n")
            records[index + 1] = (
                record + b"\xff\xfe\r\n"  # invalid UTF-8 in the last field
                if kind == "bad_encoding"
                else record + b",surplus\r\n"  # one field too many
            )
        (folder / f"{name}.csv").write_bytes(b"".join(records))


def _record(values) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)  # the excel dialect: CRLF, and a lone CR is quoted
    return buffer.getvalue().encode()


def tainted_rows(world, broken: set) -> set:
    """Broken rows, plus every row that refers (transitively) to a broken row's key."""
    tainted = set(broken)
    for table in [*MUTABLE, "enforcement_cases", "interventions"]:
        spec = TABLES_BY_NAME[table]
        for ref in spec.references:
            target = TABLES_BY_NAME[ref.table]
            bad_keys = {
                WORLD[target.name][i][ref.target]
                for (t, i) in tainted
                if t == target.name and i < len(WORLD[target.name])
            }
            good_keys = {
                r.get(ref.target)
                for i, r in enumerate(world[target.name])
                if (target.name, i) not in tainted
            }
            for i, row in enumerate(world[table]):
                value = row.get(ref.column)
                if value and (value in bad_keys or value not in good_keys):
                    tainted.add((table, i))
    return tainted


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(mutations(), min_size=1, max_size=6))
def test_every_row_is_loaded_or_rejected_and_no_valid_row_is_lost(tmp_path_factory, changes):
    world, broken, file_edits, value_broken, valid_copies = (
        copy_world(WORLD),
        set(),
        {},
        set(),
        set(),
    )
    # duplicates last, so that whether a copy or its original is the valid one is settled
    for change in sorted(changes, key=lambda c: c.kind == "duplicate"):
        apply(world, change, broken, file_edits, value_broken, valid_copies)
    folder = tmp_path_factory.mktemp("world")
    write_csv(folder, world, file_edits)

    con = duckdb.connect()
    report = load_folder(con, folder)

    for outcome in report.tables:
        if outcome.status == "loaded":
            assert outcome.read == outcome.loaded + outcome.rejected, outcome
            assert outcome.read == len(world[outcome.table]), outcome
    rejected = set(con.execute('SELECT table_name, "row" - 2 FROM _rejects').fetchall())
    assert {b for b in broken if b[0] in world} <= rejected
    for table, index in {(t, i) for t in MUTABLE for i in range(len(world[t]))} - tainted_rows(
        world, broken
    ):
        assert (table, index) not in rejected, (table, index, world[table][index])
