"""Comparable work: the strata in which an officer is compared with peers, and the comparison.

Detectors that ask "does this officer do X more (or less) often than colleagues would on the
same work?" share three steps, written once here.

1. `assigned_work` (Ibis): the declarations assigned to an officer, with the goods of their main
   item (the lowest `item_no`, as `arusha.detectors.roster` defines desks) at the HS level
   `goods_level`, and the period (`time_unit`) of lodgement.
2. `peer_measures` (Ibis): per officer, the observed count of each event and the count expected
   from peers on the same work, by indirect standardisation over the strata
   office × goods × channel × flow × period, the officer's own declarations left out of the
   peer rate (`arusha.stats.expected_counts_expr`); with the officer's main office and period
   and the office's own rate. The office is part of every stratum, so an office whose rate is
   high (or low) for everyone — a postal office releasing most parcels after a document
   check — sets the expectation of its own officers and raises no alert by itself. The other
   side of that coin: an excess shared by a whole office is invisible here.
3. `peer_test` (pandas, on the per-officer rows): O against E for officers with at least
   `min_controlled` declarations in strata with peers. Three one-sided tests, in the direction
   the detector looks, each guarding against one way the plain comparison misleads:
   * a funnel plot on sqrt(O/E) (`arusha.stats.funnel_ratios`) whose limits widen for the real
     differences between officers that remain within strata (additive random effects by
     default, so that a shared excess widens the limits of large-volume officers most);
   * the exact Poisson tail of O given E (`arusha.stats.poisson_test`), reliable when E is a
     few events, where the funnel's normal approximation is not;
   * the same exact tail with E uncertain: E is estimated from the peers' declarations, and
     where a stratum has few of them the estimate is noisy (in the extreme, one peer
     declaration decides a rate of 0 or 1). Its sampling variance V, computed from the pooled
     rate of the stratum as the null hypothesis has it, n² p(1 - p) / n_peers summed over the
     strata, is carried by a gamma distribution of the true mean (shape E²/V); O then has a
     negative binomial distribution with mean E and variance E + V (the Poisson-gamma
     predictive). With many peers V is negligible and this is the exact Poisson test again.
   The p-value is the largest of the three: for small E the exact tails usually decide, for
   large E the funnel's overdispersed variance, where peers are few the Poisson-gamma tail.
   Taking the largest can only lose power, never add false alerts.

Why these defaults. Goods are compared at the HS chapter: desks are usually organised by
chapter (vehicles, 87; tobacco, 24), and a coarser level mixes a desk's goods with other goods
of the same section (tobacco and sugar are both in section IV), which makes the desk look
unusual and its colleagues look unusual the other way. Time is compared by quarter: a stratum
in which the officer has no peer is dropped, and with monthly strata an examiner who sees a
dozen controls a month over twenty chapters is often alone (in the simulated administration,
a quarter of all controls and over half of some officers' were dropped); a quarter keeps most
of the work while still following changes of risk profile or procedure. Both are parameters.

References: Breslow NE, Day NE (1987) Statistical Methods in Cancer Research vol. II, IARC,
ch. 2 (indirect standardisation). Spiegelhalter DJ (2005) Funnel plots for comparing
institutional performance. Stat Med 24:1185-1202. Lawless JF (1987) Negative binomial and
mixed Poisson regression. Can J Stat 15:209-225 (the Poisson-gamma mixture).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from pydantic import Field
from scipy import stats

from arusha.detectors.roster import WINDOW_UNITS, DeskLevel, Window, desk_of, main_items
from arusha.engine.detector import Chart, DetectorParams, Finding
from arusha.engine.tables import Tables
from arusha.stats import (
    FunnelResult,
    expected_counts_expr,
    funnel_ratios,
    poisson_test,
    standardised_ratio,
)

Tail = Literal["upper", "lower"]
STRATUM = ("office_code", "goods", "channel", "flow", "period")
CHANNEL_RANK = {"green": 0, "blue": 1, "yellow": 2, "red": 3}  # from least to most strict
CONTROL_CHANNELS = ("yellow", "red")
LEVEL = 0.95  # of the confidence interval reported with O/E
TEST_COLUMNS = (
    "ratio", "ratio_low", "ratio_high", "z", "p_funnel", "p_exact", "p_uncertain", "p_value",
)  # fmt: skip

GOODS_WORDS = {
    "chapter": "the same HS chapter of the main item, ",
    "section": "the same HS section of the main item, ",
    "office": "",  # goods ignored
}


class PeerParams(DetectorParams):
    """Parameters of every comparison with peers on comparable declarations."""

    min_controlled: int = Field(
        30,
        ge=1,
        description="officers with fewer declarations of the tested kind (in strata with "
        "peers) are not tested",
    )
    goods_level: DeskLevel = Field(
        "chapter",
        description="what makes goods comparable: the HS chapter or section of the main item, "
        "or nothing (office: all goods alike)",
    )
    time_unit: Window = Field(
        "quarter", description="period within which officers are compared: month, quarter or year"
    )
    overdispersion: Literal["additive", "multiplicative", "none"] = Field(
        "additive", description="how the funnel limits widen for real differences between officers"
    )


# Declarations and strata (Ibis) ---------------------------------------------------------------


def assigned_work(tables: Tables, params: PeerParams) -> ibis.Table:
    """Declarations assigned to an officer, with `goods` (main item) and `period`."""
    declarations = tables.declarations
    assigned = declarations.filter(declarations.officer_id.notnull())
    work = assigned.left_join(main_items(tables.items), "declaration_id")
    return work.mutate(
        goods=desk_of(work.hs_code, params.goods_level),
        period=work.lodged_at.truncate(WINDOW_UNITS[params.time_unit]),
    )


def channel_rank(channel: ibis.StringValue) -> ibis.IntegerValue:
    return channel.cases(*CHANNEL_RANK.items())


def peer_measures(
    work: ibis.Table, counts: Sequence[str], amounts: Sequence[str] = ()
) -> ibis.Table:
    """Per officer: volume, and for each event column the observed total `<event>` and the
    peer-expected total `<event>_expected`; for the 0/1 columns in `counts` also the sampling
    variance of that expectation, `<event>_expected_variance` (amounts, such as money, are
    only standardised). With the officer's main office and period, and the main office's
    totals `office_n` and `office_<event>`.

    `work` has one row per declaration with `officer_id`, `lodged_at` and the STRATUM columns
    (the detector decides what `channel` means: the channel given, or the control performed).
    """
    events = [*counts, *amounts]
    cells = work.group_by(["officer_id", *STRATUM]).aggregate(
        n=work.count(), **{e: work[e].sum() for e in events}
    )
    first, *others = events
    figures = _expected(cells, first)
    for event in others:
        figures = figures.inner_join(
            _expected(cells, event).select("officer_id", event, f"{event}_expected"),
            "officer_id",
        )
    variances = _expected_variance(cells, counts)
    figures = figures.left_join(variances, "officer_id").drop("officer_id_right")
    # An officer without peers anywhere has nothing to compare: zero, like expected_counts.
    figures = figures.mutate(**{c: figures[c].fill_null(0.0) for c in variances.columns[1:]})
    return figures.inner_join(_context(work, events), "officer_id").order_by("officer_id")


def _expected(cells: ibis.Table, event: str) -> ibis.Table:
    result = expected_counts_expr(cells, "officer_id", STRATUM, "n", event)
    return result.rename({event: "observed", f"{event}_expected": "expected"})


def _expected_variance(cells: ibis.Table, counts: Sequence[str]) -> ibis.Table:
    """Per officer and count, the sampling variance of E over the strata with peers: the sum
    of n² p (1 - p) / (N - n), p = Y / N the stratum's pooled rate (the officer included, as
    under the null hypothesis), N and Y the stratum's totals."""
    stratum = ibis.window(group_by=list(STRATUM))
    c = cells.mutate(
        _size=cells.n.sum().over(stratum).cast("float64"),
        **{f"_all_{e}": cells[e].sum().over(stratum).cast("float64") for e in counts},
    )
    c = c.filter(c.n < c._size)  # the officer has peers in the stratum
    variances = {}
    for e in counts:
        pooled = c[f"_all_{e}"] / c._size
        variances[f"{e}_expected_variance"] = (
            c.n * c.n * pooled * (1 - pooled) / (c._size - c.n)
        ).sum()
    return c.group_by("officer_id").aggregate(**variances)


def _context(work: ibis.Table, events: Sequence[str]) -> ibis.Table:
    """Each officer's main office (most declarations; ties to the first code), period, and
    that office's totals over all its officers."""
    per_office = work.group_by(["officer_id", "office_code"]).aggregate(k=work.count())
    ranked = per_office.mutate(
        rank=ibis.row_number().over(
            group_by="officer_id", order_by=[per_office.k.desc(), per_office.office_code]
        )
    )
    main = ranked.filter(ranked["rank"] == 0).select("officer_id", "office_code")
    period = work.group_by("officer_id").aggregate(
        period_start=work.lodged_at.min().date(), period_end=work.lodged_at.max().date()
    )
    offices = work.group_by("office_code").aggregate(
        office_n=work.count(), **{f"office_{e}": work[e].sum() for e in events}
    )
    return main.inner_join(period, "officer_id").inner_join(offices, "office_code")


# The test (pandas, per officer) ---------------------------------------------------------------


@dataclass(frozen=True)
class PeerTest:
    """O against E for the tested officers (rows of `tested`, indexed like the measures).

    Columns added to the measures: `ratio`, `ratio_low`, `ratio_high` (O/E with its exact
    interval), `z` (funnel z-score after the overdispersion adjustment), `p_funnel`, `p_exact`
    (Poisson, E fixed), `p_uncertain` (Poisson-gamma, E uncertain) and `p_value` (the
    largest), one-sided in the direction of `tail`.
    """

    tail: Tail
    event: str
    tested: pd.DataFrame
    funnel: FunnelResult

    @property
    def expected(self) -> str:
        return f"{self.event}_expected"

    def method(self) -> str:
        """The test in words, for the evidence."""
        f = self.funnel
        spread = {
            "additive": f"additive random effects, tau² = {f.tau2:.4g} on the sqrt(O/E) scale",
            "multiplicative": f"overdispersion factor phi = {f.phi:.3g}",
            "none": "no overdispersion adjustment (none detected)",
        }[f.method_used]
        side = "more" if self.tail == "upper" else "fewer"
        return (
            f"one-sided tests for {side} events than expected: funnel plot on sqrt(O/E) "
            f"(Spiegelhalter 2005) with {spread}; exact Poisson tail of O given E; the same "
            "tail with the sampling uncertainty of E from the peers (Poisson-gamma); p is "
            "the largest of the three"
        )


def peer_test(measures: pd.DataFrame, event: str, params: PeerParams, tail: Tail) -> PeerTest:
    """Tests officers with at least `min_controlled` declarations in strata with peers and a
    positive expectation (with E = 0 there is no peer rate to compare with).

    `measures` holds `event`, `<event>_expected` and `<event>_expected_variance` (see
    `peer_measures`)."""
    expected = f"{event}_expected"
    rows = measures[(measures["n"] >= params.min_controlled) & (measures[expected] > 0)]
    o = rows[event].to_numpy(dtype=float)
    e = rows[expected].to_numpy(dtype=float)
    v = rows[f"{event}_expected_variance"].to_numpy(dtype=float)
    funnel = funnel_ratios(o, e, method=params.overdispersion)
    alternative = "greater" if tail == "upper" else "less"
    # The funnel's p-value on the side looked at (p_upper is its upper tail).
    p_funnel = funnel.p_upper if tail == "upper" else stats.norm.cdf(funnel.z_adjusted)
    p_exact = poisson_test(o, e, alternative=alternative)
    p_uncertain = poisson_gamma_test(o, e, v, alternative)
    ratio = standardised_ratio(o, e, LEVEL)
    tested = rows.assign(
        ratio=ratio.estimate,
        ratio_low=ratio.low,
        ratio_high=ratio.high,
        z=funnel.z_adjusted,
        p_funnel=p_funnel,
        p_exact=p_exact,
        p_uncertain=p_uncertain,
        p_value=np.fmax(np.fmax(p_funnel, p_exact), p_uncertain),
    )
    return PeerTest(tail, event, tested, funnel)


def poisson_gamma_test(
    observed: np.ndarray,
    expected: np.ndarray,
    variance: np.ndarray,
    alternative: Literal["greater", "less"],
) -> np.ndarray:
    """One-sided tail of O when its mean is uncertain: a gamma mean with E and variance V,
    so O is negative binomial with mean E and variance E + V; the exact Poisson tail when V
    is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = np.where(variance > 0, expected**2 / variance, np.inf)
    finite = np.isfinite(shape)
    k = np.where(finite, shape, 1.0)  # placeholder where the Poisson tail is used
    mixed = stats.nbinom(k, k / (k + expected))
    if alternative == "greater":
        tails = mixed.sf(observed - 1), stats.poisson.sf(observed - 1, expected)
    else:
        tails = mixed.cdf(observed), stats.poisson.cdf(observed, expected)
    return np.where(finite, *tails)


def peer_group(params: PeerParams, channel: str, population: str) -> str:
    """The peer group in words, for the evidence."""
    return (
        f"other officers' {population} at the same office, in {GOODS_WORDS[params.goods_level]}"
        f"the same {channel}, flow and {params.time_unit} (indirect standardisation, the "
        "officer's own declarations left out)"
    )


def officer_finding(row, **fields) -> Finding:
    """A finding about the officer of a tested row: subjects, period, office and p filled in."""
    return Finding(
        subjects={"officer_id": row.officer_id},
        period_start=pd.Timestamp(row.period_start).date(),
        period_end=pd.Timestamp(row.period_end).date(),
        p_value=float(row.p_value),
        office_code=row.office_code,
        **fields,
    )


def rate(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def funnel_chart(title: str, indicator_label: str, test: PeerTest) -> Chart:
    """The funnel plot the assessment used: O/E against E, with its 95% and 99.8% limits."""
    data = test.tested[["officer_id", "office_code", "n", test.event, test.expected]]
    data = data.assign(ratio=test.tested["ratio"]).reset_index(drop=True)
    limits = None
    if len(data):
        top = max(float(data[test.expected].max()), 1.0)
        volumes = np.geomspace(min(float(data[test.expected].min()), top) / 2, top * 1.2, 80)
        band = test.funnel.limits(volumes)
        limits = pd.concat(
            pd.DataFrame({"volume": volumes, "level": level, "lower": lower, "upper": upper})
            for level, lower, upper in zip(band.levels, band.lower, band.upper, strict=True)
        ).reset_index(drop=True)
    return Chart(
        title=title,
        volume=test.expected,
        indicator="ratio",
        volume_label="Expected from peers on the same work",
        indicator_label=indicator_label,
        data=data,
        target=1.0,
        limits=limits,
    )
