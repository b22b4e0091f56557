"""The one shape every estimate with a confidence interval takes in `arusha.stats`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatOrArray = float | NDArray[np.float64]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval.

    Fields are floats for a single estimate and arrays (one entry per unit) when the function
    was given arrays. `method` names the interval so that a reviewer can reproduce it.
    """

    estimate: FloatOrArray
    low: FloatOrArray
    high: FloatOrArray
    level: float
    method: str
