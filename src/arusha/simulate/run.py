"""`simulate`: builds the world, plants the schemes, then generates and writes month by month.

Randomness comes from one `SeedSequence(seed)` split into independent streams for the world,
the planting and each month, so the output depends only on (declarations, seed, format).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arusha.simulate.audit import background_schedule, month_events
from arusha.simulate.batch import Month
from arusha.simulate.cases import month_cases, numbered_cases
from arusha.simulate.config import SimConfig
from arusha.simulate.declarations import generate_month
from arusha.simulate.plan import plant
from arusha.simulate.planted import Instance
from arusha.simulate.rosters import month_roster
from arusha.simulate.tables import (
    DeclarationNumbers,
    declarations_table,
    interests_table,
    interventions_table,
    items_table,
    officers_table,
    parties_table,
    rules_table,
)
from arusha.simulate.truth import write_truth
from arusha.simulate.world import World, build_world
from arusha.simulate.writer import Format, Sinks

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SimulationResult:
    out_dir: Path
    truth_path: Path
    rows: dict[str, int]  # rows written per table
    months: int


def simulate(
    out_dir: Path,
    declarations: int,
    seed: int,
    fmt: Format = "csv",
    truth_path: Path | None = None,
    progress: Progress | None = None,
    *,
    config: SimConfig | None = None,
) -> SimulationResult:
    """Writes a synthetic administration's tables to `out_dir` and its truth file beside it."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use 'csv' or 'parquet'")
    cfg = config or SimConfig()
    out_dir = Path(out_dir)
    truth_path = Path(truth_path) if truth_path else Path(f"{out_dir}.truth.csv")
    world_seed, plan_seed, audit_seed, months_seed = np.random.SeedSequence(seed).spawn(4)
    world = build_world(cfg, declarations, _generator(world_seed))
    planted = plant(world, _generator(plan_seed))
    scheduled = pa.concat_tables(
        [
            *background_schedule(world, _generator(audit_seed)),
            *(t for p in planted for t in p.scheduled()),
        ]
    )
    log.info(
        "world: %d traders, %d officers",
        len(world.parties.traders.office),
        len(world.staff.officer_ids),
    )
    with Sinks(out_dir, fmt) as sinks:
        for name, table in _static_tables(world).items():
            sinks.write(name, table)
        cases = _write_months(world, planted, scheduled, sinks, months_seed, progress)
        cases += [c for p in planted for c in p.cases()]
        sinks.write("enforcement_cases", numbered_cases(cases))
        rows = sinks.rows
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    write_truth(truth_path, [p.truth() for p in planted])
    return SimulationResult(out_dir, truth_path, rows, cfg.months)


def _generator(seed: np.random.SeedSequence) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def _static_tables(world: World) -> dict[str, pa.Table]:
    return {
        "parties": parties_table(world),
        "officers": officers_table(world),
        "risk_rules": rules_table(world),
        "interests": interests_table(world),
        "interventions": interventions_table(world),
    }


def monthly_counts(cfg: SimConfig, total: int) -> np.ndarray:
    """Declarations per month: seasonality and growth, summing exactly to `total`."""
    months = np.arange(cfg.months)
    season = np.array(cfg.seasonality)[(cfg.start.month - 1 + months) % 12]
    weight = season * (1 + cfg.annual_growth) ** (months / 12)
    exact = total * weight / weight.sum()
    counts = np.floor(exact).astype(int)
    short = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


def _write_months(
    world: World,
    planted: list[Instance],
    scheduled: pa.Table,
    sinks: Sinks,
    seed: np.random.SeedSequence,
    progress: Progress | None,
) -> list[pa.Table]:
    """Generates and writes every month; returns the month's enforcement cases."""
    cfg = world.cfg
    cases = []
    numbers = DeclarationNumbers([o.code for o in cfg.offices])
    events = _EventNumbers()
    written = 0
    for m, (count, month_seed) in enumerate(
        zip(monthly_counts(cfg, world.declarations), seed.spawn(cfg.months), strict=True)
    ):
        first, after = world.month_starts[m], world.month_starts[m + 1]
        roster = month_roster(world.staff, world.calendar, world.desks, first, after - first)
        month = Month(world, m, first, after - first, roster, _generator(month_seed))
        d, items = generate_month(month, planted, int(count))
        numbers.assign(d, month.year)
        sinks.write("declarations", declarations_table(world, d))
        sinks.write("items", items_table(world, d, items))
        batch = [
            *month_events(month, d),
            *(e for p in planted for e in p.events(d, month)),
            _in_month(scheduled, month),
        ]
        sinks.write("audit_events", events.number(_before(pa.concat_tables(batch), world)))
        cases.append(month_cases(month, d))
        written += len(d)
        if progress is not None:
            progress(written, world.declarations)
    return cases


def _in_month(events: pa.Table, month: Month) -> pa.Table:
    when = events["occurred_at"].cast(pa.int64())
    inside = pc.and_(pc.greater_equal(when, month.start_time), pc.less(when, month.end_time))
    return events.filter(inside)


def _before(events: pa.Table, world: World) -> pa.Table:
    """Drops what the trail would record after the span (work on its last declarations)."""
    return events.filter(pc.less(events["occurred_at"].cast(pa.int64()), world.end_time))


class _EventNumbers:
    """Sorts each month's events by time and numbers them EV000000001, ... across months."""

    def __init__(self) -> None:
        self.issued = 0

    def number(self, events: pa.Table) -> pa.Table:
        events = events.sort_by([("occurred_at", "ascending")])
        serial = pa.array(np.arange(self.issued + 1, self.issued + 1 + events.num_rows))
        self.issued += events.num_rows
        ids = pc.binary_join_element_wise("EV", pc.utf8_lpad(serial.cast(pa.string()), 9, "0"), "")
        return events.append_column("event_id", ids)
