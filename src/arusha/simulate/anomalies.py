"""The `audit.anomalies` scheme: what a corrupt officer leaves in the audit trail.

Self-reassignment of a broker's declarations, documents deleted after release, a role granted
with no change of posting, and a night-time burst of data exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa

from arusha.simulate.audit import document_deletions
from arusha.simulate.batch import Declarations, Month
from arusha.simulate.calendar import DAY, HOUR, MINUTE, clock_text
from arusha.simulate.events import event_table
from arusha.simulate.planted import Instance


@dataclass
class SelfReassignment(Instance):
    scheme: ClassVar[str] = "audit.anomalies"
    # the declarations end with the officer: steering by the back door
    also_seen_by: ClassVar[tuple[str, ...]] = ("assignment.steering", "network.crime_links")
    posting: int
    broker: int

    def adjust(self, d: Declarations, month: Month) -> None:
        staff, roster = month.world.staff, month.roster
        on_duty = roster.on[roster.day_index(d.work_day()), self.posting]
        rows = np.flatnonzero(
            (d.broker == self.broker)
            & (d.office == staff.office[self.posting])
            & (d.desk == staff.desk[self.posting])
            & (d.officer >= 0)
            & (d.officer != self.posting)
            & (d.force_officer < 0)
            & self.period.holds(d.work_day())
            & on_duty
            & (month.rng.random(len(d)) < self.strength)
        )
        d.reassigned_from[rows] = d.officer[rows]
        d.reassigned_by[rows] = self.posting
        d.officer[rows] = self.posting

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} reassigns to themself {self.strength:.0%} of broker "
            f"{s.declarant_id}'s declarations first assigned to colleagues at "
            f"{s.office_code} (reassign events whose user is the new assignee)."
        )


@dataclass
class DeletedAfterRelease(Instance):
    scheme: ClassVar[str] = "audit.anomalies"
    posting: int
    broker: int

    def events(self, d: Declarations, month: Month) -> list[pa.Table]:
        rng = month.rng
        rows = np.flatnonzero(
            self.handled_by(d, self.posting)
            & (d.broker == self.broker)
            & (d.released > 0)
            & (rng.random(len(d)) < self.strength)
        )
        when = d.released[rows] + rng.integers(2 * HOUR, 10 * DAY, len(rows))
        rows, when = rows[when < month.world.end_time], when[when < month.world.end_time]
        return [document_deletions(month, d, rows, when)]

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} deletes a document of {self.strength:.0%} of broker "
            f"{s.declarant_id}'s declarations they handled at {s.office_code}, hours to days "
            "after release."
        )


@dataclass
class UnexplainedGrant(Instance):
    scheme: ClassVar[str] = "audit.anomalies"
    when: int
    role: str
    workstation: str

    def scheduled(self) -> list[pa.Table]:
        admin, target = self.subjects.user_id, self.subjects.officer_id
        return [
            event_table(
                [self.when - 4 * MINUTE, self.when],
                admin,
                ["login", "grant_role"],
                "user",
                [admin, target],
                [None, "examiner"],
                [None, self.role],
                self.workstation,
            )
        ]

    def description(self) -> str:
        s = self.subjects
        return (
            f"IT administrator {s.user_id} grants the role {self.role} to examiner "
            f"{s.officer_id} on {clock_text(self.when)}, with no change of posting in the HR "
            "register."
        )


EXPORT_OBJECTS = np.array(["declarations", "traders", "risk_profiles", "valuation_database"])


@dataclass
class ExportBurst(Instance):
    scheme: ClassVar[str] = "audit.anomalies"
    times: np.ndarray  # epoch seconds of the exports
    sizes: np.ndarray  # rows exported each time
    workstation: str

    def scheduled(self) -> list[pa.Table]:
        n, user = len(self.times), self.subjects.user_id
        login = event_table(
            [self.times[0] - 6 * MINUTE], user, "login", "user", user, workstation=self.workstation
        )
        exports = event_table(
            self.times,
            user,
            "export_data",
            "report",
            EXPORT_OBJECTS[np.arange(n) % len(EXPORT_OBJECTS)],
            None,
            np.char.add("rows=", self.sizes.astype(str)),
            self.workstation,
        )
        return [login, exports]

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} of {s.office_code} runs {len(self.times)} export_data "
            f"within about an hour from {clock_text(int(self.times[0]))}, from a remote "
            "workstation."
        )
