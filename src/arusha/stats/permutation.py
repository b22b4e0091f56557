"""Conditional randomisation tests of case assignment against the duty roster.

When declarations are assigned at random among the officers on duty and eligible, a trader can
only "choose" an officer by corrupting the assignment. For a focal (officer, trader) pair, let
declaration i of the trader have k_i eligible officers on duty; the officer receives it with
probability p_i = 1/k_i if eligible, else 0. Under random assignment the number received,
S = sum of independent Bernoulli(p_i), is Poisson-binomial; an observed count far in its upper
tail is evidence of steering. This is the design of Chalendard, Fernandes, Raballand & Rijkers
(2023) "Corruption in Customs", Quarterly Journal of Economics 138(1):575-636.

* `assignment_test` / `assignment_tests`: exact upper tail P(S >= observed) for one pair or for
  many pairs at once, with the expected count sum p_i and the ratio observed/expected.
* `permutation_test`: Monte-Carlo re-draws of every declaration's officer, uniformly among its
  eligible set, for any statistic of the whole assignment (Phipson & Smyth 2010 for the +1).

A declaration received by an officer the roster says was not eligible counts in `observed` but
not in the null distribution, so it adds to the evidence (p = 0 once the count exceeds the
eligible declarations); such assignments also deserve a look at the roster data or overrides.

The exact tail uses the direct recursion over trials (Chen SX, Liu JS (1997) Statistica Sinica
7:875-892), keeping only the states
0..k-1 and one absorbing state ">= k": O(trials · k), all terms non-negative, so tails far below
1e-16 stay accurate, unlike FFT or 1 - CDF. References: Hong Y (2013) On computing the
distribution function for the Poisson binomial distribution. Comput Stat Data Anal 59:41-51.
Phipson B, Smyth GK (2010) Permutation p-values should never be zero. Stat Appl Genet Mol Biol
9:39.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

Array = NDArray[np.float64]


@dataclass(frozen=True)
class AssignmentTest:
    """Observed and expected counts of assignments and the exact upper-tail p-value.

    Floats for one pair; for many pairs, arrays indexed by the pair code. `n_trials` counts
    the declarations for which the officer was eligible (p_i > 0); `exact` is False where the
    normal approximation was used.
    """

    observed: int | NDArray[np.int64]
    n_trials: int | NDArray[np.int64]
    expected: float | Array
    ratio: float | Array
    p_upper: float | Array
    exact: bool | NDArray[np.bool_]


@dataclass(frozen=True)
class PermutationTest:
    statistic: float
    p_upper: float
    n_resamples: int


def poisson_binomial_sf(k: int, p: ArrayLike) -> float:
    """P(S >= k) for S the sum of independent Bernoulli(p_i), computed exactly."""
    p = _probabilities(p)
    return float(_tail_exact(p[None, :], np.array([np.clip(k, 0, p.size + 1)]))[0])


def assignment_test(p: ArrayLike, assigned: ArrayLike) -> AssignmentTest:
    """Exact test for one (officer, trader) pair: one row per declaration of the trader.

    `p` is the chance the officer would receive the declaration under random assignment
    (1/k_i, or 0 when not eligible) and `assigned` whether they did.
    """
    pair = np.zeros(np.size(p), dtype=int)
    many = assignment_tests(pair, p, assigned, exact_max_trials=None, n_pairs=1)
    return AssignmentTest(**{f.name: getattr(many, f.name)[0].item() for f in fields(many)})


def assignment_tests(
    pair: ArrayLike,
    p: ArrayLike,
    assigned: ArrayLike,
    exact_max_trials: int | None = 20_000,
    n_pairs: int | None = None,
) -> AssignmentTest:
    """`assignment_test` for many pairs at once; rows of all pairs stacked, `pair` their code.

    `pair` holds integer codes 0..P-1 (e.g. from `pandas.factorize`); results are arrays of
    length P (`n_pairs`, by default the largest code + 1) indexed by code. Pairs with more
    than `exact_max_trials` trials use the normal approximation with continuity correction,
    P(S >= k) ≈ 1 - Phi((k - 1/2 - mu) / sigma), mu = sum p_i, sigma² = sum p_i (1 - p_i):
    with that many trials it is accurate except far in the tail, while the exact recursion
    would cost trials × k. None: always exact.
    """
    pair, p, assigned = np.asarray(pair), _probabilities(p), np.asarray(assigned, dtype=bool)
    if pair.shape != p.shape or assigned.shape != p.shape:
        raise ValueError("pair, p and assigned must have the same length")
    size = int(pair.max(initial=-1)) + 1 if n_pairs is None else n_pairs
    if pair.size and (not np.issubdtype(pair.dtype, np.integer) or pair.min() < 0):
        raise ValueError("pair must hold non-negative integer codes")
    if pair.max(initial=-1) >= size:
        raise ValueError("pair codes must be smaller than n_pairs")
    eligible = p > 0
    observed = np.bincount(pair[assigned], minlength=size)
    n_trials = np.bincount(pair[eligible], minlength=size)
    expected = np.bincount(pair, weights=p, minlength=size)
    variance = np.bincount(pair, weights=p * (1 - p), minlength=size)
    exact = n_trials <= (np.inf if exact_max_trials is None else exact_max_trials)
    p_upper = np.where(exact, 1.0, _tail_normal(observed, expected, variance))
    p_upper[exact] = _tail_by_size(pair[eligible], p[eligible], observed, n_trials, exact)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = observed / expected
    return AssignmentTest(observed, n_trials, expected, ratio, p_upper, exact)


def permutation_test(
    declaration: ArrayLike,
    candidate: ArrayLike,
    assigned: ArrayLike,
    statistic: Callable[[NDArray[np.int64]], ArrayLike],
    n_resamples: int = 9_999,
    seed: int | None = None,
) -> PermutationTest:
    """Monte-Carlo conditional randomisation test of any statistic of the assignment.

    The eligible sets come in long form: one row per (declaration, eligible officer), with
    `declaration` the declaration's code 0..D-1 and `candidate` the officer. `assigned` holds
    the officer who actually received each declaration, in code order. `statistic` takes a
    2-D array (one assignment per row, one column per declaration) and returns one value per
    row; large values are extreme. p = (1 + #{T* >= T}) / (1 + n_resamples).
    """
    declaration, assigned = np.asarray(declaration), np.asarray(assigned)
    order = np.argsort(declaration, kind="stable")
    officers = np.asarray(candidate)[order]
    sizes = np.bincount(declaration, minlength=assigned.size)
    if sizes.size != assigned.size or np.any(sizes == 0):
        raise ValueError("every declaration 0..D-1 needs at least one eligible officer")
    starts = np.cumsum(sizes) - sizes
    observed = float(np.asarray(statistic(assigned[None, :]))[0])
    # Ties with the observed value count as extreme despite float rounding (as scipy does).
    threshold = observed - 100 * np.finfo(float).eps * abs(observed)
    rng = np.random.default_rng(seed)
    batch = max(1, 2**22 // assigned.size)  # a few million draws in memory at a time
    extreme = 0
    for done in range(0, n_resamples, batch):
        draws = rng.integers(0, sizes, size=(min(batch, n_resamples - done), sizes.size))
        extreme += int(np.sum(np.asarray(statistic(officers[starts + draws])) >= threshold))
    return PermutationTest(observed, (1 + extreme) / (1 + n_resamples), n_resamples)


def _tail_by_size(
    pair: NDArray[np.int64],
    p: Array,
    observed: NDArray[np.int64],
    n_trials: NDArray[np.int64],
    selected: NDArray[np.bool_],
) -> Array:
    """Exact tails of the selected pairs, in buckets of similar trial counts.

    Pairs in a bucket share one padded (pairs × trials) matrix, padded with p = 0, so the
    recursion runs once per bucket; doubling bucket sizes keeps the padding under half.
    """
    codes = np.flatnonzero(selected)
    bucket = np.ceil(np.log2(np.maximum(n_trials[codes], 1))).astype(int)
    tails = np.empty(codes.size)
    for b in np.unique(bucket):
        members = codes[bucket == b]
        row = np.full(observed.size, -1)
        row[members] = np.arange(members.size)
        keep = row[pair] >= 0
        rows = row[pair[keep]]
        column = _rank_within(rows)
        matrix = np.zeros((members.size, int(column.max(initial=-1)) + 1))
        matrix[rows, column] = p[keep]
        k = np.minimum(observed[members], n_trials[members] + 1)
        tails[bucket == b] = _tail_exact(matrix, k)
    return tails


def _tail_exact(p: Array, k: NDArray[np.int64]) -> Array:
    """P(S_g >= k_g) for each row g of a (pairs × trials) matrix of probabilities."""
    width = int(k.max(initial=0)) + 1
    state = np.zeros((p.shape[0], width))  # state[g, s] = P(S = s), last column P(S >= width-1)
    state[:, 0] = 1.0
    for column in p.T[:, :, None]:
        moved = state[:, :-1] * column
        state[:, :-1] *= 1 - column
        state[:, 1:] += moved
    at_least = np.cumsum(state[:, ::-1], axis=1)[:, ::-1]  # smallest terms summed first
    return np.minimum(1.0, at_least[np.arange(p.shape[0]), k])  # rounding can pass 1


def _tail_normal(observed: NDArray[np.int64], expected: Array, variance: Array) -> Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (observed - 0.5 - expected) / np.sqrt(variance)
    return np.where(variance > 0, stats.norm.sf(z), (observed <= expected) * 1.0)


def _rank_within(rows: NDArray[np.int64]) -> NDArray[np.int64]:
    """Position of each entry among the entries with the same row code, in input order."""
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows)
    starts = np.cumsum(counts) - counts
    rank = np.empty(rows.size, dtype=int)
    rank[order] = np.arange(rows.size) - np.repeat(starts, counts)
    return rank


def _probabilities(p: ArrayLike) -> Array:
    p = np.asarray(p, dtype=float)
    if np.any(~((p >= 0) & (p <= 1))):
        raise ValueError("probabilities must lie in [0, 1]")
    return p
