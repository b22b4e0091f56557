"""The planted corruption schemes, one class per way a scheme shows in the data (the audit
trail anomalies are in `anomalies`).

Each class states its mechanism in its hooks and its magnitude (`strength`) in the unit its
detector measures; `docs/simulation.md` lists them with the queries that reveal them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pyarrow as pa

from arusha.simulate.batch import Declarations, Month
from arusha.simulate.calendar import MINUTE, clock_text
from arusha.simulate.config import IMPORT, YELLOW
from arusha.simulate.events import event_table
from arusha.simulate.planted import Instance, steer
from arusha.simulate.rules import Rule


@dataclass
class AssignmentSteering(Instance):
    scheme: ClassVar[str] = "assignment.steering"
    # the officer clears most of the broker's declarations, of traders with cases among them
    also_seen_by: ClassVar[tuple[str, ...]] = ("network.crime_links",)
    posting: int
    broker: int

    def shape(self, d: Declarations, month: Month) -> None:
        steer(d, month, self.posting, d.broker == self.broker, self.strength, self.period)

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} receives at least {self.strength:.0%} of broker "
            f"{s.declarant_id}'s declarations at {s.office_code}: the broker lodges on the "
            "examiner's duty days and has them routed to the examiner, where random "
            "assignment would share them among all the examiners on duty."
        )


@dataclass
class RiskOverride(Instance):
    scheme: ClassVar[str] = "risk.override"
    posting: int

    def adjust(self, d: Declarations, month: Month) -> None:
        d.override_prob[self.handled_by(d, self.posting)] = self.strength

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} at {s.office_code} processes {self.strength:.0%} of the "
            "red and yellow declarations assigned to them in green or blue (peers about 3%), "
            "each with a change_channel event."
        )


@dataclass
class SuppressedFindings(Instance):
    scheme: ClassVar[str] = "control.suppressed_findings"
    posting: int

    def adjust(self, d: Declarations, month: Month) -> None:
        d.finding_factor[self.handled_by(d, self.posting)] = self.strength

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id}'s red and yellow controls at {s.office_code} find "
            f"discrepancies at {self.strength:.0%} of the rate of peers on the same goods; "
            "duties assessed stay equal to duties declared."
        )


@dataclass
class _Collusion(Instance):
    """An officer has part of a trader's declarations steered to them and clears every one of
    the trader's declarations they handle without findings."""

    also_seen_by: ClassVar[tuple[str, ...]] = (
        "assignment.steering",
        "control.suppressed_findings",
        "network.crime_links",  # when the trader has an enforcement case of its own
    )
    posting: int
    trader: int

    def steered_share(self) -> float:
        return self.strength

    def shape(self, d: Declarations, month: Month) -> None:
        rows = d.trader == self.trader
        self.on_steered(d, steer(d, month, self.posting, rows, self.steered_share(), self.period))

    def on_steered(self, d: Declarations, rows: np.ndarray) -> None:
        """What else the steered declarations carry."""

    def adjust(self, d: Declarations, month: Month) -> None:
        d.no_findings[self.handled_by(d, self.posting) & (d.trader == self.trader)] = True


STEERED_SHARE = 0.6  # of an undervaluing trader's declarations routed to the officer


@dataclass
class AcceptedUndervaluation(_Collusion):
    scheme: ClassVar[str] = "valuation.accepted_undervaluation"

    def steered_share(self) -> float:
        return STEERED_SHARE

    def on_steered(self, d: Declarations, rows: np.ndarray) -> None:
        d.value_factor[rows] = self.strength
        d.min_channel[rows] = YELLOW  # the valuation profile catches the low prices...
        d.override_prob[rows] = 0.0  # ...and the officer controls them, finding nothing

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} receives about {STEERED_SHARE:.0%} of trader "
            f"{s.trader_id}'s declarations at {s.office_code} and releases them from yellow "
            f"or red with item unit values at {self.strength:.0%} of the HS6 and origin "
            "median, without discrepancy or uplift."
        )


@dataclass
class SelectiveSpeed(Instance):
    scheme: ClassVar[str] = "release.selective_speed"
    posting: int
    broker: int

    def adjust(self, d: Declarations, month: Month) -> None:
        rows = self.handled_by(d, self.posting) & (d.broker == self.broker)
        d.speed_factor[rows] = self.strength

    def description(self) -> str:
        s = self.subjects
        return (
            f"Broker {s.declarant_id}'s declarations handled by examiner {s.officer_id} at "
            f"{s.office_code} are released in {self.strength:.0%} of the time the same "
            "channel takes otherwise, with this officer or others."
        )


@dataclass
class RulesTampering(Instance):
    """A rule is switched off (disabled, or edited to match nothing) for a few hours while a
    trader it targets pushes declarations through in green."""

    scheme: ClassVar[str] = "rules.tampering"
    post: str  # of the account that tampers
    rule: Rule
    trader: int
    office: int
    window: tuple[int, int]  # epoch seconds
    edit: tuple[str, str] | None  # old and new value when the rule is edited, not disabled
    workstation: str

    def scheduled(self) -> list[pa.Table]:
        start, stop = self.window
        if self.edit is None:
            actions = ("disable_risk_rule", "enable_risk_rule")
            values = (("active", "inactive"), ("inactive", "active"))
        else:
            actions = ("edit_risk_rule", "edit_risk_rule")
            values = (self.edit, self.edit[::-1])
        user = self.subjects.user_id
        login = event_table(
            [start - 7 * MINUTE], user, "login", "user", user, workstation=self.workstation
        )
        changes = event_table(
            [start, stop],
            user,
            list(actions),
            "risk_rule",
            self.rule.rule_id,
            [v[0] for v in values],
            [v[1] for v in values],
            self.workstation,
        )
        return [login, changes]

    def shape(self, d: Declarations, month: Month) -> None:
        start, stop = self.window
        if not month.start_time <= start < month.end_time:
            return
        world, rng = month.world, month.rng
        traders = world.parties.traders
        free = np.flatnonzero((d.office == self.office) & (d.force_officer < 0) & ~d.force_green)
        rows = rng.choice(free, size=min(int(self.strength), len(free)), replace=False)
        d.trader[rows] = self.trader
        d.broker[rows] = traders.brokers[self.trader, 0]
        d.good[rows] = traders.goods[self.trader, 0]
        d.flow[rows] = IMPORT
        d.lodged[rows] = start + rng.integers(10 * MINUTE, stop - start - 30 * MINUTE, len(rows))
        # Everything the trader lodges while the rule is off goes through green, fast.
        passing = (d.trader == self.trader) & (d.lodged >= start) & (d.lodged < stop)
        d.force_green[passing] = True
        d.speed_factor[passing] = 0.3

    def description(self) -> str:
        s, (start, stop) = self.subjects, self.window
        how = "edited" if self.edit else "disabled"
        return (
            f"The {self.post} account {s.user_id} {how} rule {s.rule_id} "
            f"({self.rule.description}) from {clock_text(start)} to {clock_text(stop)}; "
            f"{int(self.strength)} declarations of trader {s.trader_id} were lodged at "
            f"{s.office_code} in that window and released green."
        )


@dataclass
class InterestConflict(_Collusion):
    scheme: ClassVar[str] = "interests.conflict"
    how: str  # what links the officer to the company, for the description

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} clears trader {s.trader_id}'s declarations at "
            f"{s.office_code} (at least {self.strength:.0%} of them, without findings): "
            f"{self.how}."
        )


@dataclass
class CrimeLink(_Collusion):
    scheme: ClassVar[str] = "network.crime_links"
    case_rows: pa.Table  # the trader's later cases, without case_id

    def cases(self) -> list[pa.Table]:
        return [self.case_rows]

    def description(self) -> str:
        s = self.subjects
        by = "by name only" if self.case_rows["party_id"].null_count else "by party id"
        return (
            f"Examiner {s.officer_id} clears at least {self.strength:.0%} of trader "
            f"{s.trader_id}'s declarations at {s.office_code} green or without findings; "
            f"the trader appears later in enforcement cases ({by})."
        )


@dataclass
class RotationOverstay(Instance):
    scheme: ClassVar[str] = "staff.rotation_overstay"

    def description(self) -> str:
        s = self.subjects
        return (
            f"Examiner {s.officer_id} has been posted at {s.office_code} continuously for "
            f"{self.strength:.1f} years at the end of the span (rotation policy: 5 years)."
        )


@dataclass
class InterventionEffect(Instance):
    kind: ClassVar[str] = "intervention"
    scheme: ClassVar[str] = "intervention.effect"
    name: str
    ended: str  # instance id of the scheme the intervention stops

    def description(self) -> str:
        s = self.subjects
        return (
            f"The intervention '{self.name}' at {s.office_code} from {self.period.dates[0]} "
            f"ends {self.ended}: examiner {s.officer_id}'s share of broker {s.declarant_id}'s "
            f"declarations falls from at least {self.strength:.0%} to a random share."
        )
