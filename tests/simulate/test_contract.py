"""The written files are exactly in the contract's format, and look like clearance data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from arusha.contract.schema import ISO_COUNTRIES, TABLES, Kind
from arusha.simulate import SimulationResult, simulate
from arusha.simulate.config import SimConfig
from arusha.simulate.truth import TRUTH_COLUMNS
from tests.simulate.conftest import DECLARATIONS
from tests.simulate.queries import connect, one, text_view

TEXT_FORMAT = {
    Kind.TIMESTAMP: r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
    Kind.DATE: r"\d{4}-\d{2}-\d{2}",
    Kind.DECIMAL: r"\d+\.\d{2}",
    Kind.INTEGER: r"[1-9]\d*",
}


def _violations(con: duckdb.DuckDBPyConnection, table: str, condition: str) -> int:
    return one(con, f"SELECT count(*) FROM {table} WHERE {condition}")[0]


def assert_conforms(folder: Path) -> None:
    """Headers, text formats, enums, keys, references and row rules of every table."""
    text, typed = text_view(folder), connect(folder)
    countries = ", ".join(f"'{c}'" for c in sorted(ISO_COUNTRIES))
    for spec in TABLES:
        header = (folder / f"{spec.name}.csv").open(encoding="utf-8").readline().rstrip("\n")
        assert header == ",".join(spec.column_names), spec.name
        for c in spec.columns:
            checks = [] if not c.required else [f"{c.name} IS NULL"]
            if c.kind in TEXT_FORMAT:
                checks.append(f"NOT regexp_full_match({c.name}, '{TEXT_FORMAT[c.kind]}')")
            if c.choices:
                checks.append(f"{c.name} NOT IN ({', '.join(repr(x) for x in c.choices)})")
            if c.pattern:
                checks.append(f"NOT regexp_full_match({c.name}, '{c.pattern}')")
            if c.iso_country:
                checks.append(f"{c.name} NOT IN ({countries})")
            for check in checks:
                assert _violations(text, spec.name, check) == 0, f"{spec.name}: {check}"
        for c in spec.columns:
            if c.minimum is not None:
                assert _violations(typed, spec.name, f"{c.name} < {c.minimum}") == 0
            if c.above is not None:
                assert _violations(typed, spec.name, f"{c.name} <= {c.above}") == 0
        for rule in spec.rules:
            assert _violations(typed, spec.name, rule.violated) == 0, rule.reason
        if spec.key:
            key = ", ".join(spec.key)
            duplicates = one(typed, f"SELECT count(*) - count(DISTINCT ({key})) FROM {spec.name}")
            assert duplicates == (0,), f"{spec.name} key {key}"
        for ref in spec.references:
            dangling = _violations(
                typed,
                spec.name,
                f"{ref.column} IS NOT NULL AND {ref.column} NOT IN "
                f"(SELECT {ref.target} FROM {ref.table})",
            )
            assert dangling == 0, f"{spec.name}.{ref.column} -> {ref.table}"


def test_world_conforms_to_the_contract(world: SimulationResult) -> None:
    assert_conforms(world.out_dir)


def test_a_tiny_world_still_conforms(tmp_path: Path) -> None:
    result = simulate(tmp_path / "tiny", 300, seed=2)
    assert result.rows["declarations"] == 300
    assert_conforms(result.out_dir)


def test_a_shorter_span_can_be_configured(tmp_path: Path) -> None:
    config = SimConfig(start=date(2023, 7, 1), months=12, intervention_month=6)
    result = simulate(tmp_path / "year", 5_000, seed=4, config=config)
    assert result.months == 12
    assert_conforms(result.out_dir)
    first, last = one(
        connect(result.out_dir), "SELECT min(lodged_at), max(lodged_at) FROM declarations"
    )
    assert first.date() >= date(2023, 7, 1) and last.date() <= date(2024, 6, 30)
    assert "2024-01-01" in result.truth_path.read_text(encoding="utf-8")  # intervention start


def test_rows_reported_are_rows_written(world: SimulationResult, db) -> None:
    for spec in TABLES:
        assert one(db, f"SELECT count(*) FROM {spec.name}")[0] == world.rows[spec.name]
    assert world.rows["declarations"] == DECLARATIONS and world.months == 24


def test_truth_file_sits_beside_the_folder_with_its_columns(world: SimulationResult) -> None:
    assert world.truth_path == Path(f"{world.out_dir}.truth.csv")
    assert not any(p.name.startswith("world.truth") for p in world.out_dir.iterdir())
    header = world.truth_path.read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(TRUTH_COLUMNS)


def test_declarations_span_two_years_from_2024(db) -> None:
    first, last = one(db, "SELECT min(lodged_at), max(lodged_at) FROM declarations")
    assert first.date().isoformat() == "2024-01-01" and last.year == 2025 and last.month == 12


def test_every_declaration_has_one_to_five_numbered_items(db) -> None:
    low, high, gaps = one(
        db,
        """SELECT min(n), max(n), sum((n <> top)::INT) FROM (
               SELECT count(*) AS n, max(item_no) AS top FROM items GROUP BY declaration_id)""",
    )
    assert (low, high, gaps) == (1, 5, 0)
    assert one(
        db,
        "SELECT count(*) FROM declarations WHERE declaration_id NOT IN "
        "(SELECT declaration_id FROM items)",
    ) == (0,)


def test_officers_only_receive_work_where_and_when_they_are_posted_as_examiners(db) -> None:
    outside = one(
        db,
        """SELECT count(*) FROM declarations d WHERE officer_id IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM officers o WHERE o.officer_id = d.officer_id
                 AND o.office_code = d.office_code AND o.post = 'examiner'
                 AND d.assigned_at::DATE BETWEEN o.start_date
                     AND coalesce(o.end_date, DATE '9999-12-31'))""",
    )
    assert outside == (0,)


def test_volumes_are_unequal_like_real_brokers_and_traders(db) -> None:
    for party in ("declarant_id", "trader_id"):
        top_share = one(
            db,
            f"""SELECT sum(n) FILTER (WHERE rank <= greatest(1, parties / 5)) / sum(n) FROM (
                    SELECT count(*) AS n, row_number() OVER (ORDER BY count(*) DESC) AS rank,
                           count(*) OVER () AS parties
                    FROM declarations GROUP BY {party})""",
        )[0]
        assert top_share > 0.55, party  # the largest fifth lodges most


def test_channels_controls_and_release_times_are_plausible(db) -> None:
    green, controlled = one(
        db,
        """SELECT avg((risk_channel = 'green')::INT),
                  avg((risk_channel IN ('yellow', 'red'))::INT) FROM declarations""",
    )
    assert 0.45 < green < 0.75 and 0.2 < controlled < 0.5
    general, excise = one(
        db,
        """SELECT avg(found) FILTER (WHERE left(hs_code, 2) NOT IN ('22', '24')),
                  avg(found) FILTER (WHERE left(hs_code, 2) IN ('22', '24'))
           FROM (SELECT (inspection_outcome = 'discrepancy')::INT AS found, hs_code
                 FROM declarations JOIN items USING (declaration_id)
                 WHERE item_no = 1 AND final_channel IN ('yellow', 'red'))""",
    )
    assert 0.08 <= general <= 0.15 and excise > 1.5 * general  # tobacco and alcohol
    green_h, red_h = one(
        db,
        """SELECT median(epoch(released_at - lodged_at)) FILTER (WHERE final_channel = 'green'),
                  median(epoch(released_at - lodged_at)) FILTER (WHERE final_channel = 'red')
           FROM declarations""",
    )
    assert green_h < 2 * 3600 and red_h > 20 * 3600
    never, raised = one(
        db,
        """SELECT avg((released_at IS NULL)::INT),
                  bool_and(duties_assessed > duties_declared)
                      FILTER (WHERE inspection_outcome = 'discrepancy') FROM declarations""",
    )
    assert 0 < never < 0.02 and raised


def test_inland_depots_work_weekdays_and_their_weekend_releases_wait(db) -> None:
    weekend_share, weekend_releases = one(
        db,
        """SELECT avg((dayofweek(lodged_at) IN (0, 6))::INT),
                  avg((dayofweek(released_at) IN (0, 6))::INT) FROM declarations
           WHERE office_code LIKE 'ICD%'""",
    )
    assert weekend_share < 0.05 and weekend_releases == 0


def test_transfers_show_as_two_postings(db) -> None:
    moved = one(
        db,
        """SELECT count(*) FROM (SELECT officer_id FROM officers o
           WHERE end_date BETWEEN DATE '2024-01-01' AND DATE '2025-12-31' AND EXISTS (
               SELECT 1 FROM officers n WHERE n.officer_id = o.officer_id
                 AND n.start_date > o.end_date AND n.office_code <> o.office_code))""",
    )[0]
    assert moved >= 2
