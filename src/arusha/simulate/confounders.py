"""Honest look-alikes: legitimate patterns a naive detector mistakes for corruption.

None of their subjects takes part in a scheme. Most need no mechanism of their own (the world
already makes them: desks, part-time capacity, the postal risk profile, tobacco goods); the
classes state them as truth rows so that tests and evaluations can prove they are not flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa

from arusha.simulate.batch import Declarations, Month
from arusha.simulate.config import YELLOW
from arusha.simulate.planted import Instance


@dataclass
class Confounder(Instance):
    kind: ClassVar[str] = "confounder"


@dataclass
class DeskSpecialist(Confounder):
    scheme: ClassVar[str] = "desk_specialist"
    desk: str

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} works the {self.desk} desk at {s.office_code}, served by "
            f"a few specialist brokers: the largest brings about {self.strength:.0%} of the "
            "desk's declarations, and assignment is random within the desk."
        )


@dataclass
class PartTime(Confounder):
    """Tiny volume, and one honest override early on: an extreme raw override rate."""

    scheme: ClassVar[str] = "part_time"
    posting: int
    first_month: int  # month from which the one override happens
    overridden: bool = False

    def adjust(self, d: Declarations, month: Month) -> None:
        if self.overridden or month.index < self.first_month:
            return
        mine = np.flatnonzero((d.officer == self.posting) & (d.risk >= YELLOW))
        if len(mine):
            d.override_prob[mine[0]] = 1.0
            self.overridden = True

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} at {s.office_code} works part time: two days a week at "
            f"{self.strength:.0%} of a full-timer's assignment weight, a few declarations a "
            "month, with one honest override among them."
        )


@dataclass
class HighOverrideOffice(Confounder):
    scheme: ClassVar[str] = "high_override_office"

    def description(self) -> str:
        return (
            f"At {self.subjects.office_code} the risk profile selects most low-value parcels "
            f"and every officer releases about {self.strength:.0%} of red and yellow "
            "declarations in green or blue after a document check."
        )


@dataclass
class HighRiskPosting(Confounder):
    scheme: ClassVar[str] = "high_risk_posting"
    desk: str

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} is posted to the {self.desk} desk at {s.office_code} "
            f"(tobacco and alcohol), goods with a base discrepancy risk of {self.strength:.0%}: "
            "controls find more, and more overrides and later cases touch this workload, "
            "because of the goods."
        )


@dataclass
class CommonNameRelative(Confounder):
    scheme: ClassVar[str] = "common_name_relative"
    name: str
    companies: list[str]  # party ids of the unrelated companies with an owner of that name

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} declared a relative named {self.name}, a very common "
            f"name that is also an owner of {len(self.companies)} unrelated companies "
            f"({', '.join(self.companies)}) whose declarations the examiner never clears."
        )


@dataclass
class RoutineRuleMaintenance(Confounder):
    scheme: ClassVar[str] = "routine_rule_maintenance"
    events_table: pa.Table

    def scheduled(self) -> list[pa.Table]:
        return [self.events_table]

    def description(self) -> str:
        return (
            f"Risk analyst {self.subjects.user_id} edits risk rules {int(self.strength)} "
            "times, always on working days in office hours (and re-enables any rule the "
            "same day)."
        )


@dataclass
class LongTenure(Confounder):
    scheme: ClassVar[str] = "long_tenure_non_sensitive"
    post: str

    def description(self) -> str:
        return (
            f"{self.post} {self.subjects.officer_id} has been at headquarters for "
            f"{self.strength:.1f} years: long, but not in a sensitive clearance post."
        )
