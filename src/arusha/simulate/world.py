"""The simulated administration before any declaration is lodged.

`World` gathers the span, the calendar, the goods, the parties, the staff and the risk rules;
the monthly generator only reads it; planting (`plan`) adds relatives, interests and rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from arusha.simulate.calendar import Calendar, Span, add_months, day_number
from arusha.simulate.config import MASS_FACTOR, SUPERVISOR, Office, SimConfig
from arusha.simulate.goods import Catalogue, build_catalogue
from arusha.simulate.parties import Parties, build_parties
from arusha.simulate.rosters import examiner_desks
from arusha.simulate.rules import RuleBook, national_rules
from arusha.simulate.staff import Staff, build_staff


@dataclass(frozen=True)
class Interest:
    """A row of interests.csv."""

    posting: int  # the declaring officer's posting
    person_or_company: str
    relation: str
    registration_no: str | None = None


@dataclass(frozen=True)
class OfficeArrays:
    """Per-office parameters as arrays indexed by office, for vectorised lookups."""

    selection_cum: np.ndarray  # [office, 3] cumulative random red, yellow, blue selection
    flow_cum: np.ndarray  # [office, 3]
    override_rate: np.ndarray
    release_factor: np.ndarray
    mass_factor: np.ndarray

    @classmethod
    def of(cls, offices: tuple[Office, ...]) -> OfficeArrays:
        red_first = [(o.selection[2], o.selection[1], o.selection[0]) for o in offices]
        return cls(
            selection_cum=np.cumsum(red_first, axis=1),
            flow_cum=np.cumsum([o.flows for o in offices], axis=1),
            override_rate=np.array([o.override_rate for o in offices]),
            release_factor=np.array([o.release_factor for o in offices]),
            mass_factor=np.array([MASS_FACTOR.get(o.kind, 1.0) for o in offices]),
        )


@dataclass
class World:
    cfg: SimConfig
    declarations: int
    span: Span
    month_starts: list[int]  # day numbers; one more than months, the last is the span's end
    calendar: Calendar
    office: OfficeArrays
    catalogue: Catalogue
    parties: Parties
    staff: Staff
    rules: RuleBook
    desks: dict[tuple[int, int], np.ndarray]  # (office, desk) -> examiner postings
    desk_of_chapter: np.ndarray  # [office, chapter] -> desk
    supervisors: np.ndarray  # per office, the supervisor posting who reassigns work
    intervention_day: int
    interests: list[Interest] = field(default_factory=list)

    def desk_of(self, office: np.ndarray, good: np.ndarray) -> np.ndarray:
        return self.desk_of_chapter[office, self.catalogue.chapter[good]]

    def office_index(self, code: str) -> int:
        return next(i for i, o in enumerate(self.cfg.offices) if o.code == code)

    @property
    def end_time(self) -> int:
        """First second after the span."""
        return (self.span.last_day + 1) * 86_400


def build_world(cfg: SimConfig, declarations: int, rng: np.random.Generator) -> World:
    month_starts = [day_number(add_months(cfg.start, m)) for m in range(cfg.months + 1)]
    span = Span(month_starts[0], month_starts[-1] - 1)
    catalogue = build_catalogue(cfg.vat_rate)
    parties = build_parties(cfg, declarations, catalogue, rng)
    staff = build_staff(cfg, declarations, span, rng)
    traders = parties.traders
    candidates = np.flatnonzero(traders.steady(cfg.months))
    risky = rng.choice(candidates, size=min(cfg.trader_rules, len(candidates)), replace=False)
    return World(
        cfg=cfg,
        declarations=declarations,
        span=span,
        month_starts=month_starts,
        calendar=Calendar(cfg.offices, span.first_day, span.last_day),
        office=OfficeArrays.of(cfg.offices),
        catalogue=catalogue,
        parties=parties,
        staff=staff,
        rules=national_rules(risky, traders.register.ids, rng),
        desks=examiner_desks(staff),
        desk_of_chapter=_desk_of_chapter(cfg),
        supervisors=_supervisors(staff, span, len(cfg.offices)),
        intervention_day=month_starts[cfg.intervention_month],
    )


def _desk_of_chapter(cfg: SimConfig) -> np.ndarray:
    table = np.zeros((len(cfg.offices), 100), dtype=int)
    for o, office in enumerate(cfg.offices):
        for d, desk in enumerate(office.desks, start=1):
            table[o, list(desk.chapters)] = d
    return table


def _supervisors(staff: Staff, span: Span, n_offices: int) -> np.ndarray:
    """The supervisor of each office who reassigns work: the first in post all span."""
    steady = np.flatnonzero((staff.post == SUPERVISOR) & staff.covering(span))
    return np.array([steady[staff.office[steady] == o][0] for o in range(n_offices)])
