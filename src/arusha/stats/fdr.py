"""False-discovery-rate control across many simultaneous comparisons.

Reference: Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate: a practical and
powerful approach to multiple testing. JRSS B 57:289-300.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def benjamini_hochberg(p_values: ArrayLike, untested: int = 0) -> NDArray[np.float64]:
    """Benjamini–Hochberg q-values (step-up adjusted p-values), in the input's shape.

    q_(i) = min over j >= i of m·p_(j)/j, capped at 1, where p_(1) <= ... <= p_(m) are the
    sorted p-values. Flagging every unit with q <= α controls the false discovery rate at α
    for independent or positively dependent tests (PRDS).

    A NaN p-value (a unit that could not be tested) gives a NaN q-value and is not counted in m:
    it is not a test that was run, so it must not dilute the others.

    `untested` counts hypotheses of the family that a screen set aside without computing their
    p-value because they could not have been flagged anyway. They count in m as if their p
    were 1: raising p-values can only remove discoveries, so the q-values stay conservative.
    """
    if untested < 0:
        raise ValueError("untested must be >= 0")
    p = np.asarray(p_values, dtype=float)
    tested = ~np.isnan(p)
    if np.any((p[tested] < 0) | (p[tested] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    q = np.full(p.shape, np.nan)
    order = np.argsort(p[tested], kind="stable")
    m = order.size + untested
    scaled = p[tested][order] * (m / np.arange(1, order.size + 1))  # factor >= 1 exactly, so q >= p
    stepped = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    q_tested = np.empty(order.size)
    q_tested[order] = stepped
    q[tested] = q_tested
    return q
