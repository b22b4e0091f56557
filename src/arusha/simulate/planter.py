"""Chooses the participants, periods and names of planted instances, so that none overlaps.

Scheme officers are full-time general examiners in post for the whole span (no transfer), never
at the postal office (the high-override confounder), never a confounder or an overstayer; each
officer, broker and trader takes part in one instance at most.
"""

from __future__ import annotations

import numpy as np

from arusha.simulate import names
from arusha.simulate.config import EXAMINER, IT_ADMIN
from arusha.simulate.goods import SECTORS
from arusha.simulate.parties import DESK_SECTORS
from arusha.simulate.planted import Period
from arusha.simulate.staff import PART_TIME, YEAR
from arusha.simulate.truth import Subjects
from arusha.simulate.world import World

HIGH_OVERRIDE_OFFICE = "PST01"
TRANSLITERABLE_GIVEN = ("Mohamed", "Yusuf", "Ibrahim", "Omar", "Ahmed", "Aisha", "Fatuma",
                        "Halima", "Zainab", "Said")  # fmt: skip
TRANSLITERABLE_SURNAMES = ("Hassan", "Abdallah", "Salim", "Juma", "Rashid", "Khamis", "Said")


class Planter:
    def __init__(self, world: World, rng: np.random.Generator) -> None:
        self.world, self.rng = world, rng
        staff = world.staff
        self.counts: dict[str, int] = {}
        self.free_examiners = set(
            np.flatnonzero(
                staff.covering(world.span)
                & (staff.post == EXAMINER)
                & (staff.desk == 0)
                & (staff.pattern != PART_TIME)
                & ~np.isin(np.arange(len(staff.post)), staff.overstay)
                & (staff.office != world.office_index(HIGH_OVERRIDE_OFFICE))
            ).tolist()
        )
        self.free_admins = np.flatnonzero(
            (staff.post == IT_ADMIN) & staff.covering(world.span)
        ).tolist()
        self.used_traders = world.rules.traders()
        self.used_brokers: set[int] = set()
        # Brokers steered at an office: their traders there are not steered to anyone else.
        self.steered_brokers: dict[int, set[int]] = {}
        self.broker_volume = _broker_volume(world)
        self.monthly = world.declarations / world.cfg.months  # declarations a month
        self.examiner_load = _examiner_load(world, self.monthly)
        self.owner_keys = _owner_keys(world)

    def instance_id(self, scheme: str) -> str:
        """`<scheme>-<n>`, numbered within the scheme in planting order."""
        self.counts[scheme] = self.counts.get(scheme, 0) + 1
        return f"{scheme}-{self.counts[scheme]}"

    # Participants -------------------------------------------------------------------------

    def examiner(self, code: str) -> int | None:
        office = self.world.office_index(code)
        pool = sorted(p for p in self.free_examiners if self.world.staff.office[p] == office)
        if not pool:
            return None
        chosen = int(self.rng.choice(pool))
        self.free_examiners.discard(chosen)
        return chosen

    def it_admin(self) -> int | None:
        return self.free_admins.pop(0) if self.free_admins else None

    def broker(self, office: int, workload: float) -> int | None:
        """A general broker of the office not yet in a scheme, lodging about `workload` times
        what one examiner of the office handles a month (so a scheme routing part of it to an
        examiner adds work on a plausible scale)."""
        monthly = (
            self.monthly * self.broker_volume[office] / self.world.parties.traders.weight.sum()
        )
        monthly[list(self.used_brokers)] = 0
        monthly[self.world.parties.brokers.desk > 0] = 0
        chosen = self._sized(monthly, workload * self.examiner_load[office])
        if chosen is not None:
            self.used_brokers.add(chosen)
        return chosen

    def trader(self, office: int, workload: float) -> int | None:
        """A steady general-goods trader of the office, sized like `broker`, not yet used and
        using no steered broker (a trader cannot be steered to two officers at once)."""
        world = self.world
        traders = world.parties.traders
        desk_sectors = [i for i, s in enumerate(SECTORS) if s in DESK_SECTORS]
        fits = (
            (traders.office == office)
            & traders.steady(world.cfg.months)
            & ~np.isin(traders.sector, desk_sectors)
            & ~np.isin(traders.brokers, list(self.steered_brokers.get(office, ()))).any(axis=1)
        )
        monthly = np.where(fits, self.monthly * traders.weight / traders.weight.sum(), 0.0)
        monthly[list(self.used_traders)] = 0
        chosen = self._sized(monthly, workload * self.examiner_load[office])
        if chosen is not None:
            self.used_traders.add(chosen)
        return chosen

    @staticmethod
    def _sized(monthly: np.ndarray, target: float) -> int | None:
        """The candidate (monthly volume > 0) whose volume is closest to the target's."""
        candidates = np.flatnonzero(monthly > 0)
        if not len(candidates):
            return None
        return int(candidates[np.argmin(np.abs(np.log(monthly[candidates] / target)))])

    def fresh_person(self, transliterable: bool = False) -> str:
        """A three-word name nobody in the registers carries, in any spelling."""
        rng = self.rng
        while True:
            if transliterable:
                given = (rng.choice(TRANSLITERABLE_GIVEN), rng.choice(names.GIVEN_NAMES))
                name = " ".join((*given, rng.choice(TRANSLITERABLE_SURNAMES)))
            else:
                name = names.person_names(rng, 1)[0]
            key = names.name_key(name)
            if len(name.split()) == 3 and len(key) == 3 and key not in self.owner_keys:
                self.owner_keys.add(key)
                return name

    # Periods and subjects -----------------------------------------------------------------

    def months(self, first: int, last: int) -> Period:
        starts = self.world.month_starts
        return Period(starts[first], starts[last + 1] - 1)

    def random_months(
        self, shortest: float = 0.45, longest: float = 0.75, free_at_end: int = 0
    ) -> Period:
        """A run of whole months, between the given shares of the span long."""
        n = self.world.cfg.months
        low = max(2, round(shortest * n))
        length = int(self.rng.integers(low, max(low, round(longest * n)) + 1))
        latest = max(0, n - 1 - free_at_end)
        first = int(self.rng.integers(0, max(1, latest - length + 2)))
        return self.months(first, max(first, min(first + length - 1, latest)))

    def random_month(self) -> Period:
        """A month away from the span's edges."""
        n = self.world.cfg.months
        first = min(2, n - 1)
        m = int(self.rng.integers(first, max(first + 1, n - 1)))
        return self.months(m, m)

    @property
    def whole_span(self) -> Period:
        return Period(self.world.span.first_day, self.world.span.last_day)

    def working_days(self, period: Period) -> np.ndarray:
        """Days of the period on which headquarters works (no weekend, no holiday)."""
        days = np.arange(period.first_day, period.last_day + 1)
        headquarters = np.full(len(days), self.world.staff.headquarters)
        return days[self.world.calendar.open_on(headquarters, days)]

    def subjects(
        self,
        posting: int | None = None,
        broker: int | None = None,
        trader: int | None = None,
        user: int | None = None,
        rule_id: str = "",
        office: int | None = None,
    ) -> Subjects:
        """The ids of the subjects; the office defaults to the posting's."""
        staff, parties = self.world.staff, self.world.parties
        if office is None and posting is not None:
            office = int(staff.office[posting])
        return Subjects(
            officer_id="" if posting is None else str(staff.officer_of(posting)),
            declarant_id="" if broker is None else str(parties.brokers.register.ids[broker]),
            trader_id="" if trader is None else str(parties.traders.register.ids[trader]),
            user_id="" if user is None else str(staff.officer_of(user)),
            rule_id=rule_id,
            office_code="" if office is None else staff.office_codes[office],
        )

    def tenure(self, posting: int) -> tuple[Subjects, Period, float]:
        """Subjects, period and length in years of a posting that runs to the span's end."""
        staff, last_day = self.world.staff, self.world.span.last_day
        start = int(staff.start[posting])
        return self.subjects(posting), Period(start, last_day), (last_day + 1 - start) / YEAR

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))


def _broker_volume(world: World) -> np.ndarray:
    """[office, broker] expected relative volume of each broker at each office."""
    traders, brokers = world.parties.traders, world.parties.brokers
    share = np.diff(traders.broker_cum, axis=1, prepend=0.0)
    volume = np.zeros((len(world.cfg.offices), len(brokers.home)))
    used = traders.brokers >= 0
    office = np.broadcast_to(traders.office[:, None], used.shape)
    np.add.at(
        volume, (office[used], traders.brokers[used]), (traders.weight[:, None] * share)[used]
    )
    return volume


def top_broker_share(world: World, office: int, desk: int) -> float:
    """Expected share of a specialised desk's declarations its largest broker lodges."""
    volume = _broker_volume(world)[office] * (world.parties.brokers.desk == desk)
    return float(volume.max() / volume.sum())


def _examiner_load(world: World, monthly: float) -> np.ndarray:
    """Declarations lodged a month at each office per general examiner posted there."""
    traders, staff = world.parties.traders, world.staff
    share = np.bincount(traders.office, traders.weight, len(world.cfg.offices))
    general = (staff.post == EXAMINER) & (staff.desk == 0) & staff.covering(world.span)
    examiners = np.bincount(staff.office[general], minlength=len(world.cfg.offices))
    return monthly * share / share.sum() / np.maximum(examiners, 1)


def _owner_keys(world: World) -> set[frozenset[str]]:
    parties = world.parties
    registers = (parties.traders.register, parties.brokers.register)
    return {names.name_key(o) for r in registers for owners in r.owners for o in owners}
