"""Exact tests and confidence intervals for small counts.

Binomial: k events in n trials against a reference proportion p0.
Poisson: an observed count O against an expected count E (indirect standardisation).

All functions broadcast over array arguments, so one call tests every unit.

One-sided p-values are exact tail probabilities, optionally mid-p (half the probability of the
observed value: Lancaster HO (1961) JASA 56:223-234; Agresti A (2013) Categorical Data
Analysis, 3rd ed., ch. 1).
Two-sided p-values double the smaller one-sided tail ("central" method, as statsmodels'
`exact-c`): this is the test that the central Clopper–Pearson and Garwood intervals invert, so a
two-sided p < 1 - level holds exactly when the interval excludes the reference value. It differs
from scipy's `binomtest`, which sums outcomes no more likely than the observed one (Sterne).

References: Clopper CJ, Pearson ES (1934) Biometrika 26:404-413; Garwood F (1936) Biometrika
28:437-442; Breslow NE, Day NE (1987) Statistical Methods in Cancer Research vol. II, IARC,
ch. 2 (exact interval for a standardised ratio with E treated as fixed).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from arusha.stats.estimate import Estimate, FloatOrArray

Alternative = Literal["greater", "less", "two-sided"]


def binomial_test(
    k: ArrayLike,
    n: ArrayLike,
    p0: ArrayLike,
    alternative: Alternative = "greater",
    mid_p: bool = False,
) -> FloatOrArray:
    """Exact binomial p-value for k events in n trials against proportion p0.

    "greater" is P(X >= k | n, p0), the evidence that the unit's rate exceeds p0.
    """
    k, n = _counts(k), _counts(n)
    if np.any(k > n):
        raise ValueError("k must not exceed n")
    if np.any((np.asarray(p0) < 0) | (np.asarray(p0) > 1)):
        raise ValueError("p0 must lie in [0, 1]")
    return _p_value(stats.binom(n, p0), k, alternative, mid_p)


def poisson_test(
    observed: ArrayLike,
    expected: ArrayLike,
    alternative: Alternative = "greater",
    mid_p: bool = False,
) -> FloatOrArray:
    """Exact Poisson p-value for an observed count against its expected count.

    "greater" is P(X >= O | mean E), the evidence that O/E exceeds 1.
    """
    observed = _counts(observed)
    if np.any(np.asarray(expected) < 0):
        raise ValueError("expected must be non-negative")
    return _p_value(stats.poisson(expected), observed, alternative, mid_p)


def clopper_pearson(k: ArrayLike, n: ArrayLike, level: float = 0.95) -> Estimate:
    """Proportion k/n with the exact (Clopper–Pearson) central confidence interval."""
    k, n = _counts(k), _counts(n)
    if np.any(k > n) or np.any(n == 0):
        raise ValueError("need 0 <= k <= n and n > 0")
    tail = _tail(level)
    with np.errstate(invalid="ignore"):  # beta with a zero shape at k = 0 or k = n: replaced
        low = np.where(k == 0, 0.0, stats.beta.ppf(tail, k, n - k + 1))
        high = np.where(k == n, 1.0, stats.beta.ppf(1 - tail, k + 1, n - k))
    return Estimate(_out(k / n), _out(low), _out(high), level, "Clopper-Pearson exact")


def garwood(count: ArrayLike, level: float = 0.95) -> Estimate:
    """A Poisson count with its exact (Garwood) central confidence interval for the mean."""
    count = _counts(count)
    tail = _tail(level)
    with np.errstate(invalid="ignore"):  # gamma with shape 0 at count = 0: replaced by 0
        low = np.where(count == 0, 0.0, stats.gamma.ppf(tail, count))
    high = stats.gamma.ppf(1 - tail, count + 1)
    return Estimate(_out(count * 1.0), _out(low), _out(high), level, "Garwood exact Poisson")


def standardised_ratio(observed: ArrayLike, expected: ArrayLike, level: float = 0.95) -> Estimate:
    """O/E with its exact interval: the Garwood interval for O divided by E.

    E comes from a much larger reference (the peers) and is treated as fixed, as is usual for
    indirectly standardised ratios (Breslow & Day 1987, ch. 2).
    """
    expected = np.asarray(expected, dtype=float)
    if np.any(expected <= 0):
        raise ValueError("expected must be positive")
    count = garwood(observed, level)
    return Estimate(
        _out(count.estimate / expected),
        _out(count.low / expected),
        _out(count.high / expected),
        level,
        "exact Poisson (Garwood) interval for O, divided by E",
    )


def _p_value(
    dist: stats.rv_discrete, k: np.ndarray, alternative: Alternative, mid_p: bool
) -> FloatOrArray:
    weight = 0.5 if mid_p else 1.0  # share of P(X = k) counted as "at least as extreme"
    # The sum of two tail terms can round just above 1.
    upper = np.minimum(1.0, dist.sf(k) + weight * dist.pmf(k))
    lower = np.minimum(1.0, dist.cdf(k - 1) + weight * dist.pmf(k))
    if alternative == "greater":
        return _out(upper)
    if alternative == "less":
        return _out(lower)
    if alternative == "two-sided":
        return _out(np.minimum(1.0, 2 * np.minimum(upper, lower)))
    raise ValueError(f"alternative must be 'greater', 'less' or 'two-sided', not {alternative!r}")


def _counts(x: ArrayLike) -> np.ndarray:
    x = np.asarray(x)
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValueError("counts must be non-negative whole numbers")
    return x


def _tail(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError("level must lie strictly between 0 and 1")
    return (1 - level) / 2


def _out(x: ArrayLike) -> FloatOrArray:
    """A float for scalar input, an array otherwise."""
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x
