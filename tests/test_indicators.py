"""The indicators table: exact figures on a hand-built world whose release times are known
(including declarations too recent to judge), the same figures recomputed independently in
pandas on a simulated administration, the column contract, and byte-identical reruns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from arusha.contract import ingest
from arusha.engine import Tables
from arusha.engine.alerts import ARROW_TYPES
from arusha.indicators import INDICATOR_COLUMNS, KEY, indicators, write_indicators
from arusha.pipeline import run_analysis
from arusha.simulate import simulate
from tests.contract.world import write_world
from tests.worlds import PARTIES, build, declaration, item

NAN = float("nan")
JANUARY, FEBRUARY = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")
OFFICERS = [
    {"officer_id": o, "office_code": office, "post": "examiner", "start_date": "2020-01-01"}
    for o, office in (("O1", "SEA01"), ("O2", "LND01"))
]
MORE_PARTIES = [
    {"party_id": "B2", "role": "declarant", "name": "Swift Clearing"},
    {"party_id": "T2", "role": "trader", "name": "Blue Sea Trading"},
]


def _declarations() -> list[dict]:
    """Day n is 2025-01-01 + n; lodged at 09:00 unless said, and assigned when lodged. The last
    timestamp of the data (the horizon) is the release of D00050 on 20 February at 18:00."""
    rows = _unassigned()
    for row in rows:
        if row["officer_id"]:
            row["assigned_at"] = row["lodged_at"]
    return rows


def _unassigned() -> list[dict]:
    d = declaration
    return [
        # January, SEA01, officer O1 (and one declaration nobody was assigned)
        d(0, officer_id="O1", risk_channel="red", final_channel="red",
          inspection_outcome="discrepancy", duties_assessed="150.50",
          released_at="2025-01-01T12:00:00"),  # 3 h, same day, duties raised by 50.50
        d(1, officer_id="O1", trader_id="T2", risk_channel="red", final_channel="green",
          released_at="2025-01-02T10:00:00"),  # override to green, 1 h
        d(2, officer_id="O1", declarant_id="B2", risk_channel="yellow", final_channel="yellow",
          inspection_outcome="no_discrepancy", released_at="2025-01-09T09:00:00"),  # 6 days
        d(3, released_at="2025-01-05T09:00:00"),  # no officer; 24 h: not the same day
        d(4, officer_id="O1", risk_channel="yellow", final_channel="yellow",
          released_at=""),  # never released: 5 days or more, and not within 30 days
        d(10, officer_id="O1", declarant_id="B2", risk_channel="red", final_channel="red",
          inspection_outcome="no_discrepancy", duties_declared="50.00", duties_assessed="50.004",
          released_at="2025-02-14T09:00:00"),  # 34 days; a rounding difference is no uplift
        # February
        d(40, office_code="LND01", officer_id="O2", declarant_id="B2", trader_id="T2",
          risk_channel="red", final_channel="yellow", inspection_outcome="discrepancy",
          duties_declared="200.00", duties_assessed="200.00",
          released_at="2025-02-10T15:30:00"),  # red processed yellow; 6.5 h
        d(47, officer_id="O1", risk_channel="yellow", final_channel="yellow",
          released_at=""),  # not released three days before the horizon: too recent to judge
        d(50, officer_id="O1", released_at="2025-02-20T18:00:00"),  # on the horizon's day
    ]  # fmt: skip


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    return build(
        tmp_path_factory.mktemp("indicators"),
        parties=PARTIES + MORE_PARTIES,
        officers=OFFICERS,
        declarations=_declarations(),
    )


@pytest.fixture(scope="module")
def table(tables: Tables) -> pd.DataFrame:
    return indicators(tables).to_pandas()


def figures(table: pd.DataFrame, level: str, subject: str, office: str, month) -> dict:
    """{indicator: (numerator, denominator, value)} of one subject, office and month."""
    rows = table[
        (table.level == level)
        & (table.subject_id == subject)
        & (table.office_code == office)
        & (table.month == month)
    ]
    return {r.indicator: (r.numerator, r.denominator, r.value) for r in rows.itertuples()}


def assert_figures(actual: dict, expected: dict) -> None:
    assert sorted(actual) == sorted(expected)
    for name, triple in expected.items():
        assert actual[name] == pytest.approx(triple, nan_ok=True), name


def test_an_officers_month_has_every_indicator_with_its_numerator_and_denominator(table):
    assert_figures(
        figures(table, "officer", "O1", "SEA01", JANUARY),
        {
            "declarations": (5, NAN, 5),
            "controlled_share": (4, 5, 4 / 5),  # red or yellow in the end
            "override_rate": (1, 5, 1 / 5),  # red to green, of five red or yellow
            "discrepancy_rate": (1, 4, 1 / 4),
            "uplift_rate": (1, 4, 1 / 4),  # 50.004 against 50.00 is rounding
            "duties_gap": (50.5, NAN, 50.5),
            "released_same_day_share": (2, 5, 2 / 5),
            "released_5_days_or_more_share": (3, 5, 3 / 5),  # 6 days, never, 34 days
            "not_released_within_30_days_share": (2, 5, 2 / 5),  # never, 34 days
            "median_release_hours": (NAN, 4, (3 + 144) / 2),  # of 1, 3, 144 and 816 hours
        },
    )


def test_declarations_too_recent_to_judge_are_left_out_of_the_release_shares(table):
    # D00047 (17 Feb, unreleased) is not yet five days old at the horizon, 20 Feb 18:00, and
    # D00050 was lodged on the horizon's day: neither counts as slow, nor, for D00050, as
    # fast. With no declaration old enough, the 5-day and 30-day shares have no row at all.
    assert_figures(
        figures(table, "officer", "O1", "SEA01", FEBRUARY),
        {
            "declarations": (2, NAN, 2),
            "controlled_share": (1, 2, 1 / 2),
            "override_rate": (0, 1, 0),
            "discrepancy_rate": (0, 1, 0),
            "uplift_rate": (0, 1, 0),
            "duties_gap": (0, NAN, 0),
            "released_same_day_share": (0, 1, 0),
            "median_release_hours": (NAN, 1, 9),
        },
    )


def test_an_office_counts_declarations_no_officer_was_assigned(table):
    office = figures(table, "office", "SEA01", "SEA01", JANUARY)
    assert office["declarations"][0] == 6
    assert office["controlled_share"][:2] == (4, 6)
    assert office["released_same_day_share"][:2] == (2, 6)  # the 24 h release is not
    assert office["released_5_days_or_more_share"][:2] == (3, 6)
    assert office["median_release_hours"][1:] == (5, 24)  # of 1, 3, 24, 144 and 816 hours


def test_a_less_strict_channel_than_red_is_an_override_and_rates_cover_one_declaration(table):
    assert_figures(
        figures(table, "officer", "O2", "LND01", FEBRUARY),
        {
            "declarations": (1, NAN, 1),
            "controlled_share": (1, 1, 1),
            "override_rate": (1, 1, 1),
            "discrepancy_rate": (1, 1, 1),
            "uplift_rate": (0, 1, 0),
            "duties_gap": (0, NAN, 0),
            "released_same_day_share": (1, 1, 1),
            "released_5_days_or_more_share": (0, 1, 0),  # lodged 10 Feb: five days are known
            "median_release_hours": (NAN, 1, 6.5),
        },
    )


def test_brokers_and_traders_get_a_row_per_office_and_month(table):
    subjects = table[table.indicator == "declarations"]
    counted = {
        (r.level, r.subject_id, r.office_code, r.month): r.value for r in subjects.itertuples()
    }
    assert counted == {
        ("declarant", "B1", "SEA01", JANUARY): 4,
        ("declarant", "B2", "SEA01", JANUARY): 2,
        ("declarant", "B1", "SEA01", FEBRUARY): 2,
        ("declarant", "B2", "LND01", FEBRUARY): 1,
        ("office", "SEA01", "SEA01", JANUARY): 6,
        ("office", "SEA01", "SEA01", FEBRUARY): 2,
        ("office", "LND01", "LND01", FEBRUARY): 1,
        ("officer", "O1", "SEA01", JANUARY): 5,
        ("officer", "O1", "SEA01", FEBRUARY): 2,
        ("officer", "O2", "LND01", FEBRUARY): 1,
        ("trader", "T1", "SEA01", JANUARY): 5,
        ("trader", "T2", "SEA01", JANUARY): 1,
        ("trader", "T1", "SEA01", FEBRUARY): 2,
        ("trader", "T2", "LND01", FEBRUARY): 1,
    }
    broker = figures(table, "declarant", "B2", "SEA01", JANUARY)
    assert broker["not_released_within_30_days_share"][:2] == (1, 2)  # the 34-day release


def test_rows_are_unique_and_sorted_by_their_key(table):
    keys = list(table[list(KEY)].itertuples(index=False, name=None))
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_the_file_has_the_documented_columns_and_reruns_are_byte_identical(tables, tmp_path):
    first = write_indicators(tables, tmp_path / "a.parquet")
    second = write_indicators(tables, tmp_path / "b.parquet")
    assert first.read_bytes() == second.read_bytes()
    schema = pq.read_schema(first)
    assert schema.names == [c.name for c in INDICATOR_COLUMNS]
    assert schema.types == [ARROW_TYPES[c.sql_type] for c in INDICATOR_COLUMNS]


def test_no_declarations_give_an_empty_table(tmp_path):
    empty = build(tmp_path, declarations=[], items=[])
    assert indicators(empty).to_pandas().empty


def test_analyze_writes_the_indicators_beside_the_alerts(table, tmp_path):
    world = {
        "parties": PARTIES + MORE_PARTIES,
        "officers": OFFICERS,
        "declarations": _declarations(),
        "items": [item(d["declaration_id"]) for d in _declarations()],
    }
    output = run_analysis(write_world(tmp_path / "data", world), tmp_path / "out")
    assert (output.out_dir / "alerts.parquet").is_file()
    computed = indicators(Tables.open(output.out_dir / "work.duckdb")).to_pyarrow()
    assert pq.read_table(output.indicators).equals(computed)
    assert computed.num_rows == len(table)


# The same figures computed another way, on a simulated administration --------------------------


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tables, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("simulated")
    simulate(folder / "world", declarations=5_000, seed=2)
    assert ingest(folder / "world", folder / "work.duckdb").ok
    tables = Tables.open(folder / "work.duckdb")
    return tables, tables.declarations.to_pandas()


def reference(declarations: pd.DataFrame, column: str) -> pd.DataFrame:
    """Every indicator of one level, in pandas, row by row from its definition."""
    d = declarations[declarations[column].notna()].copy()
    horizon = (
        declarations[["lodged_at", "assigned_at", "released_at"]].max(axis=1, skipna=True).max()
    )
    rank = {"green": 0, "blue": 1, "yellow": 2, "red": 3}
    selected = d.risk_channel.isin(["yellow", "red"])
    controlled = d.final_channel.isin(["yellow", "red"])
    hours = (d.released_at - d.lodged_at).dt.total_seconds() / 3600
    same_day_known = d.lodged_at.dt.normalize() < horizon.normalize()

    def old_enough(days):
        return d.lodged_at + pd.Timedelta(days=days) <= horizon

    def late(days):
        return d.released_at.isna() | (hours >= 24 * days)

    d = d.assign(
        subject_id=d[column],
        month=d.lodged_at.dt.to_period("M").dt.start_time.astype("datetime64[s]"),
        n=1,
        controlled=controlled,
        selected=selected,
        overridden=selected & (d.final_channel.map(rank) < d.risk_channel.map(rank)),
        found=controlled & (d.inspection_outcome == "discrepancy"),
        uplifted=controlled & (d.duties_assessed - d.duties_declared > 0.005),
        gap=d.duties_assessed - d.duties_declared,
        same_day_known=same_day_known,
        same_day=same_day_known & (d.released_at.dt.normalize() == d.lodged_at.dt.normalize()),
        slow_known=old_enough(5),
        slow=old_enough(5) & late(5),
        stalled_known=old_enough(30),
        stalled=old_enough(30) & late(30),
        hours=hours,
    )
    groups = d.groupby(["subject_id", "office_code", "month"])
    sums = groups[
        ["n", "controlled", "selected", "overridden", "found", "uplifted", "gap",
         "same_day_known", "same_day", "slow_known", "slow", "stalled_known", "stalled"]
    ].sum()  # fmt: skip
    sums["released"] = groups.hours.count()
    sums["median"] = groups.hours.median()
    ratios = {
        "controlled_share": ("controlled", "n"),
        "override_rate": ("overridden", "selected"),
        "discrepancy_rate": ("found", "controlled"),
        "uplift_rate": ("uplifted", "controlled"),
        "released_same_day_share": ("same_day", "same_day_known"),
        "released_5_days_or_more_share": ("slow", "slow_known"),
        "not_released_within_30_days_share": ("stalled", "stalled_known"),
    }
    figures = {
        "declarations": (sums.n, NAN, sums.n),
        "duties_gap": (sums.gap, NAN, sums.gap),
        "median_release_hours": (NAN, sums.released, sums["median"]),
        **{name: (sums[n], sums[d], sums[n] / sums[d]) for name, (n, d) in ratios.items()},
    }
    long = pd.concat(
        sums.assign(indicator=name, numerator=n, denominator=d, value=v)
        for name, (n, d, v) in figures.items()
    ).reset_index()
    long = long[long.denominator.isna() | (long.denominator > 0)]
    columns = ["numerator", "denominator", "value"]
    return long[["subject_id", "office_code", "month", "indicator", *columns]].astype(
        dict.fromkeys(columns, float)
    )


@pytest.mark.parametrize(
    ("level", "column"),
    [("officer", "officer_id"), ("office", "office_code"), ("trader", "trader_id")],
)
def test_simulated_administration_matches_an_independent_computation(simulated, level, column):
    tables, declarations = simulated
    table = indicators(tables).to_pandas()
    ours = table[table.level == level].drop(columns="level")
    theirs = reference(declarations, column)
    key = ["subject_id", "office_code", "month", "indicator"]
    merged = ours.merge(theirs, on=key, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    for figure in ("numerator", "denominator", "value"):
        np.testing.assert_allclose(merged[figure], merged[f"{figure}_ref"], rtol=1e-9, atol=1e-6)
    shares = ours[ours.indicator.str.endswith(("_share", "_rate"))]
    assert shares.value.between(0, 1).all()
    # the released shares are not all zero or one, so the comparison above tested something
    assert table[table.indicator == "released_5_days_or_more_share"].numerator.sum() > 0
