import ibis
import numpy as np
import pandas as pd
import pytest

from arusha.stats import expected_counts, expected_counts_expr, poisson_test

# Stratum A: u1 10 cases / 1 event, u2 30 / 6, u3 60 / 3. Stratum B: u1 20 / 10, u2 20 / 2.
# Stratum C: u3 alone, 5 / 1, so it has no peers and is dropped.
#   E_u1 = 10 · (6 + 3) / (30 + 60) + 20 · 2 / 20 = 1 + 2 = 3,     O_u1 = 1 + 10 = 11
#   E_u2 = 30 · (1 + 3) / (10 + 60) + 20 · 10 / 20 = 12/7 + 10,    O_u2 = 6 + 2 = 8
#   E_u3 = 60 · (1 + 6) / (10 + 30) = 10.5,                        O_u3 = 3
HAND = pd.DataFrame(
    {
        "officer": ["u1", "u2", "u3", "u1", "u2", "u3"],
        "stratum": ["A", "A", "A", "B", "B", "C"],
        "cases": [10, 30, 60, 20, 20, 5],
        "events": [1, 6, 3, 10, 2, 1],
    }
)
HAND_RESULT = pd.DataFrame(
    {
        "officer": ["u1", "u2", "u3"],
        "n": [30, 50, 60],
        "observed": [11, 8, 3],
        "expected": [3.0, 12 / 7 + 10, 10.5],
        "strata_used": [2, 2, 1],
        "strata_dropped": [0, 0, 1],
        "n_dropped": [0, 0, 5],
    }
)


def _on_duckdb(cells: pd.DataFrame, unit, stratum, n: str, y: str) -> pd.DataFrame:
    con = ibis.duckdb.connect()
    # Through memtable: with the installed sqlglot, create_table(obj=DataFrame) emits bad SQL.
    table = con.create_table("cells", obj=ibis.memtable(cells))
    return expected_counts_expr(table, unit, stratum, n, y).execute()


def test_hand_worked_example_pandas() -> None:
    result = expected_counts(HAND, "officer", "stratum", "cases", "events")
    pd.testing.assert_frame_equal(result, HAND_RESULT, check_dtype=False, rtol=1e-12)


def test_hand_worked_example_ibis_on_duckdb() -> None:
    result = _on_duckdb(HAND, "officer", "stratum", "cases", "events")
    pd.testing.assert_frame_equal(result, HAND_RESULT, check_dtype=False, rtol=1e-12)


def test_rows_of_the_same_cell_are_added_up_first() -> None:
    split = pd.concat([HAND, HAND.assign(cases=0, events=0)], ignore_index=True)
    result = expected_counts(split, "officer", "stratum", "cases", "events")
    pd.testing.assert_frame_equal(result, HAND_RESULT, check_dtype=False, rtol=1e-12)


def _random_cells(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = 3000
    cells = pd.DataFrame(
        {
            "office": rng.choice(["DAR", "ARU", "MWZ"], rows),
            "officer": rng.choice([f"o{i:02d}" for i in range(25)], rows),
            "section": rng.choice([f"HS{i:02d}" for i in range(1, 22)], rows),
            "channel": rng.choice(["green", "yellow", "red"], rows),
            "month": rng.integers(1, 13, rows),
            "declarations": rng.integers(1, 40, rows),
        }
    )
    cells["overrides"] = rng.binomial(cells["declarations"], 0.07)
    return cells


@pytest.mark.parametrize("seed", [0, 1])
def test_pandas_and_ibis_agree_on_duckdb(seed: int) -> None:
    cells = _random_cells(seed)
    unit, stratum = ["office", "officer"], ["office", "section", "channel", "month"]
    local = expected_counts(cells, unit, stratum, "declarations", "overrides")
    remote = _on_duckdb(cells, unit, stratum, "declarations", "overrides")
    assert local["strata_dropped"].sum() > 0  # the sparse strata exercise the dropping rule
    pd.testing.assert_frame_equal(local, remote, check_dtype=False, rtol=1e-12)


def _posting_world() -> pd.DataFrame:
    """Four officers, two kinds of goods: high-risk (30% of declarations overridden by everyone)
    and ordinary (5%). `posted` is an honest officer who mostly handles high-risk goods;
    `steering` handles ordinary goods and overrides 20% of them."""
    rows = [
        ("posted", "high-risk", 900, 270),
        ("posted", "ordinary", 100, 5),
        ("steering", "ordinary", 1000, 200),
        ("peer1", "high-risk", 300, 90),
        ("peer1", "ordinary", 700, 35),
        ("peer2", "high-risk", 200, 60),
        ("peer2", "ordinary", 800, 40),
    ]
    return pd.DataFrame(rows, columns=["officer", "goods", "declarations", "overrides"])


@pytest.mark.parametrize("implementation", ["pandas", "ibis"])
def test_posting_to_high_risk_goods_is_not_an_excess(implementation: str) -> None:
    cells = _posting_world()
    run = expected_counts if implementation == "pandas" else _on_duckdb
    result = run(cells, "officer", "goods", "declarations", "overrides").set_index("officer")
    ratio = result["observed"] / result["expected"]
    # Crude comparison with the office-wide rate would accuse the posted officer...
    office_rate = cells["overrides"].sum() / cells["declarations"].sum()
    assert poisson_test(result.loc["posted", "observed"], 1000 * office_rate) < 1e-6
    # ...while within strata the posted officer is on par and only the steering one stands out.
    assert ratio["posted"] == pytest.approx(1.0, abs=0.05)
    assert ratio["steering"] > 3.5
    # (The peers sit below 1 because the steering officer's excess is in their baseline.)
    assert (ratio[["peer1", "peer2"]] < 1).all()


def test_unit_columns_may_not_shadow_output_columns() -> None:
    with pytest.raises(ValueError, match="expected"):
        expected_counts(
            HAND.rename(columns={"officer": "expected"}), "expected", "stratum", "cases", "events"
        )
