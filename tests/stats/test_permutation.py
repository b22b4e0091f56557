import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from arusha.stats import (
    assignment_test,
    assignment_tests,
    permutation_test,
    poisson_binomial_sf,
)


def _by_convolution(k: int, p: np.ndarray) -> float:
    pmf = np.array([1.0])
    for pi in p:
        pmf = np.convolve(pmf, [1 - pi, pi])
    return float(pmf[k:].sum())


@given(st.lists(st.floats(0, 1), max_size=40), st.integers(0, 45))
def test_poisson_binomial_agrees_with_convolution(p: list[float], k: int) -> None:
    expected = _by_convolution(k, np.array(p))
    assert poisson_binomial_sf(k, p) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_far_tail_is_accurate_with_thousands_of_trials() -> None:
    # Equal probabilities make S binomial; scipy's binomial tail is accurate far below 1e-16.
    for k in (40, 100, 200):
        expected = stats.binom.sf(k - 1, 3000, 0.01)
        assert poisson_binomial_sf(k, np.full(3000, 0.01)) == pytest.approx(expected, rel=1e-9)


def _roster(seed: int, declarations: int = 200):
    """One trader's declarations: k_i officers on duty (2..8), the focal officer (0) among them
    for about 70%; the others are officers 1..10. Returns the long-form eligible sets and p."""
    rng = np.random.default_rng(seed)
    declaration, candidate, p = [], [], np.zeros(declarations)
    for i in range(declarations):
        k = int(rng.integers(2, 9))
        focal = rng.random() < 0.7
        officers = ([0] if focal else []) + list(rng.choice(np.arange(1, 11), k - focal, False))
        declaration += [i] * k
        candidate += officers
        p[i] = 1 / k if focal else 0.0
    return np.array(declaration), np.array(candidate), p, rng


def _steered_assignment(seed: int, steer: float):
    """Random assignment, except that a share `steer` of the focal officer's eligible
    declarations are taken by the focal officer."""
    declaration, candidate, p, rng = _roster(seed)
    assigned = np.array([rng.choice(candidate[declaration == i]) for i in range(p.size)])
    steered = (p > 0) & (rng.random(p.size) < steer)
    assigned[steered] = 0
    return declaration, candidate, p, assigned


def test_single_pair_counts_and_ratio() -> None:
    p = np.array([0.5, 0.25, 0.0, 0.2, 0.5])
    assigned = np.array([True, True, False, False, True])
    result = assignment_test(p, assigned)
    assert (result.observed, result.n_trials, result.exact) == (3, 4, True)
    assert result.expected == pytest.approx(1.45)
    assert result.ratio == pytest.approx(3 / 1.45)
    assert result.p_upper == pytest.approx(_by_convolution(3, p), rel=1e-12)


def test_assignment_outside_the_roster_cannot_happen_by_chance() -> None:
    # Three declarations received, only one of which the roster allowed.
    result = assignment_test([0.5, 0.0, 0.0], [True, True, True])
    assert (result.observed, result.n_trials, result.p_upper) == (3, 1, 0.0)


@pytest.mark.parametrize("steer", [0.0, 0.15])
def test_monte_carlo_agrees_with_exact(steer: float) -> None:
    declaration, candidate, p, assigned = _steered_assignment(11, steer)
    exact = assignment_test(p, assigned == 0).p_upper
    n_resamples = 20_000
    mc = permutation_test(
        declaration,
        candidate,
        assigned,
        lambda a: (a == 0).sum(axis=1),
        n_resamples=n_resamples,
        seed=5,
    )
    assert mc.statistic == (assigned == 0).sum()
    # Monte-Carlo p has standard error sqrt(p(1 - p) / B), plus 1/B from the +1 rule.
    se = np.sqrt(max(exact * (1 - exact), 1 / n_resamples) / n_resamples)
    assert abs(mc.p_upper - exact) < 4 * se + 1 / n_resamples


def test_monte_carlo_is_reproducible_and_never_zero() -> None:
    declaration, candidate, _, assigned = _steered_assignment(2, 0.6)
    runs = [
        permutation_test(declaration, candidate, assigned, _top_share, n_resamples=500, seed=9)
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert runs[0].p_upper == 1 / 501  # the steering is far beyond every re-draw


def _top_share(assignments: np.ndarray) -> np.ndarray:
    """Any statistic of the whole assignment: the largest share of one officer."""
    counts = np.apply_along_axis(np.bincount, 1, assignments, minlength=11)
    return counts.max(axis=1) / assignments.shape[1]


def test_many_pairs_agree_with_one_at_a_time() -> None:
    rng = np.random.default_rng(8)
    sizes = [1, 3, 17, 64, 65, 300, 0, 1200]  # spans several buckets; code 6 has no trials
    pair = np.repeat(np.arange(len(sizes)), sizes)
    p = 1 / rng.integers(1, 8, pair.size)
    assigned = rng.random(pair.size) < 1.4 * p
    many = assignment_tests(pair, p, assigned)
    assert many.observed.shape == (len(sizes),)
    for code in range(len(sizes)):
        one = assignment_test(p[pair == code], assigned[pair == code])
        assert many.p_upper[code] == pytest.approx(one.p_upper, rel=1e-12)
        assert many.expected[code] == pytest.approx(one.expected)
    assert many.p_upper[6] == 1.0 and many.n_trials[6] == 0


def test_normal_approximation_only_for_large_pairs() -> None:
    rng = np.random.default_rng(1)
    pair = np.repeat([0, 1], [100, 5000])
    p = 1 / rng.integers(2, 10, pair.size)
    assigned = rng.random(pair.size) < 1.1 * p
    approx = assignment_tests(pair, p, assigned, exact_max_trials=1000)
    exact = assignment_tests(pair, p, assigned, exact_max_trials=None)
    assert approx.exact.tolist() == [True, False] and exact.exact.all()
    assert approx.p_upper[0] == exact.p_upper[0]
    assert approx.p_upper[1] == pytest.approx(exact.p_upper[1], abs=0.01)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_p_values_are_probabilities(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pair = rng.integers(0, 20, 500)
    p = rng.choice([0.0, 1.0, 0.5, 0.25, 0.1], 500)
    result = assignment_tests(pair, p, rng.random(500) < 0.3, exact_max_trials=20)
    assert np.all((result.p_upper >= 0) & (result.p_upper <= 1))


@pytest.mark.parametrize(
    "call",
    [
        lambda: poisson_binomial_sf(1, [1.5]),
        lambda: assignment_tests([0, 1], [0.5], [True]),
        lambda: assignment_tests([0.5], [0.5], [True]),
        lambda: permutation_test([0, 2], [1, 1], [1, 1, 1], lambda a: a.sum(axis=1)),
    ],
)
def test_invalid_input_is_refused(call) -> None:
    with pytest.raises(ValueError):
        call()
