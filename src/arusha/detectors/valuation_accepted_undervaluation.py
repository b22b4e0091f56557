"""valuation.accepted_undervaluation — goods priced far below the usual price, released without
uplift by one officer for one trader.

Three steps.

1. The reference price (Ibis). Each item's unit value, customs value per kilogram, is compared
   on the log scale with the items of the same HS6, origin and flow lodged in the same period
   (`reference_period`): their median, and their median absolute deviation (MAD) times 1.4826
   (the standard deviation, for normal data), both robust to the very undervaluation looked
   for. A cell needs `min_reference_items` items from `min_reference_traders` traders; a
   thinner cell falls back to the HS6 and flow over all origins, wider (origins differ in
   price) and so more lenient; an item without either is not priced.
   "Without the declaration itself": the cell includes the item, which can only pull the
   median towards it and widen the MAD, so an item's own weight makes it look less
   undervalued, never more. With at least 30 items one item moves the median by about half
   the gap between neighbouring order statistics (some 0.04 of a unit of z on normal data),
   a five-item declaration a few times that: a loss of sensitivity too small to pay for an
   exact leave-one-out median, which needs every item ranked within its cell.
   An item is strongly undervalued when its robust z-score is below `max_robust_z` and its
   unit value below `max_price_ratio` times the median (the second condition keeps a cell of
   near-identical prices, whose MAD is tiny, from making an ordinary discount extreme).
2. The event (Ibis). A declaration controlled in yellow (documents) or red (physical), with at
   least one priced item, is *accepted undervalued* when one of its items is strongly
   undervalued and it was released with no discrepancy recorded and no duties added. Blue is
   left out: it is released before any control (post-clearance audit), so the price was not
   the officer's to accept.
3. Two comparisons per officer × trader pair (pandas), both needed for an alert:
   * with peers on comparable work: the pair's declarations against the other officers'
     controls in the same strata, office × HS chapter of the main item × final channel ×
     flow × quarter (`arusha.detectors.peers`; the officer's declarations of other traders
     are left out). Does the officer let through more than colleagues on the same goods?
   * with the same trader's other officers: the pair's declarations against the trader's
     declarations controlled by other officers at the same office, on goods of the same HS
     chapter, in the same flow (not by channel or quarter: a trader's prices follow neither,
     and finer strata would leave most pairs without a comparison). Do the trader's prices
     pass with this officer and not with others? A trader who undervalues with everyone, or
     whose goods are legitimately cheap, is a valuation matter, not an integrity one, and
     the officers who happen to handle it are not alerted; nor is an officer who is the only
     one to control a trader's goods (there is nothing to compare).
   Each is an exact conditional test: given each stratum's totals, the pair's count in it is
   hypergeometric if the pair's declarations are like the others there; the test sums the
   strata by convolution (with one stratum, Fisher's one-sided exact test). Accepted
   undervaluation is rare (a few per thousand controls), so the peers' expected count is often
   zero or a fraction of one: the Poisson and funnel tests of `peers` need a positive
   expectation and a normal approximation that such counts do not give, where the
   conditional test is exact at any size and carries the uncertainty of a small comparison
   group. The p-value is the larger of the two (an intersection-union test: valid when
   either comparison alone shows nothing).
   A pair is tested when it has `min_controlled` controlled declarations in strata with
   peers and each comparison holds at least one accepted undervalued declaration, the pair's
   own included: otherwise the conditional test gives p = 1 whatever the pair did, and
   counting it would only dilute the false-discovery correction (Tarone 1990).

References: Rousseeuw PJ, Croux C (1993) Alternatives to the median absolute deviation. JASA
88:1273-1283. Fisher RA (1935) The logic of inductive inference. JRSS 98:39-82. Gart JJ (1970)
Point and interval estimation of the common odds ratio in the combination of 2×2 tables with
fixed marginals. Biometrika 57:471-475. Berger RL, Hsu JC (1996) Bioequivalence trials,
intersection-union tests and equivalence confidence sets. Stat Sci 11:283-319.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from ibis import _
from pydantic import Field
from scipy import stats

from arusha.detectors.peers import (
    CONTROL_CHANNELS,
    GOODS_WORDS,
    STRATUM,
    PeerParams,
    assigned_work,
)
from arusha.detectors.roster import DeskLevel, Window
from arusha.detectors.shared import as_date, left_join
from arusha.engine.detector import Chart, Detector, DetectorParams, Finding
from arusha.engine.tables import Tables
from arusha.stats import clopper_pearson, standardised_ratio

PAIR = ["officer_id", "trader_id"]
# The strata of the two comparisons: peers' controls of comparable work, and the same
# trader's controls by other officers.
COMPARISONS = {"peer": STRATUM, "trader": ("trader_id", "office_code", "goods", "flow")}
MAD_TO_SD = 1.4826  # the MAD of normal data times this is its standard deviation
CENT = 0.005  # duties assessed above the declared by less than this are rounding
REFERENCE = ("median", "spread", "items", "traders")  # the figures of a reference cell
TOP_LINES = 3  # goods lines (HS6 × origin) listed in the evidence
TOP_BROKERS = 3
LIMIT_LEVELS = (0.95, 0.998)
ReferencePeriod = Literal["quarter", "year", "all"]


class AcceptedUndervaluation(Detector):
    """Officer × trader pairs in which the officer released from documentary or physical
    control, without finding or uplift, more of the trader's declarations with goods priced
    far below the usual price than colleagues do on the same goods, and than the trader's
    other officers do. Undervaluation is a common revenue fraud and the control is there to
    catch it; an officer paid to accept the declared value can perform the control and
    record that all was in order. Each item's customs value per kilogram is
    compared with the median of the same HS6, origin and flow in the same year (a robust
    z-score on the log scale, with the median absolute deviation); an item far below it (z
    below -3 and under 60% of the median) is strongly undervalued. A pair alerts only when the
    officer accepted such declarations of the trader more often than other officers accept
    them on the same goods (same office, HS chapter, channel, flow and quarter) and more often
    than other officers at the office accept the same trader's declarations of the same goods.
    So a trader whose goods are legitimately cheap, or who undervalues with every officer,
    raises no alert against the officers who happen to handle it, and desks with cheap goods
    set their own expectation. Both comparisons are exact tests, reliable for the handful of
    events involved; pairs with few controlled declarations are not tested, and a few
    accepted declarations never alert."""

    id = "valuation.accepted_undervaluation"
    title = "Undervalued goods accepted from one trader"
    reference = (
        "WCO Revised Arusha Declaration (2003), factors 4 (Automation) and 6 (Audit and "
        "investigation); WCO (2018) Guide to Customs Valuation and Transfer Pricing; "
        "Chalendard C, Fernandes AM, Raballand G, Rijkers B (2023) Corruption in Customs, "
        "QJE 138(1):575-636; Rousseeuw PJ, Croux C (1993) JASA 88:1273-1283 (MAD); "
        "Gart JJ (1970) Biometrika 57:471-475 (exact test over strata)"
    )
    needs = ("declarations", "items")

    class Params(DetectorParams):
        min_controlled: int = Field(
            10, ge=1, description="officer × trader pairs with fewer controlled declarations "
            "(priced, in strata with peers) are not tested",
        )  # fmt: skip
        goods_level: DeskLevel = PeerParams.model_fields["goods_level"]
        time_unit: Window = PeerParams.model_fields["time_unit"]
        reference_period: ReferencePeriod = Field(
            "year", description="period of the reference prices: quarter, year or all (the "
            "whole input)",
        )  # fmt: skip
        min_reference_items: int = Field(
            30, ge=3, description="fewest items a reference cell (HS6 × origin × flow × "
            "period) needs; thinner cells fall back to the HS6 over all origins",
        )  # fmt: skip
        min_reference_traders: int = Field(
            5, ge=1, description="fewest distinct traders whose items make a reference cell"
        )
        max_robust_z: float = Field(
            -3.0, lt=0, description="robust z-score (log unit value against the reference "
            "median, in scaled MADs) below which an item is strongly undervalued",
        )  # fmt: skip
        max_price_ratio: float = Field(
            0.6, gt=0, lt=1, description="unit value / reference median below which an item "
            "is strongly undervalued (both conditions must hold)",
        )  # fmt: skip
        min_ratio: float = Field(
            3.0, gt=1, description="smallest ratio of accepted undervalued declarations to "
            "the number expected that alerts, against peers and the trader's other officers",
        )  # fmt: skip
        min_excess: float = Field(
            3.0, ge=1, description="smallest number of accepted undervalued declarations "
            "above either expectation that alerts (at least 1)",
        )  # fmt: skip

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        items = priced_items(tables, params)
        work = controlled_work(tables, params, items)
        peers = _comparison(work, "peer")
        pairs = peers.filter(peers.peer_n >= params.min_controlled)
        pairs = left_join(pairs, _comparison(work, "trader"), PAIR)
        # Without any accepted undervalued declaration in a comparison, p = 1 whatever the
        # pair did: not a test (module docstring).
        pairs = pairs.filter((pairs.peer_null_mean > 0) & (pairs.trader_null_mean > 0))
        details = [
            (_period_and_office(work), PAIR),
            (_officer_figures(peers), ["officer_id"]),
            (_pricing(tables, items), PAIR),
            (_brokers(work), PAIR),
            (_goods_lines(work, items), PAIR),
        ]
        for table, keys in details:
            pairs = left_join(pairs, table, keys)
        return pairs.order_by(PAIR)

    def assess(self, measures: pd.DataFrame, params: Params) -> list[Finding]:
        rows = _tested(measures)
        return [self._finding(row, params) for row in rows.itertuples(index=False)]

    def chart(self, measures: pd.DataFrame, params: Params) -> Chart:
        return _chart(_tested(measures))

    def _finding(self, row, params: Params) -> Finding:
        subjects = {"officer_id": row.officer_id, "trader_id": row.trader_id}
        brokers = _listed(row.brokers)
        if brokers:  # the broker who lodged most of them, a party to the declared value
            subjects["declarant_id"] = brokers[0]["declarant_id"]
        return Finding(
            subjects=subjects,
            period_start=as_date(row.period_start),
            period_end=as_date(row.period_end),
            score=float(row.peer_observed - row.peer_expected),
            summary=_summary(row, brokers),
            evidence=_evidence(row, params, brokers),
            p_value=float(row.p_value),
            flagged=bool(_material(row, "peer", params) and _material(row, "trader", params)),
            office_code=row.office_code,
        )


# Reference prices (Ibis) ----------------------------------------------------------------------


def priced_items(tables: Tables, params: AcceptedUndervaluation.Params) -> ibis.Table:
    """Every item with its reference (`reference_median`, `reference_spread` on the log scale,
    `reference_items`, `reference_traders`, `reference_scope`; null when the item has none),
    `price_ratio` (unit value / reference median) and `undervalued` (0 or 1)."""
    declarations = tables.declarations.select("declaration_id", "flow", "lodged_at", "trader_id")
    items = tables.items.inner_join(declarations, "declaration_id")
    items = items.mutate(
        hs6=items.hs_code.substr(0, 6),
        period=_period_label(items.lodged_at, params.reference_period),
        log_price=(items.customs_value / items.net_mass_kg).ln(),
    )
    by_origin = _reference(items, ["hs6", "origin_country", "flow", "period"], params)
    by_hs6 = _reference(items, ["hs6", "flow", "period"], params)
    items = left_join(items, _prefixed(by_origin, "origin_"), by_origin.columns[:4])
    items = left_join(items, _prefixed(by_hs6, "hs6_"), by_hs6.columns[:3])
    has_origin = items.origin_median.notnull()
    items = items.mutate(
        **{
            f"reference_{name}": has_origin.ifelse(items[f"origin_{name}"], items[f"hs6_{name}"])
            for name in REFERENCE
        },
        reference_scope=has_origin.ifelse(
            "HS6 and origin",
            items.hs6_median.notnull().ifelse("HS6, all origins", ibis.null("string")),
        ),
    ).drop(*(f"{prefix}{name}" for prefix in ("origin_", "hs6_") for name in REFERENCE))
    below = items.log_price - items.reference_median
    z = below / items.reference_spread.nullif(0)
    undervalued = (below < np.log(params.max_price_ratio)) & (
        (items.reference_spread == 0) | (z < params.max_robust_z)
    )
    return items.mutate(
        price_ratio=below.exp(),
        undervalued=undervalued.fill_null(False).cast("int64"),
    )


def _reference(
    items: ibis.Table, cell: list[str], params: AcceptedUndervaluation.Params
) -> ibis.Table:
    """Per cell with enough items and traders: median and scaled MAD of log unit value."""
    medians = items.group_by(cell).aggregate(
        median=items.log_price.median(),
        items=items.count(),
        traders=items.trader_id.nunique(),
    )
    medians = medians.filter(
        (medians["items"] >= params.min_reference_items)
        & (medians.traders >= params.min_reference_traders)
    )
    spread = items.inner_join(medians, cell)
    mads = spread.group_by(cell).aggregate(
        spread=(spread.log_price - spread.median).abs().median() * MAD_TO_SD
    )
    return medians.inner_join(mads, cell)


def _prefixed(reference: ibis.Table, prefix: str) -> ibis.Table:
    return reference.rename({f"{prefix}{name}": name for name in REFERENCE})


def _period_label(lodged: ibis.TimestampValue, period: ReferencePeriod) -> ibis.StringValue:
    year = lodged.year().cast("string")
    if period == "year":
        return year
    if period == "quarter":
        return year + "-Q" + lodged.quarter().cast("string")
    return ibis.literal("all")


# Controlled declarations and the comparisons (Ibis) -------------------------------------------


def controlled_work(
    tables: Tables, params: AcceptedUndervaluation.Params, items: ibis.Table
) -> ibis.Table:
    """Yellow and red declarations assigned to an officer with at least one priced item, with
    the peer strata and `accepted` (1: undervalued and released without finding or uplift)."""
    per_declaration = items.group_by("declaration_id").aggregate(
        priced=items.reference_median.count(), undervalued_items=items.undervalued.sum()
    )
    work = assigned_work(tables, params)
    work = work.filter(work.final_channel.isin(CONTROL_CHANNELS))
    work = work.inner_join(per_declaration.filter(_.priced > 0), "declaration_id")
    accepted = (
        work.released_at.notnull()
        & (work.inspection_outcome != "discrepancy")
        & (work.duties_assessed - work.duties_declared <= CENT)
    )
    return work.mutate(
        channel=work.final_channel,
        accepted=((work.undervalued_items > 0) & accepted).cast("int64"),
    )


def _comparison(work: ibis.Table, name: str) -> ibis.Table:
    """Per pair, its declarations against the others of its strata (COMPARISONS[name]),
    leaving out the officer's declarations of other traders, in columns prefixed `name_`:

    `n` and `observed`: the pair's declarations and accepted undervalued ones, in strata with
    others; `others_n`, `others_observed`: the others' in those strata; `expected`: the
    pair's count at the others' rate, stratum by stratum; `null_mean`: its mean under the
    test's null hypothesis (the pair's and the others' declarations pooled); `strata_used`,
    `n_dropped`: the strata compared, the pair's declarations in strata without others; and
    `strata`, for pairs with an accepted one, each stratum's figures for the exact test."""
    keys = list(COMPARISONS[name])
    cells = work.group_by(list(dict.fromkeys([*PAIR, *keys]))).aggregate(
        n=_.count(), y=_.accepted.sum()
    )
    stratum, officer = ibis.window(group_by=keys), ibis.window(group_by=["officer_id", *keys])
    c = cells.mutate(
        others_n=cells.n.sum().over(stratum) - cells.n.sum().over(officer),
        others_y=cells.y.sum().over(stratum) - cells.y.sum().over(officer),
        pair_y=cells.y.sum().over(ibis.window(group_by=PAIR)),
    )
    used = c.others_n > 0
    urn_n, urn_y = c.others_n + c.n, c.others_y + c.y
    figures = c.group_by(PAIR).aggregate(
        n=used.ifelse(c.n, 0).sum(),
        observed=used.ifelse(c.y, 0).sum(),
        others_n=used.ifelse(c.others_n, 0).sum(),
        others_observed=used.ifelse(c.others_y, 0).sum(),
        expected=(c.n * c.others_y.cast("float64") / c.others_n.nullif(0)).sum().fill_null(0.0),
        null_mean=(c.n * urn_y.cast("float64") / urn_n).sum(where=used).fill_null(0.0),
        strata_used=used.cast("int64").sum(),
        n_dropped=(~used).ifelse(c.n, 0).sum(),
        # int32: DuckDB sums BIGINT into HUGEINT, which nested values would keep as Decimal
        strata=ibis.struct(
            {"n": c.n.cast("int32"), "urn_n": urn_n.cast("int32"), "urn_y": urn_y.cast("int32")}
        ).collect(where=used & (c.pair_y > 0)),
    )
    return figures.rename({f"{name}_{c}": c for c in figures.columns if c not in PAIR})


def _period_and_office(work: ibis.Table) -> ibis.Table:
    """Per pair: its controlled declarations and accepted undervalued ones in all strata, their
    spans, and its main office (most declarations; ties to the first code)."""
    spans = work.group_by(PAIR).aggregate(
        controlled=_.count(),
        accepted=_.accepted.sum(),
        period_start=_.lodged_at.min().date(),
        period_end=_.lodged_at.max().date(),
        first_accepted=_.lodged_at.min(where=_.accepted == 1).date(),
        last_accepted=_.lodged_at.max(where=_.accepted == 1).date(),
    )
    offices = work.group_by([*PAIR, "office_code"]).aggregate(k=_.count())
    main = _top(offices, [offices.k.desc(), offices.office_code], 1).drop("k", "rank")
    return spans.inner_join(main, PAIR)


def _officer_figures(peers: ibis.Table) -> ibis.Table:
    """Per officer, over all their traders: the comparison with peers, for context."""
    return peers.group_by("officer_id").aggregate(
        officer_n=peers.peer_n.sum(),
        officer_observed=peers.peer_observed.sum(),
        officer_expected=peers.peer_expected.sum(),
    )


def _pricing(tables: Tables, items: ibis.Table) -> ibis.Table:
    """Per pair, the trader's prices in every channel: declarations with a priced item and
    with an undervalued one, handled by this officer and in all."""
    per_declaration = items.group_by("declaration_id").aggregate(
        priced=(_.reference_median.count() > 0).cast("int64"),
        undervalued=(_.undervalued.sum() > 0).cast("int64"),
    )
    d = tables.declarations.select("declaration_id", "officer_id", "trader_id")
    d = d.inner_join(per_declaration, "declaration_id")
    traders = d.group_by("trader_id").aggregate(
        trader_priced=_.priced.sum(), trader_undervalued=_.undervalued.sum()
    )
    handled = d.filter(d.officer_id.notnull())
    pairs = handled.group_by(PAIR).aggregate(
        pair_priced=_.priced.sum(), pair_undervalued=_.undervalued.sum()
    )
    return pairs.inner_join(traders, "trader_id")


def _brokers(work: ibis.Table) -> ibis.Table:
    """Per pair, the brokers who lodged most of its accepted undervalued declarations."""
    accepted = work.filter(work.accepted == 1)
    counts = accepted.group_by([*PAIR, "declarant_id"]).aggregate(declarations=_.count())
    top = _top(counts, [counts.declarations.desc(), counts.declarant_id], TOP_BROKERS)
    return top.group_by(PAIR).aggregate(
        brokers=ibis.struct(
            {"rank": top["rank"].cast("int32"), "declarant_id": top.declarant_id,
             "declarations": top.declarations.cast("int32")}
        ).collect()
    )  # fmt: skip


def _goods_lines(work: ibis.Table, items: ibis.Table) -> ibis.Table:
    """Per pair, its undervalued items in accepted declarations: how many, their median
    price ratio, and the goods lines (HS6 × origin × flow × reference period) most often
    among them, each with the reference it was compared with."""
    accepted = work.filter(work.accepted == 1).select(*PAIR, "declaration_id")
    lines = items.filter(items.undervalued == 1).inner_join(accepted, "declaration_id")
    keys = [*PAIR, "hs6", "origin_country", "flow", "period"]
    per_line = lines.group_by(keys).aggregate(
        items=_.count(),
        unit_value=(_.customs_value / _.net_mass_kg).median(),
        price_ratio=_.price_ratio.median(),
        # one reference per line: max() only picks it
        reference_unit_value=_.reference_median.max().exp(),
        reference_spread=_.reference_spread.max(),
        reference_items=_.reference_items.max(),
        reference_traders=_.reference_traders.max(),
        reference_scope=_.reference_scope.max(),
    )
    order = [per_line["items"].desc(), *(per_line[k] for k in keys[2:])]
    top = _top(per_line, order, TOP_LINES)
    listed = top.group_by(PAIR).aggregate(
        goods_lines=ibis.struct(
            {"rank": top["rank"].cast("int32"), "hs6": top.hs6,
             "origin_country": top.origin_country, "flow": top.flow,
             "reference_period": top.period, "items": top["items"].cast("int32"),
             "median_unit_value": top.unit_value, "median_price_ratio": top.price_ratio,
             "reference_unit_value": top.reference_unit_value,
             "reference_log_spread": top.reference_spread,
             "reference_items": top.reference_items.cast("int32"),
             "reference_traders": top.reference_traders.cast("int32"),
             "reference_scope": top.reference_scope}
        ).collect()
    )  # fmt: skip
    totals = lines.group_by(PAIR).aggregate(
        undervalued_items=_.count(), median_price_ratio=_.price_ratio.median()
    )
    return totals.inner_join(listed, PAIR)


def _top(table: ibis.Table, order_by: Sequence, count: int) -> ibis.Table:
    """The first `count` rows of each pair in the given order, numbered from 0 in `rank`."""
    ranked = table.mutate(rank=ibis.row_number().over(group_by=PAIR, order_by=list(order_by)))
    return ranked.filter(ranked["rank"] < count)



# The tests and the finding (pandas) -----------------------------------------------------------


def conditional_upper_tail(observed: int, strata: Sequence[dict]) -> float:
    """P(X >= observed), X the sum over strata of independent hypergeometric counts: in a
    stratum (`urn_n` declarations, `urn_y` of them events), the events among the `n` drawn.
    Under the null hypothesis that which declarations are the pair's is unrelated to which
    are events, this is the exact conditional test over strata; with one stratum, Fisher's
    one-sided exact test."""
    pmf = np.ones(1)
    for cell in strata:
        n, urn_n, urn_y = cell["n"], cell["urn_n"], cell["urn_y"]
        pmf = np.convolve(pmf, stats.hypergeom.pmf(np.arange(min(n, urn_y) + 1), urn_n, urn_y, n))
    return float(min(1.0, pmf[observed:].sum()))


def _tested(measures: pd.DataFrame) -> pd.DataFrame:
    """The pairs `measure` returned (the testable ones), with both p-values, the larger as
    `p_value`, and O against the peer test's null mean with its exact interval, for the
    chart; sorted by pair."""
    rows = measures.sort_values(PAIR, ignore_index=True)
    for name in COMPARISONS:
        rows[f"p_{name}"] = [
            conditional_upper_tail(_count(o), _listed(strata)) if _count(o) else 1.0
            for o, strata in zip(rows[f"{name}_observed"], rows[f"{name}_strata"], strict=True)
        ]
    rows["p_value"] = np.fmax(rows["p_peer"], rows["p_trader"])
    ratio = standardised_ratio(rows["peer_observed"], rows["peer_null_mean"])
    rows["ratio"], rows["ratio_low"], rows["ratio_high"] = ratio.estimate, ratio.low, ratio.high
    return rows


def _material(row, name: str, params: AcceptedUndervaluation.Params) -> bool:
    """At least `min_excess` above the others' rate and `min_ratio` times it (any count is,
    when the others accepted none)."""
    o, e = _count(getattr(row, f"{name}_observed")), _number(getattr(row, f"{name}_expected"))
    e = e or 0.0
    return o - e >= params.min_excess and o >= params.min_ratio * e


def _chart(rows: pd.DataFrame) -> Chart:
    """O against the peer test's null mean per pair, with the limits of a Poisson count of
    that mean (the test's sum of hypergeometric counts has the same mean and a little less
    spread, so the limits are a little wide)."""
    data = rows[[*PAIR, "office_code", "peer_n", "peer_observed", "peer_null_mean", "ratio"]]
    limits = None
    if len(data):
        top = max(float(data["peer_null_mean"].max()), 1.0)
        volumes = np.geomspace(min(float(data["peer_null_mean"].min()), top) / 2, top * 1.2, 80)
        limits = pd.concat(
            pd.DataFrame({
                "volume": volumes, "level": level,
                "lower": stats.poisson.ppf((1 - level) / 2, volumes) / volumes,
                "upper": stats.poisson.isf((1 - level) / 2, volumes) / volumes,
            })
            for level in LIMIT_LEVELS
        ).reset_index(drop=True)  # fmt: skip
    return Chart(
        title="Undervalued declarations accepted per officer and trader, against the same "
        "work of other officers",
        volume="peer_null_mean",
        indicator="ratio",
        volume_label="Expected if the pair were like the others in its strata",
        indicator_label="Accepted undervalued, observed / expected",
        data=data,
        target=1.0,
        limits=limits,
    )


def _listed(values) -> list[dict]:
    """A collected list of structs (absent: empty) as dicts, in `rank` order if ranked."""
    if values is None or isinstance(values, float) or len(values) == 0:
        return []
    return sorted((dict(v) for v in values), key=lambda v: v.get("rank", 0))


def _summary(row, brokers: list[dict]) -> str:
    o, n, e = _count(row.peer_observed), _count(row.peer_n), float(row.peer_expected)
    lodged = f" (lodged mostly by broker {brokers[0]['declarant_id']})" if brokers else ""
    price = (
        ""
        if pd.isna(row.median_price_ratio)
        else f" (at a median {row.median_price_ratio:.0%} of it)"
    )
    return (
        f"Officer {row.officer_id} ({row.office_code}) released from yellow or red control, "
        f"without finding or uplift, {o} declarations of trader {row.trader_id}{lodged} with "
        f"goods priced far below the usual price for their HS6 and origin{price}, out of {n} "
        f"controlled; peers on the same goods would have let through about {e:.1f}, and other "
        f"officers let through {_count(row.trader_others_observed)} of the trader's "
        f"{_count(row.trader_others_n)} controlled declarations ({{q}})."
    )


def _evidence(row, params: AcceptedUndervaluation.Params, brokers: list[dict]) -> dict:
    others = {
        "priced": _count(row.trader_priced) - _count(row.pair_priced),
        "undervalued": _count(row.trader_undervalued) - _count(row.pair_undervalued),
    }
    return {
        "office_code": row.office_code,
        "controlled_declarations": _count(row.controlled),
        "accepted_undervalued": _count(row.accepted),
        "first_accepted": _day(row.first_accepted),
        "last_accepted": _day(row.last_accepted),
        "peers": {
            **_compared(row, "peer"),
            "peer_group": (
                f"other officers' red and yellow controls at the same office, in "
                f"{GOODS_WORDS[params.goods_level]}the same control channel, flow and "
                f"{params.time_unit} (the officer's declarations of other traders left out)"
            ),
        },
        "same_trader_other_officers": {
            **_compared(row, "trader"),
            "peer_group": (
                f"the trader's red and yellow declarations controlled by other officers at the "
                f"same office, in {GOODS_WORDS[params.goods_level]}the same flow"
            ),
        },
        "officer_all_traders": {
            "controlled_declarations": _count(row.officer_n),
            "accepted_undervalued": _count(row.officer_observed),
            "expected_at_peers_rate": _number(row.officer_expected),
        },
        "trader_declarations_any_channel": {
            "with_this_officer": {
                "priced": _count(row.pair_priced),
                "undervalued": _count(row.pair_undervalued),
            },
            "with_other_officers_or_none": others,
        },
        "brokers": [_unranked(b) for b in brokers],
        "undervalued_items": _count(row.undervalued_items),
        "median_price_ratio": _number(row.median_price_ratio),
        "goods_lines": [_unranked(g) for g in _listed(row.goods_lines)],
        "reference": (
            f"median and MAD × {MAD_TO_SD} of log(customs value / net mass) over the items of "
            f"the same HS6, origin and flow in the same {params.reference_period} (the HS6 "
            f"over all origins where that cell has fewer than {params.min_reference_items} "
            f"items or {params.min_reference_traders} traders); strongly undervalued: robust "
            f"z below {params.max_robust_z:g} and unit value below "
            f"{params.max_price_ratio:.0%} of the median"
        ),
        "test": "two one-sided exact conditional tests over strata (hypergeometric per "
        "stratum, convolved; Fisher's exact test with one stratum): the pair against peers "
        "on the same work, and against the trader's other officers; p is the larger "
        "(intersection-union test: an alert needs both)",
    }


def _compared(row, name: str) -> dict:
    """One comparison's figures: the pair's and the others' counts and rates (with exact
    95% intervals), the count expected at the others' rate stratum by stratum, and the test's
    expectation with the pair and the others pooled."""

    def get(column: str):
        return getattr(row, f"{name}_{column}")

    o, n = _count(get("observed")), _count(get("n"))
    others_o, others_n = _count(get("others_observed")), _count(get("others_n"))
    return {
        "pair_declarations": n,
        "pair_accepted_undervalued": o,
        "pair_rate_ci95": _rate(o, n),
        "others_declarations": others_n,
        "others_accepted_undervalued": others_o,
        "others_rate_ci95": _rate(others_o, others_n),
        "expected_at_others_rate": _number(get("expected")) or 0.0,
        "expected_pooled": _number(get("null_mean")) or 0.0,
        "strata_compared": _count(get("strata_used")),
        "pair_declarations_without_comparison": _count(get("n_dropped")),
        "p": float(getattr(row, f"p_{name}")),
    }


def _rate(k: int, n: int) -> list[float] | None:
    """k / n with its Clopper–Pearson 95% interval: [rate, low, high]."""
    if not n:
        return None
    e = clopper_pearson(k, n)
    return [float(e.estimate), float(e.low), float(e.high)]


def _unranked(listed: dict) -> dict:
    return {k: v for k, v in listed.items() if k != "rank"}


def _count(value) -> int:
    return 0 if pd.isna(value) else int(value)


def _number(value) -> float | None:
    return None if pd.isna(value) else float(value)


def _day(value) -> str | None:
    return None if pd.isna(value) else as_date(value).isoformat()


