import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats import rates
from statsmodels.stats.proportion import proportion_confint

from arusha.stats import binomial_test, clopper_pearson, garwood, poisson_test, standardised_ratio


@st.composite
def binomial_cases(draw: st.DrawFn) -> tuple[int, int, float]:
    n = draw(st.integers(1, 400))
    return draw(st.integers(0, n)), n, draw(st.floats(0.001, 0.999))


@given(binomial_cases())
def test_one_sided_binomial_agrees_with_scipy(case: tuple[int, int, float]) -> None:
    k, n, p0 = case
    for alternative in ("greater", "less"):
        expected = stats.binomtest(k, n, p0, alternative=alternative).pvalue
        assert binomial_test(k, n, p0, alternative) == pytest.approx(expected, rel=1e-9, abs=1e-200)


@given(binomial_cases())
def test_two_sided_doubles_the_smaller_tail(case: tuple[int, int, float]) -> None:
    k, n, p0 = case
    for mid_p in (False, True):
        tails = [binomial_test(k, n, p0, alt, mid_p) for alt in ("greater", "less")]
        assert binomial_test(k, n, p0, "two-sided", mid_p) == min(1.0, 2 * min(tails))


@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_two_sided_matches_scipy_when_symmetric(case: tuple[int, int]) -> None:
    # With p0 = 1/2 "no more likely than observed" (scipy) and doubling coincide.
    k, n = case
    assert binomial_test(k, n, 0.5, "two-sided") == pytest.approx(
        stats.binomtest(k, n, 0.5).pvalue, rel=1e-9
    )


def test_binomial_mid_p_counts_half_the_observed_value() -> None:
    expected = stats.binom.sf(7, 20, 0.1) + 0.5 * stats.binom.pmf(7, 20, 0.1)
    assert binomial_test(7, 20, 0.1, mid_p=True) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("mid_p, method", [(False, "exact-c"), (True, "midp-c")])
@pytest.mark.parametrize(
    "alternative, sm", [("greater", "larger"), ("less", "smaller"), ("two-sided", "two-sided")]
)
@pytest.mark.parametrize("observed, expected", [(7, 3.2), (0, 1.5), (40, 25.0), (3, 9.0)])
def test_poisson_agrees_with_statsmodels(observed, expected, alternative, sm, mid_p, method):
    reference = rates.test_poisson(observed, 1, expected, method=method, alternative=sm).pvalue
    assert poisson_test(observed, expected, alternative, mid_p) == pytest.approx(reference, 1e-9)


def test_poisson_known_value() -> None:
    # P(X >= 10 | mean 5) = 1 - sum_{x<10} e^-5 5^x / x!
    assert poisson_test(10, 5.0) == pytest.approx(0.031828057306204, rel=1e-10)


def test_vectorised_over_units() -> None:
    p = poisson_test([7, 0, 40], [3.2, 1.5, 25.0])
    assert p == pytest.approx([poisson_test(o, e) for o, e in [(7, 3.2), (0, 1.5), (40, 25.0)]])


def test_clopper_pearson_closed_forms() -> None:
    # k = 0: upper = 1 - (α/2)^(1/n); k = n: lower = (α/2)^(1/n).
    zero, full = clopper_pearson(0, 10), clopper_pearson(10, 10)
    assert (zero.low, zero.high) == (0.0, pytest.approx(1 - 0.025**0.1, rel=1e-10))
    assert (full.low, full.high) == (pytest.approx(0.025**0.1, rel=1e-10), 1.0)


@given(binomial_cases(), st.sampled_from([0.8, 0.95, 0.998]))
def test_clopper_pearson_agrees_with_statsmodels(case, level) -> None:
    k, n, _ = case
    ci = clopper_pearson(k, n, level)
    low, high = proportion_confint(k, n, alpha=1 - level, method="beta")
    assert (ci.low, ci.high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert ci.low <= ci.estimate <= ci.high


def test_garwood_textbook_values() -> None:
    # 95% limits for 10 events: 4.7954, 18.3904; for 0 events the upper limit is -ln(0.025).
    ten, zero = garwood(10), garwood(0)
    assert (ten.low, ten.high) == (pytest.approx(4.795389, 1e-6), pytest.approx(18.390356, 1e-6))
    assert (zero.low, zero.high) == (0.0, pytest.approx(-np.log(0.025), rel=1e-12))


@given(st.integers(0, 5000))
def test_garwood_agrees_with_statsmodels(count: int) -> None:
    ci = garwood(count)
    low, high = rates.confint_poisson(count, 1, method="exact-c")
    assert (ci.low, ci.high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, rel=1e-10))
    assert ci.low <= ci.estimate <= ci.high


def test_standardised_ratio() -> None:
    smr = standardised_ratio(10, 5.0)
    assert (smr.estimate, smr.low, smr.high) == pytest.approx((2.0, 4.795389 / 5, 18.390356 / 5))


def test_intervals_invert_the_two_sided_tests() -> None:
    # At an exact central limit the matching tail is exactly (1 - level) / 2.
    ci = clopper_pearson(7, 20, 0.9)
    assert binomial_test(7, 20, ci.low, "two-sided") == pytest.approx(0.1, rel=1e-8)
    assert binomial_test(7, 20, ci.high, "two-sided") == pytest.approx(0.1, rel=1e-8)
    count = garwood(7, 0.9)
    assert poisson_test(7, count.low, "two-sided") == pytest.approx(0.1, rel=1e-8)
    assert poisson_test(7, count.high, "two-sided") == pytest.approx(0.1, rel=1e-8)


@given(binomial_cases(), st.booleans())
def test_p_values_are_probabilities(case, mid_p) -> None:
    k, n, p0 = case
    for alternative in ("greater", "less", "two-sided"):
        assert 0 <= binomial_test(k, n, p0, alternative, mid_p) <= 1
        assert 0 <= poisson_test(k, n * p0, alternative, mid_p) <= 1


@pytest.mark.parametrize(
    "call",
    [
        lambda: binomial_test(5, 4, 0.1),
        lambda: binomial_test(1.5, 4, 0.1),
        lambda: binomial_test(1, 4, 1.2),
        lambda: binomial_test(1, 4, 0.1, "bigger"),
        lambda: poisson_test(1, -1.0),
        lambda: clopper_pearson(1, 0),
        lambda: garwood(3, level=1.0),
        lambda: standardised_ratio(3, 0.0),
    ],
)
def test_invalid_input_is_refused(call) -> None:
    with pytest.raises(ValueError):
        call()
