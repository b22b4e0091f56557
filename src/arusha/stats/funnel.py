"""Funnel-plot comparison of units against a target, with overdispersion handled.

Each unit's indicator is put on a scale where its sampling standard error s depends only on its
volume, and z = (theta - theta0) / s:

* proportions y/n against p0, on the proportion scale: s = sqrt(p0 (1 - p0) / n)
  (Spiegelhalter 2005);
* standardised ratios O/E against 1, on the square-root scale: theta = sqrt(O/E),
  s = 1 / (2 sqrt(E)), so z = 2 (sqrt(O) - sqrt(E)) (Spiegelhalter et al. 2012, the Care
  Quality Commission's choice). Unlike the log scale it is defined when O = 0, which is common
  for rare events counted per officer, and it stabilises the Poisson variance.

Real units differ by more than sampling noise (postings, shifts, goods), so the plain z-scores are
too many and too large. The overdispersion estimate is phi = mean of the z-scores squared after
Winsorising (the lowest and highest `winsor` share set to the nearest retained value), so that
the outliers being looked for do not inflate it. I·phi is referred to a chi-squared with I - 1
degrees of freedom (the expectation I - 1 used by the DerSimonian–Laird moment equation); the
adjustment is made only when that test is significant at `overdispersion_alpha` (and phi > 1,
so that limits are never narrowed):

* "multiplicative": var = phi·s² (Spiegelhalter 2005, sec. 3), z_adj = z / sqrt(phi);
* "additive" random effects: var = s² + tau², with
  tau² = (I·phi - (I - 1)) / (sum w - sum w² / sum w), w = 1 / s², truncated at 0
  (Spiegelhalter 2005, sec. 3.3; DerSimonian & Laird 1986). Additive is the default: it widens
  the limits of large units (where a shared excess dominates) far more than those of small ones.

p_upper = 1 - Phi(z_adj). Control limits use the same variance, so a unit lies above the upper
limit at `level` exactly when p_upper < (1 - level) / 2. The normal approximation is poor for
very small volumes (a few expected events); test those with `arusha.stats.exact`.

References: Spiegelhalter DJ (2005) Funnel plots for comparing institutional performance. Stat
Med 24:1185-1202. Spiegelhalter D, Sherlaw-Johnson C, Bardsley M, et al. (2012) Statistical
methods for healthcare regulation: rating, screening and surveillance. JRSS A 175:1-47.
DerSimonian R, Laird N (1986) Meta-analysis in clinical trials. Control Clin Trials 7:177-188.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

Method = Literal["additive", "multiplicative", "none"]
Kind = Literal["proportion", "ratio"]
Array = NDArray[np.float64]


@dataclass(frozen=True)
class FunnelLimits:
    """Control limits on the indicator's scale: rows follow `levels`, columns `volumes`."""

    volumes: Array
    levels: Array
    lower: Array
    upper: Array


@dataclass(frozen=True)
class FunnelResult:
    """Per-unit z-scores and p-values, and the overdispersion estimates behind them.

    `phi` and `tau2` are always the estimates; `method_used` says which one, if any, entered
    `z_adjusted` (none when the overdispersion test was not significant). `tau2` is on the
    scale of the z-score: proportions, or the square root of O/E for ratios.
    """

    kind: Kind
    target: float
    indicator: Array
    volume: Array
    z: Array
    z_adjusted: Array
    p_upper: Array
    phi: float
    tau2: float
    overdispersion_p: float
    method_used: Method

    def limits(self, volumes: ArrayLike, levels: ArrayLike = (0.95, 0.998)) -> FunnelLimits:
        """Two-sided control limits at each level for each volume (n, or E for ratios)."""
        volumes = np.asarray(volumes, dtype=float)
        levels = np.asarray(levels, dtype=float)
        quantile = stats.norm.isf((1 - levels) / 2)[:, None]
        half_width = quantile * self.sd(volumes)[None, :]
        centre = _to_scale(self.kind, self.target)
        lower = _from_scale(self.kind, centre - half_width)
        upper = _from_scale(self.kind, centre + half_width)
        return FunnelLimits(volumes, levels, lower, upper)

    def sd(self, volume: ArrayLike) -> Array:
        """Standard deviation on the z-score's scale of a unit with this volume."""
        se = _se(self.kind, self.target, np.asarray(volume, dtype=float))
        return _adjusted_sd(se, self.method_used, self.phi, self.tau2)


def funnel_proportions(
    y: ArrayLike,
    n: ArrayLike,
    p0: float | None = None,
    method: Method = "additive",
    winsor: float = 0.1,
    overdispersion_alpha: float = 0.05,
) -> FunnelResult:
    """Compare proportions y/n with p0 (default: the pooled proportion sum y / sum n).

    Units with n = 0 get NaN z and p and take no part in the estimates.
    """
    y, n = np.asarray(y, dtype=float), np.asarray(n, dtype=float)
    if np.any(y < 0) or np.any(y > n):
        raise ValueError("need 0 <= y <= n")
    target = float(y.sum() / n.sum()) if p0 is None else float(p0)
    if not 0 < target < 1:
        raise ValueError("the target proportion must lie strictly between 0 and 1")
    return _fit("proportion", target, _ratio(y, n), n, method, winsor, overdispersion_alpha)


def funnel_ratios(
    observed: ArrayLike,
    expected: ArrayLike,
    method: Method = "additive",
    winsor: float = 0.1,
    overdispersion_alpha: float = 0.05,
) -> FunnelResult:
    """Compare standardised ratios O/E with 1, on the square-root scale.

    Units with E = 0 get NaN z and p and take no part in the estimates.
    """
    observed, expected = np.asarray(observed, dtype=float), np.asarray(expected, dtype=float)
    if np.any(observed < 0) or np.any(expected < 0):
        raise ValueError("observed and expected counts must be non-negative")
    indicator = _ratio(observed, expected)
    return _fit("ratio", 1.0, indicator, expected, method, winsor, overdispersion_alpha)


def _fit(
    kind: Kind,
    target: float,
    indicator: Array,
    volume: Array,
    method: Method,
    winsor: float,
    alpha: float,
) -> FunnelResult:
    if method not in ("additive", "multiplicative", "none"):
        raise ValueError(f"method must be 'additive', 'multiplicative' or 'none', not {method!r}")
    if not 0 <= winsor < 0.5 or not 0 < alpha < 1:
        raise ValueError("need 0 <= winsor < 0.5 and 0 < overdispersion_alpha < 1")
    se = _se(kind, target, volume)
    deviation = _to_scale(kind, indicator) - _to_scale(kind, target)
    z = deviation / se
    tested = ~np.isnan(z)
    phi, tau2, od_p = _overdispersion(z[tested], se[tested], winsor)
    # Adjust only on evidence of overdispersion, and never narrow the limits.
    used: Method = method if od_p < alpha and phi > 1 else "none"
    z_adjusted = deviation / _adjusted_sd(se, used, phi, tau2)
    p_upper = stats.norm.sf(z_adjusted)
    return FunnelResult(
        kind, target, indicator, volume, z, z_adjusted, p_upper, phi, tau2, od_p, used
    )


def _overdispersion(z: Array, se: Array, winsor: float) -> tuple[float, float, float]:
    """Winsorised phi, DerSimonian–Laird tau², and the p-value of the overdispersion test."""
    units = z.size
    if units < 2:
        return np.nan, np.nan, np.nan
    ordered = np.sort(z)
    cut = int(winsor * units)  # as scipy.stats.mstats.winsorize
    phi = float(np.mean(np.clip(z, ordered[cut], ordered[units - 1 - cut]) ** 2))
    w = 1 / se**2
    tau2 = max(0.0, (units * phi - (units - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return phi, float(tau2), float(stats.chi2.sf(units * phi, units - 1))


def _adjusted_sd(se: Array, method: Method, phi: float, tau2: float) -> Array:
    if method == "multiplicative":
        return np.sqrt(phi) * se
    if method == "additive":
        return np.sqrt(se**2 + tau2)
    return se


def _se(kind: Kind, target: float, volume: Array) -> Array:
    with np.errstate(divide="ignore"):  # volume 0: infinite se, the unit is set aside
        if kind == "proportion":
            return np.sqrt(target * (1 - target) / volume)
        return 1 / (2 * np.sqrt(volume))


def _to_scale(kind: Kind, value: ArrayLike) -> Array:
    return np.asarray(value) if kind == "proportion" else np.sqrt(value)


def _from_scale(kind: Kind, value: Array) -> Array:
    if kind == "proportion":
        return np.clip(value, 0.0, 1.0)
    return np.maximum(value, 0.0) ** 2


def _ratio(numerator: Array, denominator: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)
