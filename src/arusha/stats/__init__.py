"""Pure statistics for comparing officers, offices, brokers and traders.

Arrays in, arrays and frozen dataclasses out: no I/O, no printing. Each module's docstring
states the method it implements, the choices made and their references.
"""

from arusha.stats.effect import bootstrap_shift, hodges_lehmann_shift, rate_ratio, risk_difference
from arusha.stats.estimate import Estimate
from arusha.stats.exact import (
    binomial_test,
    clopper_pearson,
    garwood,
    poisson_test,
    standardised_ratio,
)
from arusha.stats.expected import expected_counts, expected_counts_expr
from arusha.stats.fdr import benjamini_hochberg
from arusha.stats.funnel import FunnelLimits, FunnelResult, funnel_proportions, funnel_ratios
from arusha.stats.permutation import (
    AssignmentTest,
    PermutationTest,
    assignment_test,
    assignment_tests,
    permutation_test,
    poisson_binomial_sf,
)

__all__ = [
    "AssignmentTest",
    "Estimate",
    "FunnelLimits",
    "FunnelResult",
    "PermutationTest",
    "assignment_test",
    "assignment_tests",
    "benjamini_hochberg",
    "binomial_test",
    "bootstrap_shift",
    "clopper_pearson",
    "expected_counts",
    "expected_counts_expr",
    "funnel_proportions",
    "funnel_ratios",
    "garwood",
    "hodges_lehmann_shift",
    "permutation_test",
    "poisson_binomial_sf",
    "poisson_test",
    "rate_ratio",
    "risk_difference",
    "standardised_ratio",
]
