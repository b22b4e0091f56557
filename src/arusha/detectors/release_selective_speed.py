"""release.selective_speed — one officer releases one broker's (or trader's) declarations far
faster than their own other work and than the broker's work with colleagues."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import ibis
import ibis.expr.types as ir
import ibis.selectors as s
import numpy as np
import pandas as pd
from ibis import _
from pydantic import Field
from scipy import stats

from arusha.detectors.roster import WINDOW_UNITS, Window
from arusha.engine.detector import Chart, Detector, DetectorParams, Finding
from arusha.engine.tables import Tables

Role = Literal["declarant", "trader"]
DayPattern = Literal["weekend", "day_of_week", "all"]

STRATUM = ("office_code", "channel", "outcome", "days", "period")  # comparable work
PARTY = ["party_role", "party_id"]
PAIR = ["office_code", *PARTY, "officer_id"]  # one test: an officer and a party, at one office
COUNTERPART = {"declarant": "trader", "trader": "declarant"}  # the other party of a declaration
ROLE_LABEL = {"declarant": "broker", "trader": "trader"}
# What a pair's release times are compared with, by column prefix, with the evidence key of
# each: the officer's other declarations; the party's declarations with other officers; and
# what the officer's and the party's usual speeds together predict (additive on the log scale).
COMPARISONS = {
    "officer": "officer_other_declarations",
    "party": "party_with_other_officers",
    "both": "officer_and_party_usual_speeds",
}
RANKED = ("officer", "party")  # the comparisons tested by ranks (van Elteren)
FIGURES = ("n", "sum", "squares")  # of log_hours, per cell
MIN_HOURS = 1 / 60  # a release within a minute counts as a minute: log time needs a positive one
TOP_COUNTERPARTS = 5  # other parties listed in the evidence of a material pair
COVERING_SHARE = 0.5  # share of a trader pair's declarations one broker must bring to cover it
LEVEL = 0.95  # of the intervals of the speed ratios
# Up to this many declarations compared, a rank test's p comes from the Irwin–Hall law (the sum
# of that many uniform ranks); beyond, from the normal law, which it then matches closely.
IRWIN_HALL_UP_TO = 100

DAY_WORDS = {"weekend": "weekday or weekend", "day_of_week": "day of the week", "all": ""}
TEST = (
    "one-sided tests for faster release, on log release time: against the officer's other "
    "declarations and against the {role}'s declarations with other officers, van Elteren "
    "stratified rank-sum tests (z with a continuity correction; p from the Irwin–Hall law of "
    "the sum of as many uniform ranks as declarations compared, with the same mean and "
    "variance); against the officer's and the {role}'s "
    "usual speeds together (interaction contrast of a two-way additive model per stratum), a "
    "t-test with the pooled within-group variance. The run's p is the largest of the three "
    "(all must hold); the pair's p is that times the number of runs of consecutive {unit}s "
    "tried (Bonferroni). Speed ratios are ratios of geometric means over the same strata, "
    "with t-intervals"
)


class SelectiveSpeed(Detector):
    """Officer × broker and officer × trader pairs whose declarations the officer released far
    faster than comparable work, on every count at once: faster than the officer's own other
    declarations, faster than the same broker's (or trader's) declarations handled by other
    officers, and faster than the officer's and the broker's usual speeds together predict.
    Speed is what a broker buys when goods must leave the port today; an officer who sells it
    releases that broker's consignments in hours while everyone else waits days, and nothing
    in the declaration itself shows the price.

    Release time runs from assignment to release (from lodgement when the assignment time is
    missing) and is compared on the log scale, as release times are skewed. Each declaration
    is compared only within its stratum: office, final channel, inspection outcome, weekday or
    weekend, and quarter; so a broker whose goods go green, whose controls find nothing, or
    who lodges on quiet Sundays is not mistaken for a favoured one. The first two comparisons
    are stratified rank-sum tests (van Elteren), the third a t-test of the interaction; all
    three must hold. So a broker who is fast with everyone (an authorised economic operator, a
    well-prepared agent), an officer who is fast with everyone, and the two together are not
    flagged. A favour starts and stops: each run of consecutive quarters of the pair is
    tested, the strongest is reported with its dates, and its p-value is multiplied by the
    number of runs tried. A pair is material only when its declarations in that run took at
    most half the time on all three counts (geometric means over the same strata) and at
    least ten of them were compared on each. An officer × trader pair whose declarations came
    mostly through one broker already material with that officer is reported in the broker's
    alert, where the trader is named."""

    id = "release.selective_speed"
    title = "Selectively fast release for one broker or trader"
    reference = (
        "WCO Revised Arusha Declaration (2003), factor 3: Transparency, and factor 10: "
        "Relationship with the private sector; WCO Time Release Study Guide, version 3 (2018); "
        "van Elteren PH (1960) Bull Inst Int Stat 37:351-361 (stratified rank-sum test)"
    )
    needs = ("declarations",)

    class Params(DetectorParams):
        parties: list[Role] = Field(
            default_factory=lambda: ["declarant", "trader"],
            description="which parties of a declaration are paired with its officer",
        )
        day_pattern: DayPattern = Field(
            "weekend", description="which days are compared with each other: weekdays and "
            "weekends apart, each day of the week apart, or all days alike",
        )  # fmt: skip
        time_unit: Window = Field(
            "quarter", description="period within which declarations are compared, and unit "
            "of the runs tested: month, quarter or year",
        )  # fmt: skip
        by_outcome: bool = Field(
            True, description="compare declarations only with those of the same inspection "
            "outcome (a discrepancy delays release for everyone)",
        )  # fmt: skip
        min_declarations: int = Field(
            10, ge=2, description="fewest of the pair's declarations that must be compared "
            "in each comparison for the pair to be tested",
        )  # fmt: skip
        max_ratio: float = Field(
            0.5, gt=0, lt=1, description="the pair's release time relative to each reference "
            "(geometric means) at or below which a pair is material",
        )  # fmt: skip

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        work = release_work(tables, params)
        work = _with_cell(work, [], "stratum", ranks=False)
        work = _with_cell(work, ["officer_id"], "officer")
        by_party = _with_cell(_by_party(work, params.parties), PARTY, "party")
        cells = _pair_cells(by_party, params.min_declarations)
        periods = cells.group_by([*PAIR, "period"]).aggregate(
            declarations=_.n.sum(),
            first_day=_.first_day.min(),
            last_day=_.last_day.max(),
            **_ranked_sums(cells, "officer"),
            **_ranked_sums(cells, "party"),
            **_interaction_sums(cells),
        )
        runs = _runs(periods)
        least = params.min_declarations
        runs = runs.filter(ibis.and_(*(runs[f"{c}_compared"] >= least for c in COMPARISONS)))
        pairs = _strongest(runs).join(_whole_period(periods), PAIR)
        material = pairs.filter(_material(pairs, params.max_ratio))
        return _left_join(pairs, _counterparts(by_party, material), PAIR)

    def assess(self, measures: pd.DataFrame, params: Params) -> list[Finding]:
        m = measures.sort_values(PAIR, ignore_index=True)
        m["material"] = m["counterparts"].notna()
        for comparison in COMPARISONS:
            m = _test(m, comparison)
        # Bonferroni over the runs tried: the run was chosen as the most extreme of them.
        m["p_run"] = m[[f"{c}_p" for c in COMPARISONS]].max(axis=1)
        m["p_value"] = (m["p_run"] * m["runs"]).clip(upper=1.0)
        m["covered_by"] = _covering_brokers(m)
        return [_finding(row, params) for row in m.itertuples(index=False)]

    def chart(self, measures: pd.DataFrame, params: Params) -> Chart | None:
        if measures.empty:
            return None
        return Chart(
            title="Release time of each officer × party pair relative to comparable work",
            volume="declarations",
            indicator="speed_ratio",
            volume_label="declarations of the pair",
            indicator_label="release time / comparable work (the least extreme comparison)",
            data=measures.drop(columns="counterparts").assign(speed_ratio=_slowest(measures)),
            target=1.0,
        )


# The declarations (Ibis) ---------------------------------------------------------------------


def release_work(tables: Tables, params: SelectiveSpeed.Params) -> ibis.Table:
    """Assigned, released declarations with `log_hours` (log of the release time in hours),
    the STRATUM columns and `day` (when the officer's work began)."""
    d = tables.declarations
    d = d.filter(d.officer_id.notnull() & d.released_at.notnull())
    start = d.assigned_at.fill_null(d.lodged_at)
    seconds = d.released_at.epoch_seconds() - start.epoch_seconds()
    hours = ibis.greatest(seconds / 3600, MIN_HOURS)
    return d.mutate(
        log_hours=hours.ln(),
        day=start.date(),
        channel=d.final_channel,
        outcome=d.inspection_outcome if params.by_outcome else ibis.literal("any"),
        days=_day_type(start, params.day_pattern),
        period=start.truncate(WINDOW_UNITS[params.time_unit]).date(),
    )


def _day_type(start: ir.TimestampValue, pattern: DayPattern) -> ir.StringValue:
    if pattern == "day_of_week":
        return start.day_of_week.full_name()
    if pattern == "weekend":
        return ibis.ifelse(start.day_of_week.index() >= 5, "weekend", "weekday")  # Monday: 0
    return ibis.literal("any")


def _with_cell(
    work: ibis.Table, keys: Sequence[str], prefix: str, ranks: bool = True
) -> ibis.Table:
    """Adds, per declaration, the figures of its cell (the `keys` × STRATUM it belongs to):
    `<prefix>_n`, `<prefix>_sum` and `<prefix>_squares` of log_hours, and with `ranks`
    `<prefix>_rank`, the declaration's mid-rank of log_hours in the cell (ties share the mean
    of their ranks)."""
    cell = [*keys, *STRATUM]
    whole = ibis.window(group_by=cell)
    n = _.log_hours.count().over(whole)
    figures = {
        f"{prefix}_n": n,
        f"{prefix}_sum": _.log_hours.sum().over(whole),
        f"{prefix}_squares": (_.log_hours * _.log_hours).sum().over(whole),
    }
    if ranks:
        ordered = ibis.window(group_by=cell, order_by="log_hours")
        # rank() is the first rank of the ties, from 0; cume_dist() × n the last, from 1.
        first, last = ibis.rank().over(ordered) + 1, ibis.cume_dist().over(ordered) * n
        figures[f"{prefix}_rank"] = (first + last) / 2
    return work.mutate(**figures)


def _by_party(work: ibis.Table, roles: Sequence[Role]) -> ibis.Table:
    """One row per declaration and role, with party_role, party_id and `counterpart` (the
    declaration's party of the other role) standing for each role in turn."""
    parts = []
    for role in roles:
        t = work.filter(work[f"{role}_id"].notnull())
        parts.append(
            t.mutate(
                party_role=ibis.literal(role),
                party_id=t[f"{role}_id"],
                counterpart=t[f"{COUNTERPART[role]}_id"],
            )
        )
    return ibis.union(*parts)


def _pair_cells(by_party: ibis.Table, least: int) -> ibis.Table:
    """Per pair and stratum: the pair's `n`, `sum` and `squares` of log_hours, the sums of its
    declarations' ranks in the officer's and the party's cells, and the figures of the
    officer's, the party's and the stratum's cells; only pairs with `least` declarations."""
    cells = by_party.group_by([*PAIR, *STRATUM[1:]]).aggregate(
        n=_.count(),
        sum=_.log_hours.sum(),
        squares=(_.log_hours * _.log_hours).sum(),
        first_day=_.day.min(),
        last_day=_.day.max(),
        **{
            f"{cell}_{figure}": by_party[f"{cell}_{figure}"].max()  # the same in every row
            for cell in ("officer", "party", "stratum")
            for figure in FIGURES
        },
        **{f"{cell}_ranks": by_party[f"{cell}_rank"].sum() for cell in RANKED},
    )
    cells = cells.mutate(pair_n=_.n.sum().over(group_by=PAIR))
    return cells.filter(_.pair_n >= least)


# Per pair and stratum, three groups of declarations besides the pair's own (n, sum, squares of
# log_hours, as float): the officer's others, the party's with other officers, and the rest of
# the stratum (other officers with other parties).
Group = tuple[ir.FloatingValue, ir.FloatingValue, ir.FloatingValue]


def _pair(cells: ibis.Table) -> Group:
    return cells.n.cast("float64"), cells["sum"], cells.squares


def _cell(cells: ibis.Table, prefix: str) -> Group:
    return tuple(cells[f"{prefix}_{f}"].cast("float64") for f in FIGURES)


def _others(cells: ibis.Table, prefix: str) -> Group:
    """The officer's (party's) cell without the pair."""
    return tuple(a - b for a, b in zip(_cell(cells, prefix), _pair(cells), strict=True))


def _rest(cells: ibis.Table) -> Group:
    """The stratum without the officer's and the party's cells (the pair is in both)."""
    groups = _cell(cells, "stratum"), _cell(cells, "officer"), _cell(cells, "party"), _pair(cells)
    return tuple(all_ - o - p + b for all_, o, p, b in zip(*groups, strict=True))


def _mean(group: Group) -> ir.FloatingValue:
    n, total, _squares = group
    return total / ibis.greatest(n, 1)


def _within(group: Group) -> ir.FloatingValue:
    """Sum of squares about the group's mean."""
    _n, total, squares = group
    return squares - total * _mean(group)


def _contrast(
    cells: ibis.Table, name: str, expected_mean, groups: Sequence[Group]
) -> dict[str, ir.Value]:
    """Per pair and period, sums over the strata where every group has declarations of what
    comparing the pair's mean log time with `expected_mean` (a linear combination of the
    groups' means, each with coefficient ±1) needs, as `<name>_<figure>`:

    * compared: n, the pair's declarations; observed_log, expected_log: n × the pair's mean
      and n × expected_mean; log_excess, their difference, whose sum / compared is the log of
      the stratum-matched ratio of geometric means;
    * weight: n² (1/n + Σ 1/n_group), the variance of log_excess per unit of log-time
      variance; squares, df: the within-group sums of squares and their degrees of freedom,
      pooled over the pair and the groups, which estimate that variance.
    """
    pair = _pair(cells)
    n = pair[0]
    every = [pair, *groups]
    has = ibis.and_(*(g[0] > 0 for g in groups))
    figures = {
        "compared": n,
        "observed_log": pair[1],
        "expected_log": n * expected_mean,
        "log_excess": pair[1] - n * expected_mean,
        "weight": n * n * sum(1 / ibis.greatest(g[0], 1) for g in every),
        "squares": sum(_within(g) for g in every),
        "df": sum(g[0] for g in every) - len(every),
    }
    return {f"{name}_{k}": ibis.ifelse(has, v, 0).sum() for k, v in figures.items()}


def _ranked_sums(cells: ibis.Table, ref: str) -> dict[str, ir.Value]:
    """The pair against the officer's other declarations (`ref` "officer") or the party's
    declarations with other officers ("party"): the contrast sums, `<ref>_reference` (the
    reference's declarations), and van Elteren's statistic: per stratum, the rank sum of the
    pair within the officer's (party's) cell divided by N + 1, less its mean n / 2, summed in
    `<ref>_rank_excess`, and its variance v = n m / (12 (N + 1)) in `<ref>_rank_variance`
    (without the correction for ties, which would only shrink it); and v / (N + 1), summed
    in `<ref>_rank_step`: the stratum's step, 1 / (N + 1), weighted by its share of the
    variance, for the continuity correction."""
    others = _others(cells, ref)
    n, m = cells.n.cast("float64"), others[0]
    total = n + m
    has = m > 0
    rank_figures = {
        "reference": m,
        "rank_excess": cells[f"{ref}_ranks"] / (total + 1) - n / 2,
        "rank_variance": n * m / (12 * (total + 1)),
        "rank_step": n * m / (12 * (total + 1) ** 2),
    }
    return {
        **_contrast(cells, ref, _mean(others), [others]),
        **{f"{ref}_{k}": ibis.ifelse(has, v, 0).sum() for k, v in rank_figures.items()},
    }


def _interaction_sums(cells: ibis.Table) -> dict[str, ir.Value]:
    """The pair against what the officer's and the party's usual speeds predict in a two-way
    additive model of log time: officer's others + party's others − the rest of the stratum.
    A fast officer with a fast broker is as fast as both predict, and not flagged."""
    officer, party, rest = _others(cells, "officer"), _others(cells, "party"), _rest(cells)
    expected = _mean(officer) + _mean(party) - _mean(rest)
    sums = _contrast(cells, "both", expected, [officer, party, rest])
    has = (officer[0] > 0) & (party[0] > 0) & (rest[0] > 0)
    return {**sums, "both_reference": ibis.ifelse(has, rest[0], 0).sum()}


def _runs(periods: ibis.Table) -> ibis.Table:
    """Every run of consecutive periods of each pair (among the periods in which it has
    declarations), from `period_start` to `period_end`, with the sums of its periods: all
    the figures are sums over strata, so a run's are its periods' added up."""
    additive = [c for c in periods.columns if c not in (*PAIR, "period", "first_day", "last_day")]
    through = {c: periods[c].sum().over(ibis.cumulative_window(group_by=PAIR, order_by="period"))
               for c in additive}  # fmt: skip
    cumulative = periods.mutate(**{f"{c}_through": v for c, v in through.items()})
    starts = cumulative.select(
        *PAIR, start=_.period, period_start=_.first_day,
        **{f"{c}_before": cumulative[f"{c}_through"] - cumulative[c] for c in additive},
    )  # fmt: skip
    ends = cumulative.select(
        *PAIR, end=_.period, period_end=_.last_day,
        **{f"{c}_through": cumulative[f"{c}_through"] for c in additive},
    )  # fmt: skip
    runs = starts.join(ends, [*PAIR, starts.start <= ends.end])
    return runs.select(
        *PAIR, "period_start", "period_end",
        **{c: runs[f"{c}_through"] - runs[f"{c}_before"] for c in additive},
    )  # fmt: skip


def _strongest(runs: ibis.Table) -> ibis.Table:
    """Per pair, the run with the strongest evidence of faster release on every count (the
    least extreme of its three statistics the most extreme), and `runs`, how many were tried.
    A scheme starts and stops: a run that covers it, and no more, shows it best."""
    statistics = [_statistic(runs, c) for c in COMPARISONS]
    runs = runs.mutate(
        strength=ibis.greatest(*statistics),
        runs=_.period_start.count().over(group_by=PAIR),
    )
    # Rounded: runs whose statistics tie in exact arithmetic differ in their last bits by the
    # order of summation, which differs between backends; the earliest run then wins on both.
    order = [runs.strength.round(9), runs.period_start, runs.period_end]
    ranked = runs.mutate(choice=ibis.row_number().over(group_by=PAIR, order_by=order))
    return ranked.filter(ranked.choice == 0).drop("choice", "strength")


def _statistic(runs: ibis.Table, name: str) -> ir.FloatingValue:
    """The comparison's test statistic (negative: faster), as `_test` computes it."""
    if name in RANKED:
        variance = runs[f"{name}_rank_variance"]
        corrected = runs[f"{name}_rank_excess"] + runs[f"{name}_rank_step"] / variance / 2
        return ibis.ifelse(variance > 0, corrected / variance.sqrt(), 0.0)
    variance = runs[f"{name}_squares"] / runs[f"{name}_df"] * runs[f"{name}_weight"]
    usable = (runs[f"{name}_df"] > 0) & (variance > 0)
    return ibis.ifelse(usable, runs[f"{name}_log_excess"] / variance.sqrt(), 0.0)


def _whole_period(periods: ibis.Table) -> ibis.Table:
    """Per pair, over all its periods: the dates, the declarations and the sums that give the
    three speed ratios, for the reviewer to set the run against."""
    return periods.group_by(PAIR).aggregate(
        whole_start=_.first_day.min(),
        whole_end=_.last_day.max(),
        whole_declarations=_.declarations.sum(),
        **{f"whole_{c}_{f}": _[f"{c}_{f}"].sum() for c in COMPARISONS
           for f in ("log_excess", "compared")},
    )  # fmt: skip


def _material(pairs: ibis.Table, max_ratio: float) -> ir.BooleanValue:
    """Every ratio at most `max_ratio`: log excess ≤ log(max_ratio) × compared, each way."""
    bound = float(np.log(max_ratio))
    return ibis.and_(
        *(pairs[f"{c}_log_excess"] <= bound * pairs[f"{c}_compared"] for c in COMPARISONS),
    )


def _counterparts(by_party: ibis.Table, material: ibis.Table) -> ibis.Table:
    """For the material pairs only: `counterparts`, the pair's declarations in its run per
    party of the other role (the traders of a broker, the brokers of a trader)."""
    material = material.select(*PAIR, "period_start", "period_end")
    mine = by_party.filter(by_party.counterpart.notnull())
    mine = mine.join(material, PAIR).filter(_.day.between(_.period_start, _.period_end))
    per = mine.group_by([*PAIR, "counterpart"]).aggregate(declarations=_.count().cast("int32"))
    return per.group_by(PAIR).aggregate(
        counterparts=ibis.struct({"party_id": _.counterpart, "declarations": _.declarations})
        .collect()  # ordered in Python: not every backend orders within an aggregate
    )  # fmt: skip


def _left_join(left: ibis.Table, right: ibis.Table, keys: Sequence[str]) -> ibis.Table:
    return left.left_join(right, list(keys)).select(~s.endswith("_right"))


# The tests (pandas, per pair) ----------------------------------------------------------------


def _test(m: pd.DataFrame, name: str) -> pd.DataFrame:
    """Adds `<name>_ratio` (the stratum-matched ratio of geometric-mean release times) with
    its t-interval on the log scale (`<name>_ratio_low`, `<name>_ratio_high`), the statistic
    `<name>_z` and the one-sided p-value `<name>_p` for faster release: van Elteren's for the
    ranked comparisons (`_rank_test`), Student's t for the interaction."""
    n = m[f"{name}_compared"]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = m[f"{name}_log_excess"] / n
        df = m[f"{name}_df"].clip(lower=1)
        se = np.sqrt((m[f"{name}_squares"] / df).clip(lower=0) * m[f"{name}_weight"]) / n
        half = stats.t.ppf(0.5 + LEVEL / 2, df) * se
        if name in RANKED:
            z, p = _rank_test(m, name)
        else:
            z = log_ratio / se
            p = np.where((n > 0) & (se > 0), stats.t.cdf(z, df), 1.0)
    return m.assign(
        **{
            f"{name}_ratio": np.exp(log_ratio),
            f"{name}_ratio_low": np.exp(log_ratio - half),
            f"{name}_ratio_high": np.exp(log_ratio + half),
            f"{name}_z": z,
            f"{name}_p": p,
        }
    )


def _rank_test(m: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Van Elteren's statistic standardised, z, and its one-sided p for faster release.

    The statistic is the sum, over the n declarations compared, of each one's rank in its
    stratum divided by N + 1 (less 1/2): with large references, the sum of n independent
    uniform variables, whose law is Irwin–Hall's; with small ones, a sum drawn without
    replacement from a lattice of steps 1 / (N + 1), less spread (Hoeffding 1963). So z is
    moved half a step towards 0 (the steps weighted by the strata's shares of the variance)
    and p is the Irwin–Hall probability of a sum at least z of its standard deviations
    below its mean. The normal law, whose tails are far heavier than those of a bounded sum,
    overstates p by an order of magnitude at a dozen declarations (p ~ 1e-6); this does not,
    and checked against the exact permutation law of stratified tables of 1 to 12
    declarations it never understates p."""
    variance = m[f"{name}_rank_variance"].to_numpy(float)
    n = m[f"{name}_compared"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half_step = m[f"{name}_rank_step"].to_numpy(float) / variance / 2
        z = (m[f"{name}_rank_excess"].to_numpy(float) + half_step) / np.sqrt(variance)
        p = np.where(variance > 0, stats.norm.cdf(z), 1.0)
    small = (variance > 0) & (n <= IRWIN_HALL_UP_TO) & (z < 0)
    for count in np.unique(n[small]):
        rows = small & (n == count)
        p[rows] = stats.irwinhall(count).cdf(count / 2 + z[rows] * np.sqrt(count / 12))
    return z, p


def _slowest(m: pd.DataFrame) -> pd.Series:
    """The largest of the pair's three speed ratios: how much faster it is on every count."""
    ratios = [np.exp(m[f"{c}_log_excess"] / m[f"{c}_compared"]) for c in COMPARISONS]
    return pd.concat(ratios, axis=1).max(axis=1)


def _covering_brokers(m: pd.DataFrame) -> pd.Series:
    """For each material trader pair, the broker that brought most of its declarations (at
    least COVERING_SHARE of them) when that broker's pair with the same officer at the same
    office is material too: that broker's alert covers the trader. Empty otherwise."""
    brokers = m[m["material"] & (m["party_role"] == "declarant")]
    material_brokers = set(
        brokers[["office_code", "officer_id", "party_id"]].itertuples(False, None)
    )
    covered = pd.Series("", index=m.index)
    traders = m[m["material"] & (m["party_role"] == "trader")]
    for row in traders.itertuples():
        main = max(row.counterparts, key=lambda c: (c["declarations"], c["party_id"]))
        key = (row.office_code, row.officer_id, main["party_id"])
        if main["declarations"] >= COVERING_SHARE * row.declarations and key in material_brokers:
            covered[row.Index] = main["party_id"]
    return covered


def _finding(row, params: SelectiveSpeed.Params) -> Finding:
    role = ROLE_LABEL[row.party_role]
    start, end = _date(row.period_start), _date(row.period_end)
    comparisons = {c: _comparison(row, c) for c in COMPARISONS}
    officer, party = comparisons["officer"], comparisons["party"]
    evidence = {
        "office_code": row.office_code,
        "party_role": row.party_role,
        "period_start": start,
        "period_end": end,
        "declarations": int(row.declarations),
        **{COMPARISONS[c]: figures for c, figures in comparisons.items()},
        "comparable_work": _comparable_work(params),
        "test": TEST.format(role=role, unit=params.time_unit),
        "runs_tried": int(row.runs),
        "p_run": float(row.p_run),
        "whole_period": _whole(row),
    }
    if row.material:
        counterparts = sorted(row.counterparts, key=lambda c: (-c["declarations"], c["party_id"]))
        key = f"{ROLE_LABEL[COUNTERPART[row.party_role]]}s"
        evidence[key] = [dict(c) for c in counterparts[:TOP_COUNTERPARTS]]
    if row.covered_by:
        evidence["covered_by_broker"] = row.covered_by
    slowest = max(c["speed_ratio"] for c in comparisons.values())
    return Finding(
        subjects={"officer_id": row.officer_id, f"{row.party_role}_id": row.party_id},
        period_start=start,
        period_end=end,
        score=float(1 / slowest),
        flagged=bool(row.material and not row.covered_by),
        office_code=row.office_code,
        summary=(
            f"From {start} to {end}, officer {row.officer_id} released {role} "
            f"{row.party_id}'s declarations at {row.office_code} in "
            f"{officer['speed_ratio']:.0%} of the time the officer's other declarations took "
            f"and in {party['speed_ratio']:.0%} of the time other officers took for this "
            f"{role}, on comparable work ({officer['declarations']} and "
            f"{party['declarations']} of {row.declarations} declarations compared; {{q}})."
        ),
        evidence=evidence,
        p_value=float(row.p_value),
    )


def _whole(row) -> dict:
    """The pair over all its periods, for the reviewer to set the run against."""

    def ratio(c: str) -> float:
        return float(np.exp(getattr(row, f"whole_{c}_log_excess") /
                            getattr(row, f"whole_{c}_compared")))  # fmt: skip

    return {
        "period_start": _date(row.whole_start),
        "period_end": _date(row.whole_end),
        "declarations": int(row.whole_declarations),
        **{f"{COMPARISONS[c]}_speed_ratio": ratio(c) for c in COMPARISONS},
    }


def _comparison(row, name: str) -> dict:
    """One comparison in the evidence: counts, geometric-mean hours, ratio, statistic, p."""

    def figure(f: str):
        return getattr(row, f"{name}_{f}")

    n = figure("compared")
    return {
        "declarations": int(n),
        "reference_declarations": int(figure("reference")),
        "typical_release_hours": float(np.exp(figure("observed_log") / n)),
        "expected_release_hours": float(np.exp(figure("expected_log") / n)),
        "speed_ratio": float(figure("ratio")),
        "speed_ratio_ci95": [float(figure("ratio_low")), float(figure("ratio_high"))],
        "z" if name in RANKED else "t": float(figure("z")),
        "p_value": float(figure("p")),
    }


def _comparable_work(params: SelectiveSpeed.Params) -> str:
    """The strata in words, for the evidence."""
    parts = ["the same office", "final channel"]
    if params.by_outcome:
        parts.append("inspection outcome")
    if DAY_WORDS[params.day_pattern]:
        parts.append(DAY_WORDS[params.day_pattern])
    parts.append(params.time_unit)
    return (
        f"declarations assigned in {', '.join(parts[:-1])} and {parts[-1]}; release time from "
        "assignment (lodgement when not recorded) to release, on the log scale"
    )


def _date(value) -> date:
    return pd.Timestamp(value).date()
