import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats import rates
from statsmodels.stats.proportion import confint_proportions_2indep

from arusha.stats import bootstrap_shift, hodges_lehmann_shift, rate_ratio, risk_difference
from arusha.stats.effect import _kth_difference

# Permeability constants from R's `?wilcox.test` (Hollander & Wolfe 1973, p. 69); R reports a
# Hodges–Lehmann "difference in location" of 0.305.
X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
Y = [1.15, 0.88, 0.90, 0.74, 1.21]


@st.composite
def two_proportions(draw: st.DrawFn) -> tuple[int, int, int, int]:
    n1, n2 = draw(st.integers(1, 500)), draw(st.integers(1, 500))
    return draw(st.integers(0, n1)), n1, draw(st.integers(0, n2)), n2


@given(two_proportions(), st.sampled_from([0.9, 0.95, 0.99]))
def test_risk_difference_agrees_with_statsmodels_newcombe(case, level) -> None:
    y1, n1, y2, n2 = case
    ci = risk_difference(y1, n1, y2, n2, level)
    low, high = confint_proportions_2indep(
        y1, n1, y2, n2, method="newcomb", compare="diff", alpha=1 - level
    )
    assert (ci.low, ci.high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
    assert ci.low <= ci.estimate <= ci.high


def test_risk_difference_known_value() -> None:
    # Newcombe (1998), Table II, example (a): 56/70 - 48/80 = 0.2, 95% CI 0.0524 to 0.3339.
    ci = risk_difference(56, 70, 48, 80)
    assert ci.estimate == pytest.approx(0.2)
    assert (ci.low, ci.high) == (pytest.approx(0.0524, abs=5e-5), pytest.approx(0.3339, abs=5e-5))


def test_rate_ratio_inverts_the_exact_conditional_test() -> None:
    ci = rate_ratio(10, 100.0, 5, 200.0)
    assert ci.estimate == 4.0
    for value, alternative in [(ci.low, "larger"), (ci.high, "smaller")]:
        p = rates.test_poisson_2indep(
            10, 100.0, 5, 200.0, value=value, method="exact-cond", alternative=alternative
        ).pvalue
        assert p == pytest.approx(0.025, rel=1e-8)


def test_rate_ratio_with_no_events_in_one_group() -> None:
    none_in_reference = rate_ratio(3, 10.0, 0, 20.0)
    assert none_in_reference.estimate == np.inf and none_in_reference.high == np.inf
    none_in_unit = rate_ratio(0, 10.0, 4, 20.0)
    assert none_in_unit.estimate == 0.0 and none_in_unit.low == 0.0


def test_hodges_lehmann_known_value_and_ranks() -> None:
    ci = hodges_lehmann_shift(X, Y)
    assert ci.estimate == pytest.approx(0.305, abs=1e-12)
    # m n = 50: C = floor(25.5 - 1.959964 · sqrt(50 · 16 / 12)) = floor(9.496) = 9.
    differences = np.sort(np.subtract.outer(X, Y).ravel())
    assert ci.low == pytest.approx(differences[9 - 1], abs=1e-12)
    assert ci.high == pytest.approx(differences[50 - 9], abs=1e-12)


@given(
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30),
    st.data(),
)
def test_kth_difference_matches_sorting(x, y, data) -> None:
    differences = np.sort(np.subtract.outer(x, y).ravel())
    k = data.draw(st.integers(1, differences.size))
    found = _kth_difference(np.sort(x), np.sort(y), k)
    assert found == pytest.approx(differences[k - 1], rel=1e-12, abs=1e-9)


@given(
    st.lists(st.floats(-50, 50), min_size=2, max_size=40),
    st.lists(st.floats(-50, 50), min_size=2, max_size=40),
)
def test_hodges_lehmann_interval_contains_the_estimate(x, y) -> None:
    ci = hodges_lehmann_shift(x, y)
    assert ci.low <= ci.estimate <= ci.high
    assert ci.estimate == pytest.approx(np.median(np.subtract.outer(x, y)), rel=1e-12, abs=1e-9)


def test_hodges_lehmann_coverage() -> None:
    rng = np.random.default_rng(0)
    covered = [
        ci.low <= 0.5 <= ci.high
        for ci in (
            hodges_lehmann_shift(rng.normal(0.5, 1, 15), rng.normal(0, 1, 20)) for _ in range(400)
        )
    ]
    assert 0.92 <= np.mean(covered) <= 0.985


def test_log_durations_of_a_slow_officer() -> None:
    # Clearance times of a unit 1.5 times as long as its peers': the shift on the log scale is
    # log 1.5, found by both estimators and excluded zero from both intervals.
    rng = np.random.default_rng(1)
    peers = np.log(rng.lognormal(np.log(60), 0.5, 4000))
    unit = np.log(rng.lognormal(np.log(90), 0.5, 300))
    for ci in (hodges_lehmann_shift(unit, peers), bootstrap_shift(unit, peers, seed=3)):
        assert ci.low > 0
        assert ci.low < np.log(1.5) < ci.high


def test_bootstrap_is_seeded_and_starts_from_the_sample_difference() -> None:
    runs = [bootstrap_shift(X, Y, "mean", n_resamples=999, seed=4) for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0].estimate == pytest.approx(np.mean(X) - np.mean(Y))
    median = bootstrap_shift(X, Y, n_resamples=999, seed=4)
    assert median.estimate == pytest.approx(np.median(X) - np.median(Y))


@settings(deadline=None, max_examples=30)
@given(two_proportions(), st.integers(0, 40), st.integers(0, 40))
def test_intervals_contain_their_estimates(case, o1, o2) -> None:
    rd = risk_difference(*case)
    assert rd.low <= rd.estimate <= rd.high
    if o1 + o2:
        rr = rate_ratio(o1, 3.0, o2, 7.0)
        assert rr.low <= rr.estimate <= rr.high


@pytest.mark.parametrize(
    "call",
    [
        lambda: risk_difference(3, 2, 1, 5),
        lambda: rate_ratio(1, 0.0, 1, 1.0),
        lambda: hodges_lehmann_shift([], [1.0]),
        lambda: bootstrap_shift([np.nan], [1.0]),
    ],
)
def test_invalid_input_is_refused(call) -> None:
    with pytest.raises(ValueError):
        call()
