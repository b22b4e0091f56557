"""What every planted instance (scheme, confounder, intervention effect) shares.

An instance acts on the generation through hooks that default to nothing, and states itself
as one truth row. `steer` is the one mechanism several schemes reuse: collusive routing of
declarations to one officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa

from arusha.simulate.batch import Declarations, Month
from arusha.simulate.calendar import DAY, HOUR, day_date
from arusha.simulate.truth import Subjects, TruthRow


@dataclass(frozen=True)
class Period:
    first_day: int  # day numbers, inclusive
    last_day: int

    def holds(self, days: np.ndarray) -> np.ndarray:
        return (days >= self.first_day) & (days <= self.last_day)

    def days_in(self, month: Month) -> np.ndarray:
        days = month.first_day + np.arange(month.n_days)
        return days[self.holds(days)]

    @property
    def dates(self) -> tuple[str, str]:
        return day_date(self.first_day).isoformat(), day_date(self.last_day).isoformat()


@dataclass
class Instance:
    """A planted instance; subclasses set `scheme`, override the hooks they need and say
    what they planted in `description`."""

    instance_id: str
    subjects: Subjects
    period: Period
    strength: float

    kind: ClassVar[str] = "scheme"
    scheme: ClassVar[str]
    also_seen_by: ClassVar[tuple[str, ...]] = ()  # other detectors this instance shows to

    def shape(self, d: Declarations, month: Month) -> None:
        """Before assignment: change which declarations exist, when, to whom they must go."""

    def adjust(self, d: Declarations, month: Month) -> None:
        """After assignment: change how the assigned officer treats declarations."""

    def events(self, d: Declarations, month: Month) -> list[pa.Table]:
        """Audit events that follow from the month's declarations."""
        return []

    def scheduled(self) -> list[pa.Table]:
        """Audit events fixed when planting (rule edits, role grants, exports)."""
        return []

    def cases(self) -> list[pa.Table]:
        """Enforcement cases fixed when planting."""
        return []

    def description(self) -> str:
        raise NotImplementedError

    def truth(self) -> TruthRow:
        start, end = self.period.dates
        return TruthRow(
            instance_id=self.instance_id,
            kind=self.kind,
            scheme=self.scheme,
            subjects=self.subjects,
            period_start=start,
            period_end=end,
            strength=round(self.strength, 4),
            description=self.description(),
            also_seen_by=";".join(self.also_seen_by),
        )

    def handled_by(self, d: Declarations, posting: int) -> np.ndarray:
        """Declarations of the period the posting handles."""
        return (d.officer == posting) & self.period.holds(d.work_day())


def steer(
    d: Declarations, month: Month, posting: int, rows: np.ndarray, share: float, period: Period
) -> np.ndarray:
    """Sends `share` of the given declarations to one examiner, as a colluding broker does by
    lodging on the examiner's duty days and having them routed to the examiner.

    Only declarations of the examiner's office and desk in the period, not already steered,
    can be steered. Returns the steered rows.
    """
    world, rng = month.world, month.rng
    staff = world.staff
    eligible = (
        rows
        & (d.office == staff.office[posting])
        & (d.desk == staff.desk[posting])
        & (d.force_officer < 0)
        & ~d.force_green
        & period.holds(d.day())
    )
    chosen = np.flatnonzero(eligible & (rng.random(len(d)) < share))
    duty = np.intersect1d(month.roster.duty_days(posting), period.days_in(month))
    if not len(duty) or not len(chosen):
        return chosen[:0]
    opening, closing = world.cfg.offices[staff.office[posting]].hours
    # Lodged in the examiner's working hours, early enough to be assigned the same day.
    second = opening * HOUR + rng.integers(0, (closing - opening - 1) * HOUR, size=len(chosen))
    d.lodged[chosen] = rng.choice(duty, size=len(chosen)) * DAY + second
    d.force_officer[chosen] = posting
    return chosen
