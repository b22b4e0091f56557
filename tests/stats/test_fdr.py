import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from arusha.stats import benjamini_hochberg

p_lists = st.lists(st.floats(0, 1), min_size=1, max_size=200)


def test_hand_worked_example() -> None:
    # Sorted: 0.005, 0.01, 0.03, 0.04, 0.5; m·p/rank = 0.025, 0.025, 0.05, 0.05, 0.5,
    # already non-decreasing, so these are the q-values, put back in input order.
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.005, 0.5])
    np.testing.assert_allclose(q, [0.025, 0.05, 0.05, 0.025, 0.5], rtol=1e-12)


def test_step_up_takes_the_minimum_from_above() -> None:
    # m·p/rank = 0.06, 0.04: the first q is lowered to the second.
    np.testing.assert_allclose(benjamini_hochberg([0.03, 0.04]), [0.04, 0.04], rtol=1e-12)


def test_nan_is_kept_and_not_counted_in_m() -> None:
    q = benjamini_hochberg([0.01, np.nan, 0.04])
    np.testing.assert_allclose(q, [0.02, np.nan, 0.04], rtol=1e-12)


def test_capped_at_one_and_shape_kept() -> None:
    q = benjamini_hochberg(np.array([[0.9, 0.8], [0.95, 1.0]]))
    assert q.shape == (2, 2)
    assert np.all(q <= 1)


@pytest.mark.parametrize("bad", [[-0.1], [1.5]])
def test_rejects_values_outside_unit_interval(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="p-values"):
        benjamini_hochberg(bad)


@given(p_lists)
def test_agrees_with_statsmodels(p: list[float]) -> None:
    expected = multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(benjamini_hochberg(p), expected, rtol=1e-12, atol=1e-15)


@given(p_lists)
def test_q_at_least_p_at_most_one_and_monotone(p: list[float]) -> None:
    p_arr = np.array(p)
    q = benjamini_hochberg(p_arr)
    assert np.all(q >= p_arr) and np.all(q <= 1)
    order = np.argsort(p_arr, kind="stable")
    assert np.all(np.diff(q[order]) >= 0)


@given(p_lists, st.randoms(use_true_random=False))
def test_invariant_to_permutation(p: list[float], random) -> None:
    shuffled = list(range(len(p)))
    random.shuffle(shuffled)
    q = benjamini_hochberg(p)
    np.testing.assert_array_equal(benjamini_hochberg(np.array(p)[shuffled]), q[shuffled])


@given(p_lists, st.lists(st.integers(0, 200), max_size=20))
def test_nans_do_not_change_the_other_q_values(p: list[float], at: list[int]) -> None:
    with_nan = np.array(p)
    for i in at:
        with_nan = np.insert(with_nan, min(i, with_nan.size), np.nan)
    q = benjamini_hochberg(with_nan)
    assert np.array_equal(np.isnan(q), np.isnan(with_nan))
    np.testing.assert_array_equal(q[~np.isnan(q)], benjamini_hochberg(p))


@given(p_lists, st.integers(0, 50))
def test_untested_hypotheses_count_as_p_equal_to_one(p: list[float], untested: int) -> None:
    padded = benjamini_hochberg([*p, *([1.0] * untested)])[: len(p)]
    np.testing.assert_allclose(
        benjamini_hochberg(p, untested=untested), padded, rtol=1e-12, atol=1e-15
    )


def test_untested_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="untested"):
        benjamini_hochberg([0.1], untested=-1)
