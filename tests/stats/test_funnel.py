import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats.mstats import winsorize

from arusha.stats import FunnelResult, benjamini_hochberg, funnel_proportions, funnel_ratios

# Ten units of n = 100 against p0 = 0.1, so s = sqrt(0.1 · 0.9 / 100) = 0.03 and
# z = (y - 10) / 3 = -3, -2, -1, 0, 0, 1, 2, 3, 4, 10.
Y = np.array([1, 4, 7, 10, 10, 13, 16, 19, 22, 40])
N = np.full(10, 100)


def test_hand_worked_proportions() -> None:
    # Winsorising 10% of 10 units moves one at each end: -3 -> -2 and 10 -> 4, so
    # I·phi = 4 + 4 + 1 + 0 + 0 + 1 + 4 + 9 + 16 + 16 = 55 and phi = 5.5.
    # w = 1/0.0009 for all: sum w - sum w²/sum w = 9 w = 10 000, tau² = (55 - 9) / 10 000.
    result = funnel_proportions(Y, N, p0=0.1)
    np.testing.assert_allclose(result.z, [-3, -2, -1, 0, 0, 1, 2, 3, 4, 10], atol=1e-12)
    assert result.phi == pytest.approx(5.5, rel=1e-12)
    assert result.tau2 == pytest.approx(0.0046, rel=1e-12)
    assert result.overdispersion_p == pytest.approx(stats.chi2.sf(55, 9), rel=1e-12)
    assert result.method_used == "additive"
    # The outlier: (0.4 - 0.1) / sqrt(0.0009 + 0.0046).
    assert result.z_adjusted[-1] == pytest.approx(0.3 / np.sqrt(0.0055), rel=1e-12)
    assert result.p_upper[-1] == pytest.approx(stats.norm.sf(0.3 / np.sqrt(0.0055)), rel=1e-12)


def test_hand_worked_multiplicative_and_none() -> None:
    multiplicative = funnel_proportions(Y, N, p0=0.1, method="multiplicative")
    np.testing.assert_allclose(multiplicative.z_adjusted, multiplicative.z / np.sqrt(5.5))
    none = funnel_proportions(Y, N, p0=0.1, method="none")
    assert none.method_used == "none"
    np.testing.assert_allclose(none.z_adjusted, none.z)


def test_hand_worked_ratios_on_the_square_root_scale() -> None:
    # E = 25: z = 2 (sqrt(O) - 5) = -4, -2, 0, 2, 4. No winsorising with 5 units (int(0.5) = 0):
    # phi = 40 / 5 = 8; w = 4E = 100: tau² = (40 - 4) / (500 - 100) = 0.09.
    result = funnel_ratios([9, 16, 25, 36, 49], [25] * 5)
    np.testing.assert_allclose(result.z, [-4, -2, 0, 2, 4], atol=1e-12)
    assert (result.phi, result.tau2) == (pytest.approx(8.0), pytest.approx(0.09))
    # Limits at E = 25: (1 ± q · sqrt(1/100 + 0.09))² with q the two-sided normal quantile.
    limits = result.limits([25.0], levels=[0.95])
    q = stats.norm.isf(0.025)
    assert limits.lower[0, 0] == pytest.approx((1 - q * np.sqrt(0.1)) ** 2, rel=1e-12)
    assert limits.upper[0, 0] == pytest.approx((1 + q * np.sqrt(0.1)) ** 2, rel=1e-12)


def test_phi_uses_scipy_winsorisation() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(50, 2000, 57)
    y = rng.binomial(n, rng.uniform(0.02, 0.2, 57))
    result = funnel_proportions(y, n, p0=0.08, winsor=0.1)
    winsorised = winsorize(result.z, limits=(0.1, 0.1))
    assert result.phi == pytest.approx(np.mean(np.asarray(winsorised) ** 2), rel=1e-12)


def test_no_adjustment_without_evidence_of_overdispersion() -> None:
    rng = np.random.default_rng(4)
    n = rng.integers(100, 1000, 60)
    result = funnel_proportions(rng.binomial(n, 0.05), n, p0=0.05)
    assert result.overdispersion_p > 0.05
    assert result.method_used == "none"
    np.testing.assert_array_equal(result.z_adjusted, result.z)
    np.testing.assert_allclose(result.limits([500]).upper, _unadjusted_limits(0.05, 500))


def _unadjusted_limits(p0: float, n: float) -> np.ndarray:
    q = stats.norm.isf([0.025, 0.001])[:, None]
    return p0 + q * np.sqrt(p0 * (1 - p0) / n)


def test_default_target_is_the_pooled_proportion() -> None:
    assert funnel_proportions(Y, N).target == pytest.approx(Y.sum() / N.sum())


def test_units_without_volume_are_set_aside() -> None:
    with_empty = funnel_proportions(np.append(Y, 0), np.append(N, 0), p0=0.1)
    assert np.isnan(with_empty.z[-1]) and np.isnan(with_empty.p_upper[-1])
    assert with_empty.phi == funnel_proportions(Y, N, p0=0.1).phi


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.sampled_from(["additive", "multiplicative", "none"]),
    st.sampled_from(["proportion", "ratio"]),
)
def test_outside_the_limit_exactly_when_p_is_small(seed, method, kind) -> None:
    result = _random_funnel(np.random.default_rng(seed), method, kind)
    limits = result.limits(result.volume, levels=[0.95, 0.998])
    for row, level in enumerate(limits.levels):
        above = result.indicator > limits.upper[row]
        np.testing.assert_array_equal(above, result.p_upper < (1 - level) / 2)
    assert np.all((result.p_upper >= 0) & (result.p_upper <= 1))


def _random_funnel(rng: np.random.Generator, method, kind) -> FunnelResult:
    volume = rng.integers(20, 3000, 40)
    rate = 0.05 * rng.lognormal(0, rng.uniform(0, 0.6), 40)
    if kind == "proportion":
        return funnel_proportions(rng.binomial(volume, rate), volume, p0=0.05, method=method)
    return funnel_ratios(rng.poisson(volume * rate), volume * 0.05, method=method)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("method", ["additive", "multiplicative"])
def test_office_wide_excess_is_absorbed_but_a_real_outlier_stays_flagged(seed, method) -> None:
    # The planted world: 40 officers of one office, all with the office's rate of 8% against a
    # national 5% plus modest officer-level noise, and one officer at 3 × 8% with 800 cases.
    rng = np.random.default_rng(seed)
    n = rng.integers(200, 2000, 40)
    rate = np.clip(rng.normal(0.08, 0.01, 40), 0.0, 1.0)
    n[0], rate[0] = 800, 0.24
    y = rng.binomial(n, rate)

    naive = funnel_proportions(y, n, p0=0.05, method="none")
    adjusted = funnel_proportions(y, n, p0=0.05, method=method)

    assert np.mean(naive.p_upper[1:] < 0.001) > 0.5  # unadjusted, the office itself is flagged
    assert adjusted.method_used == method
    inside = adjusted.indicator[1:] <= adjusted.limits(n[1:], [0.998]).upper[0]
    assert np.mean(inside) >= 0.95
    q = benjamini_hochberg(adjusted.p_upper)
    assert adjusted.p_upper[0] < 0.001 and q[0] < 0.05
    assert np.sum(q[1:] < 0.05) <= 1


@pytest.mark.parametrize(
    "call",
    [
        lambda: funnel_proportions([5], [4]),
        lambda: funnel_proportions(Y, N, p0=0.0),
        lambda: funnel_proportions(Y, N, method="random"),
        lambda: funnel_proportions(Y, N, winsor=0.5),
        lambda: funnel_ratios([-1], [2.0]),
    ],
)
def test_invalid_input_is_refused(call) -> None:
    with pytest.raises(ValueError):
        call()
