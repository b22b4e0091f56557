"""Effect sizes with confidence intervals: how large an excess is, not only whether it exists.

* `rate_ratio`: ratio of two Poisson rates, exact conditional interval (for O/E against a
  fixed expected count see `arusha.stats.exact.standardised_ratio`);
* `risk_difference`: difference of two proportions, Newcombe's hybrid Wilson-score interval;
* `hodges_lehmann_shift` and `bootstrap_shift`: the shift between two samples of, typically,
  log durations (so that exp(estimate) is a ratio of typical durations).

References: Newcombe RG (1998) Interval estimation for the difference between independent
proportions: comparison of eleven methods. Stat Med 17:873-890 (method 10). Wilson EB (1927)
JASA 22:209-212. Hodges JL, Lehmann EL (1963) Ann Math Stat 34:598-611; Hollander M, Wolfe DA
(1999) Nonparametric Statistical Methods, 2nd ed., ch. 4. Efron B, Tibshirani RJ (1993)
An Introduction to the Bootstrap, ch. 13 (percentile interval).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from arusha.stats.estimate import Estimate
from arusha.stats.exact import clopper_pearson


def rate_ratio(o1: int, t1: float, o2: int, t2: float, level: float = 0.95) -> Estimate:
    """(o1/t1) / (o2/t2) for event counts o over exposures t, with an exact interval.

    Given o1 + o2, o1 is binomial with pi = R t1 / (R t1 + t2); the Clopper–Pearson interval
    for pi maps to R = pi / (1 - pi) · t2 / t1 (the conditional binomial argument, e.g.
    Breslow & Day 1987, Statistical Methods in Cancer Research vol. II).
    """
    if t1 <= 0 or t2 <= 0:
        raise ValueError("exposures must be positive")
    share = clopper_pearson(o1, o1 + o2, level)
    with np.errstate(divide="ignore"):  # o2 = 0: the ratio is unbounded above
        odds = [np.divide(o1, o2), *(np.divide(pi, 1 - pi) for pi in (share.low, share.high))]
    estimate, low, high = (float(v * t2 / t1) for v in odds)
    return Estimate(
        estimate, low, high, level, "exact conditional, Clopper-Pearson on o1 | o1 + o2"
    )


def risk_difference(y1: int, n1: int, y2: int, n2: int, level: float = 0.95) -> Estimate:
    """y1/n1 - y2/n2 with Newcombe's hybrid score interval (no continuity correction).

    Built from the two Wilson intervals (l_i, u_i): the difference d = p1 - p2 has limits
    d - sqrt((p1 - l1)² + (u2 - p2)²) and d + sqrt((u1 - p1)² + (p2 - l2)²).
    """
    z = stats.norm.isf((1 - level) / 2)
    p1, l1, u1 = _wilson(y1, n1, z)
    p2, l2, u2 = _wilson(y2, n2, z)
    d = p1 - p2
    low = d - np.hypot(p1 - l1, u2 - p2)
    high = d + np.hypot(u1 - p1, p2 - l2)
    return Estimate(d, float(low), float(high), level, "Newcombe hybrid score (Wilson)")


def hodges_lehmann_shift(x: ArrayLike, y: ArrayLike, level: float = 0.95) -> Estimate:
    """Hodges–Lehmann shift of x relative to y: the median of all differences x_i - y_j.

    The interval runs from the C-th smallest to the C-th largest difference, C from the
    normal approximation to the Mann–Whitney null distribution with continuity correction,
    C = floor(mn/2 + 1/2 - z·sqrt(mn(m + n + 1)/12)) (Hollander & Wolfe 1999, ch. 4; ties
    ignored; at least 1, so for tiny samples the interval is the full range and covers less).
    Differences are located by bisection, never materialised: memory stays O(m + n).
    """
    x, y = np.sort(_sample(x)), np.sort(_sample(y))
    pairs = x.size * y.size
    middle = [(pairs + 1) // 2, pairs // 2 + 1]  # one rank when m·n is odd, two when even
    estimate = float(np.mean([_kth_difference(x, y, k) for k in middle]))
    z = stats.norm.isf((1 - level) / 2)
    sd = np.sqrt(pairs * (x.size + y.size + 1) / 12)
    c = max(1, int(np.floor(pairs / 2 + 0.5 - z * sd)))
    low, high = _kth_difference(x, y, c), _kth_difference(x, y, pairs + 1 - c)
    return Estimate(estimate, low, high, level, "Hodges-Lehmann, Mann-Whitney ranks")


def bootstrap_shift(
    x: ArrayLike,
    y: ArrayLike,
    statistic: Literal["median", "mean"] = "median",
    level: float = 0.95,
    n_resamples: int = 9_999,
    seed: int | None = None,
) -> Estimate:
    """Difference of medians (or means) of x and y with a seeded percentile bootstrap interval.

    The two samples are resampled independently. Percentile rather than BCa: BCa's
    acceleration comes from the jackknife, which is unreliable for the median.
    """
    location = {"median": np.median, "mean": np.mean}[statistic]
    x, y = _sample(x), _sample(y)

    def difference(a: NDArray, b: NDArray, axis: int = -1) -> NDArray:
        return location(a, axis=axis) - location(b, axis=axis)

    result = stats.bootstrap(
        (x, y),
        difference,
        n_resamples=n_resamples,
        batch=max(1, 2**22 // (x.size + y.size)),  # bounds memory for large samples
        confidence_level=level,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    ci = result.confidence_interval
    method = f"percentile bootstrap of the difference in {statistic}s, {n_resamples} resamples"
    return Estimate(float(difference(x, y)), float(ci.low), float(ci.high), level, method)


def _wilson(y: int, n: int, z: float) -> tuple[float, float, float]:
    if not 0 <= y <= n or n == 0:
        raise ValueError("need 0 <= y <= n and n > 0")
    p = y / n
    centre = (y + z**2 / 2) / (n + z**2)
    half = z * np.sqrt(n * p * (1 - p) + z**2 / 4) / (n + z**2)
    return p, centre - half, centre + half


def _kth_difference(x: NDArray, y: NDArray, k: int) -> float:
    """k-th smallest (1-based) x_i - y_j for sorted x, y, to within a few units of rounding.

    Bisection over the float64 values in their integer (bit-pattern) order: at most 64 steps,
    each counting the differences <= d with one binary search per x_i.
    """

    def at_least_k(d: float) -> bool:
        return int(np.sum(y.size - np.searchsorted(y, x - d, side="left"))) >= k

    below, above = _key(x[0] - y[-1]) - 1, _key(x[-1] - y[0])  # count(below) < k <= count(above)
    while above - below > 1:
        middle = (below + above) // 2
        if at_least_k(_value(middle)):
            above = middle
        else:
            below = middle
    return _value(above)


_MAGNITUDE = (1 << 63) - 1


def _key(v: float) -> int:
    """An integer that orders like the float64 v (negative floats mirrored below zero)."""
    bits = int(np.float64(v).view(np.int64))
    return bits if bits >= 0 else -(bits & _MAGNITUDE)


def _value(key: int) -> float:
    bits = key if key >= 0 else (-key) | (1 << 63)
    return float(np.uint64(bits).view(np.float64))


def _sample(values: ArrayLike) -> NDArray[np.float64]:
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError("samples must be non-empty 1-D arrays of finite values")
    return values
