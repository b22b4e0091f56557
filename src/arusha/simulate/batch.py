"""One month of declarations and items as parallel numpy arrays.

The monthly pipeline fills the arrays stage by stage; planted schemes steer it through the
`force_*`, `*_factor` and `*_prob` arrays rather than by rewriting results afterwards, so
every downstream figure (duties, release times, audit events) stays consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from arusha.simulate.calendar import DAY, NO_TIME, day_date
from arusha.simulate.rosters import Roster
from arusha.simulate.world import World


@dataclass
class Month:
    """What a month's generation works from: the world, that month's roster and randomness."""

    world: World
    index: int
    first_day: int
    n_days: int
    roster: Roster
    rng: np.random.Generator

    @property
    def start_time(self) -> int:
        return self.first_day * DAY

    @property
    def end_time(self) -> int:
        """First second after the month."""
        return (self.first_day + self.n_days) * DAY

    @property
    def year(self) -> int:
        return day_date(self.first_day).year


@dataclass
class Declarations:
    office: np.ndarray
    trader: np.ndarray
    broker: np.ndarray
    flow: np.ndarray
    lodged: np.ndarray  # epoch seconds
    good: np.ndarray  # HS6 of the main item; decides the desk
    desk: np.ndarray
    # Set by schemes before assignment.
    force_officer: np.ndarray  # posting the declaration must go to, -1 none
    force_green: np.ndarray  # released green without an officer (rule tampering)
    min_channel: np.ndarray  # the engine selects at least this channel
    no_findings: np.ndarray  # a control on it finds nothing, whatever the goods
    value_factor: np.ndarray  # multiplies declared item values (undervaluation)
    # Set by the pipeline, adjusted by schemes after assignment.
    work_time: np.ndarray  # when the office can first act on it: the assignment time
    risk: np.ndarray
    officer: np.ndarray  # posting, -1 none
    reassigned_from: np.ndarray  # posting, -1 none
    reassigned_by: np.ndarray  # posting who reassigned it
    override_prob: np.ndarray  # NaN: the office and goods' honest rate
    finding_factor: np.ndarray
    speed_factor: np.ndarray
    final: np.ndarray
    outcome: np.ndarray
    declared: np.ndarray
    assessed: np.ndarray
    assigned: np.ndarray
    released: np.ndarray
    ids: pa.Array | None = None

    @classmethod
    def lodged_batch(
        cls,
        office: np.ndarray,
        trader: np.ndarray,
        broker: np.ndarray,
        flow: np.ndarray,
        lodged: np.ndarray,
        good: np.ndarray,
        desk: np.ndarray,
    ) -> Declarations:
        n = len(office)
        minus_one = np.full(n, -1)
        return cls(
            office,
            trader,
            broker,
            flow,
            lodged,
            good,
            desk,
            force_officer=minus_one.copy(),
            force_green=np.zeros(n, dtype=bool),
            min_channel=np.zeros(n, dtype=int),
            no_findings=np.zeros(n, dtype=bool),
            value_factor=np.ones(n),
            work_time=lodged.copy(),
            risk=np.zeros(n, dtype=int),
            officer=minus_one.copy(),
            reassigned_from=minus_one.copy(),
            reassigned_by=minus_one.copy(),
            override_prob=np.full(n, np.nan),
            finding_factor=np.ones(n),
            speed_factor=np.ones(n),
            final=np.zeros(n, dtype=int),
            outcome=np.zeros(n, dtype=int),
            declared=np.zeros(n),
            assessed=np.zeros(n),
            assigned=np.full(n, NO_TIME),
            released=np.full(n, NO_TIME),
        )

    def __len__(self) -> int:
        return len(self.office)

    def take(self, order: np.ndarray) -> Declarations:
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "ids"}
        return Declarations(**{name: a[order] for name, a in arrays.items()})

    def day(self) -> np.ndarray:
        return self.lodged // DAY

    def work_day(self) -> np.ndarray:
        return self.work_time // DAY


@dataclass
class Items:
    decl: np.ndarray  # row of the declaration in its batch
    item_no: np.ndarray
    code: np.ndarray  # national tariff line
    good: np.ndarray  # HS6
    origin: np.ndarray  # country index
    mass: np.ndarray
    value: np.ndarray
