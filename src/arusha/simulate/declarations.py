"""The monthly pipeline: lodgement, goods, risk channel, assignment, control, release.

Each stage is vectorised over the month's declarations. Planted instances act at two points:
`shape` (before assignment: which declarations exist, when, and to whom they must go) and
`adjust` (after assignment: how the assigned officer treats them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from arusha.simulate.batch import Declarations, Items, Month
from arusha.simulate.calendar import HOUR, MINUTE, NO_TIME
from arusha.simulate.config import (
    BLUE,
    DISCREPANCY,
    GREEN,
    IMPORT,
    NO_DISCREPANCY,
    RED,
    RELEASE_MEDIAN_HOURS,
    RELEASE_SIGMA,
    YELLOW,
)
from arusha.simulate.planted import Instance

# Lodgement intensity by hour of day at a round-the-clock office.
HOURLY = np.array([0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.0, 1.0, 1.0, 1.0,
                   0.9, 0.95, 1.0, 1.0, 0.9, 0.8, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2])  # fmt: skip
WEEKEND = (0.75, 0.55)  # Saturday and Sunday volume at offices open all week
CLOSED = 0.04  # electronic lodgement while the office is closed
ITEMS_CUM = np.cumsum([0.42, 0.25, 0.15, 0.11, 0.07])


def generate_month(
    month: Month, planted: Sequence[Instance], count: int
) -> tuple[Declarations, Items]:
    world = month.world
    d = lodge(month, count)
    for p in planted:
        p.shape(d, month)
    d = d.take(np.argsort(d.lodged, kind="stable"))
    d.desk = world.desk_of(d.office, d.good)
    d.work_time = world.calendar.to_open_time(d.office, d.lodged + _latency(month.rng, len(d)))
    items = declare_goods(month, d)
    select(month, d, items)
    assign(month, d)
    for p in planted:
        p.adjust(d, month)
    process(month, d)
    assess(month, d, items)
    release(month, d)
    return d, items


def lodge(month: Month, count: int) -> Declarations:
    """Who lodges what, where and when: traders by volume, their brokers and goods."""
    world, rng = month.world, month.rng
    traders = world.parties.traders
    active = (traders.first_month <= month.index) & (traders.last_month >= month.index)
    cum = np.cumsum(traders.weight * active)
    trader = np.minimum(
        np.searchsorted(cum, rng.random(count) * cum[-1], side="right"), len(cum) - 1
    )
    office = traders.office[trader]
    broker = traders.brokers[trader, _pick(traders.broker_cum[trader], rng)]
    good = traders.goods[trader, _pick(traders.goods_cum[trader], rng)]
    flow = _pick(world.office.flow_cum[office], rng)
    lodged = _lodging_times(month, office)
    return Declarations.lodged_batch(
        office, trader, broker, flow, lodged, good, world.desk_of(office, good)
    )


def _latency(rng: np.random.Generator, n: int) -> np.ndarray:
    """Minutes between lodgement and the system queueing the declaration (at most 45)."""
    return np.minimum(rng.exponential(12, n), 45).astype(np.int64) * MINUTE + MINUTE


def _pick(cum: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Column drawn per row from row-wise cumulative probabilities."""
    return (rng.random(len(cum))[:, None] >= cum).sum(axis=1)


def _lodging_times(month: Month, office: np.ndarray) -> np.ndarray:
    world, rng = month.world, month.rng
    days = month.first_day + np.arange(month.n_days)
    lodged = np.empty(len(office), dtype=np.int64)
    weekday = (days + 3) % 7
    for o, spec in enumerate(world.cfg.offices):
        rows = np.flatnonzero(office == o)
        is_open = world.calendar.open_on(np.full(len(days), o), days)
        day_w = np.where(is_open, 1.0, CLOSED)
        if spec.open_days == "1111111":
            day_w = day_w * np.select([weekday == 5, weekday == 6], WEEKEND, 1.0)
        hours = np.arange(24)
        inside = (hours >= spec.hours[0]) & (hours < spec.hours[1])
        hour_w = HOURLY * np.where(inside, 1.0, CLOSED)
        day = rng.choice(days, size=len(rows), p=day_w / day_w.sum())
        hour = rng.choice(24, size=len(rows), p=hour_w / hour_w.sum())
        lodged[rows] = day * 86_400 + hour * HOUR + rng.integers(0, HOUR, size=len(rows))
    return lodged


def declare_goods(month: Month, d: Declarations) -> Items:
    """One to five items; the first is the main good, the others from the trader's range."""
    world, rng = month.world, month.rng
    cat, traders = world.catalogue, world.parties.traders
    n_items = 1 + (rng.random(len(d))[:, None] >= ITEMS_CUM[:-1]).sum(axis=1)
    decl = np.repeat(np.arange(len(d)), n_items)
    first = np.concatenate(([0], np.cumsum(n_items)[:-1]))
    item_no = np.arange(len(decl)) - np.repeat(first, n_items) + 1
    trader = d.trader[decl]
    other = traders.goods[trader, _pick(traders.goods_cum[trader], rng)]
    good = np.where(item_no == 1, d.good[decl], other)
    code = cat.code_start[good] + (rng.random(len(decl)) * cat.code_count[good]).astype(int)
    origin = _pick(cat.origin_cum[good], rng)
    mass = (
        cat.mass[good]
        * traders.size[trader]
        * world.office.mass_factor[d.office[decl]]
        * rng.lognormal(0.0, 0.8, len(decl))
    )
    mass = np.maximum(np.round(mass, 2), 0.1)
    unit_value = (
        cat.unit_value[good]
        * cat.origin_price[origin]
        * traders.price[trader]
        * rng.lognormal(0.0, 0.3, len(decl))
    )
    return Items(decl, item_no, code, good, origin, mass, mass * unit_value)


def select(month: Month, d: Declarations, items: Items) -> None:
    """The risk engine: rules, then random selection, whichever is stricter."""
    world, rng = month.world, month.rng
    ruled = world.rules.channel(world.catalogue, d.trader, d.lodged, items.decl, items.code, rng)
    drawn = 3 - _pick(world.office.selection_cum[d.office], rng)  # red, yellow, blue, green
    d.risk = np.maximum(np.maximum(ruled, drawn), d.min_channel)
    d.risk[d.force_green] = GREEN


def assign(month: Month, d: Declarations) -> None:
    """Gives declarations to examiners on duty at their office and desk that day, at random
    weighted by workload capacity (as ASYCUDA does). A supervisor moves a few declarations to
    another examiner on duty. Steered declarations go to the examiner they were steered to;
    the intervention works by ending steering, not by changing this draw.
    """
    world, rng, roster = month.world, month.rng, month.roster
    cfg = world.cfg
    draw = rng.random(len(d))
    wanted = np.choose(d.risk, [cfg.green_assigned, cfg.blue_assigned, 1.0, 1.0])
    needs = (draw < wanted) & ~d.force_green & (d.force_officer < 0)
    day = roster.day_index(d.work_day())
    for (office, desk), postings in world.desks.items():
        rows = np.flatnonzero(needs & (d.office == office) & (d.desk == desk))
        if not len(rows):
            continue
        weight = roster.on[day[rows]][:, postings] * world.staff.capacity[postings]
        chosen = _draw_column(weight, rng)
        staffed = chosen >= 0
        d.officer[rows[staffed]] = postings[chosen[staffed]]
        _supervisor_moves(d, rows[staffed], postings, weight[staffed], month)
    forced = d.force_officer >= 0
    d.officer[forced] = d.force_officer[forced]


def _draw_column(weight: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A column per row with probability proportional to its weight; -1 if all are zero."""
    cum = np.cumsum(weight, axis=1)
    total = cum[:, -1]
    chosen = (cum <= (rng.random(len(weight)) * total)[:, None]).sum(axis=1)
    return np.where(total > 0, np.minimum(chosen, weight.shape[1] - 1), -1)


def _supervisor_moves(
    d: Declarations, rows: np.ndarray, postings: np.ndarray, weight: np.ndarray, month: Month
) -> None:
    world, rng = month.world, month.rng
    moved = rng.random(len(rows)) < world.cfg.honest_reassign
    new = postings[np.maximum(_draw_column(weight[moved], rng), 0)]
    rows = rows[moved]
    changed = new != d.officer[rows]
    rows, new = rows[changed], new[changed]
    d.reassigned_from[rows] = d.officer[rows]
    d.reassigned_by[rows] = world.supervisors[d.office[rows]]
    d.officer[rows] = new


def process(month: Month, d: Declarations) -> None:
    """The channel the declaration is processed in: overrides, softening, upgrades."""
    world, rng, cfg = month.world, month.rng, month.world.cfg
    honest = world.office.override_rate[d.office] * world.catalogue.override[d.good]
    rate = np.where(np.isnan(d.override_prob), honest, d.override_prob)
    handled = d.officer >= 0
    u = rng.random((4, len(d)))
    d.final = d.risk.copy()
    overridden = handled & (d.risk >= YELLOW) & (u[0] < rate)
    d.final[overridden] = np.where(u[1][overridden] < 0.7, GREEN, BLUE)
    softened = handled & (d.risk == RED) & ~overridden & (u[2] < cfg.red_to_yellow)
    d.final[softened] = YELLOW
    upgraded = handled & (d.risk <= BLUE) & (u[2] < cfg.upgrade_rate) & ~d.force_green
    d.final[upgraded] = np.where(u[3][upgraded] < 0.7, YELLOW, RED)


def assess(month: Month, d: Declarations, items: Items) -> None:
    """Control outcome, declared duties and the duties finally assessed."""
    world, rng = month.world, month.rng
    cat = world.catalogue
    items.value = np.maximum(np.round(items.value * d.value_factor[items.decl], 2), 1.0)
    taxed = items.value * cat.tax[items.good]
    d.declared = np.round(np.bincount(items.decl, taxed, minlength=len(d)), 2)
    d.declared[d.flow != IMPORT] = 0.0
    u = rng.random((2, len(d)))
    controlled = d.final >= YELLOW
    p_find = cat.risk[d.good] * np.where(d.final == RED, 1.15, 0.75) * d.finding_factor
    found = controlled & (u[0] < p_find) & ~d.no_findings
    # Blue is post-clearance: mostly no control yet, sometimes an audit outcome.
    blue = d.final == BLUE
    found |= blue & (u[1] < 0.02) & ~d.no_findings
    d.outcome = np.where(controlled | (blue & (u[1] < 0.15)), NO_DISCREPANCY, 0)
    d.outcome[found] = DISCREPANCY
    uplift = np.minimum(rng.lognormal(np.log(0.3), 0.6, len(d)), 3.0)
    penalty = np.round(rng.lognormal(np.log(300.0), 0.8, len(d)), 2)
    d.assessed = np.where(
        found,
        np.where(d.flow == IMPORT, np.round(d.declared * (1 + uplift), 2), d.declared + penalty),
        d.declared,
    )


def release(month: Month, d: Declarations) -> None:
    """Assignment when the office can act on the declaration; release after the channel's
    work, from then."""
    world, rng = month.world, month.rng
    handled = d.officer >= 0
    d.assigned = np.where(handled, d.work_time, NO_TIME)
    start = d.work_time
    median = np.array(RELEASE_MEDIAN_HOURS)[d.final]
    hours = rng.lognormal(np.log(median), np.array(RELEASE_SIGMA)[d.final])
    hours *= world.office.release_factor[d.office] * d.speed_factor
    hours *= np.where(d.outcome == DISCREPANCY, 1.8, 1.0)
    released = world.calendar.to_open_time(d.office, start + (hours * HOUR).astype(np.int64))
    abandoned = (rng.random(len(d)) < world.cfg.never_released) & ~d.force_green
    lost = abandoned | (released >= world.end_time)
    d.released = np.where(lost, NO_TIME, released)
