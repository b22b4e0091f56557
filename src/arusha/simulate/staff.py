"""The HR register: officers and their postings, with duty patterns and leave.

Each office gets general examiners sized to its volume, the examiners of its specialised desks,
supervisors and valuation officers; headquarters holds the risk analysts and IT
administrators. Over the span some officers transfer (two postings), retire or join. A few
examiners have served in the same seaport or border post for many years (the rotation
overstay the product must find); a few risk analysts have too, at headquarters, in a post
that is not sensitive (its honest look-alike).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arusha.simulate.calendar import OPEN_END, Span
from arusha.simulate.config import (
    EXAMINER,
    HEADQUARTERS,
    IT_ADMIN,
    RISK_ANALYST,
    SUPERVISOR,
    VALUATION,
    SimConfig,
)

OFFICE_DAYS, ROTATING, PART_TIME = range(3)  # duty patterns
YEAR = 365.25
ASSIGNED_SHARE = 0.55  # rough share of declarations that get an officer, for sizing
OVERSTAY_OFFICES = ("SEA01", "LND01", "AIR01")
LONG_TENURE_HQ = 2  # risk analysts in post for many years (not a sensitive post)
HQ_STAFF = ((RISK_ANALYST, 5), (IT_ADMIN, 4))


@dataclass
class Staff:
    officer_ids: np.ndarray  # str, per officer
    office_codes: tuple[str, ...]  # offices then headquarters
    # One entry per posting (a row of officers.csv):
    officer: np.ndarray
    office: np.ndarray
    post: np.ndarray
    desk: np.ndarray  # examiners: desk of the office (0 general); others -1
    start: np.ndarray  # day numbers
    end: np.ndarray  # OPEN_END while current
    capacity: np.ndarray  # share of the assignment workload the system gives the posting
    pattern: np.ndarray
    offset: np.ndarray  # phase of the duty pattern
    leave: np.ndarray  # [posting, block, 2] first and last day of leave
    workstation: np.ndarray  # str
    overstay: np.ndarray  # posting indices of the planted long-serving examiners
    long_tenure: np.ndarray  # headquarters postings held for many years

    @property
    def headquarters(self) -> int:
        return len(self.office_codes) - 1

    def covering(self, span: Span) -> np.ndarray:
        """Postings that cover the whole span, of officers with no other posting in it."""
        overlaps = (self.start <= span.last_day) & (self.end >= span.first_day)
        postings_in_span = np.bincount(self.officer[overlaps], minlength=len(self.officer_ids))
        whole = (self.start <= span.first_day) & (self.end >= span.last_day)
        return whole & (postings_in_span[self.officer] == 1)

    def officer_of(self, posting: np.ndarray | int) -> np.ndarray:
        return self.officer_ids[self.officer[posting]]


@dataclass
class _Posting:
    """A posting as it is drawn, before the register becomes arrays."""

    officer: int
    office: int
    post: int
    desk: int
    start: int
    end: int
    pattern: int
    capacity: float


def build_staff(cfg: SimConfig, declarations: int, span: Span, rng: np.random.Generator) -> Staff:
    rows: list[_Posting] = []
    n_officers = _current_postings(cfg, declarations, span, rows, rng)
    overstay = _plant_overstay(cfg, span, rows, rng)
    long_tenure = _long_tenure(span, rows, rng)
    _move_people(cfg, span, rows, rng, keep=set(overstay) | set(long_tenure))
    _prior_postings(span, rows, len(cfg.offices), rng, keep=set(overstay) | set(long_tenure))
    n = len(rows)
    office_codes = (*(o.code for o in cfg.offices), HEADQUARTERS)
    ids = rng.choice(90_000, size=n_officers, replace=False) + 10_000

    def column(name: str) -> np.ndarray:
        return np.array([getattr(row, name) for row in rows])

    office = column("office")
    return Staff(
        officer_ids=np.array([f"OF{i}" for i in ids]),
        office_codes=office_codes,
        officer=column("officer"),
        office=office,
        post=column("post"),
        desk=column("desk"),
        start=column("start"),
        end=column("end"),
        capacity=column("capacity"),
        pattern=column("pattern"),
        offset=rng.integers(0, 7, size=n),
        leave=_leave(span, n, rng),
        workstation=np.array(
            [f"{office_codes[o]}-WS{k:03d}" for k, o in enumerate(office, start=1)]
        ),
        overstay=np.array(overstay, dtype=int),
        long_tenure=np.array(long_tenure, dtype=int),
    )


def _current_postings(
    cfg: SimConfig, declarations: int, span: Span, rows: list[_Posting], rng: np.random.Generator
) -> int:
    """Everyone's posting at the start of the span (or when they join); returns headcount."""
    monthly = declarations / cfg.months * ASSIGNED_SHARE
    people = 0

    def hire(office: int, post: int, desk: int, pattern: int, capacity: float) -> None:
        nonlocal people
        # Offices recruit examiners and valuation officers during the span; other posts are
        # filled throughout it.
        recruited = post in (EXAMINER, VALUATION) and pattern != PART_TIME
        joins = recruited and rng.random() < 0.06
        if joins:
            start = span.first_day + int(rng.integers(30, 540))
        else:
            start = span.last_day - int(rng.uniform(0.4, 4.6) * YEAR)
            start = min(start, span.first_day - 30)
        rows.append(_Posting(people, office, post, desk, start, OPEN_END, pattern, capacity))
        people += 1

    for o, office in enumerate(cfg.offices):
        duty = ROTATING if office.round_the_clock else OFFICE_DAYS
        general = max(
            cfg.min_general_examiners, round(office.share * monthly / cfg.examiner_monthly_load)
        )
        for _ in range(general):
            hire(o, EXAMINER, 0, duty, float(rng.uniform(0.8, 1.2)))
        for d, desk in enumerate(office.desks, start=1):
            for _ in range(desk.examiners):
                hire(o, EXAMINER, d, duty, float(rng.uniform(0.8, 1.2)))
        if office.code in cfg.part_time_offices:
            hire(o, EXAMINER, 0, PART_TIME, cfg.part_time_capacity)
        for _ in range(1 + (general >= 12)):
            hire(o, SUPERVISOR, -1, OFFICE_DAYS, 0.0)
        for _ in range(1 + general // 8):
            hire(o, VALUATION, -1, OFFICE_DAYS, 0.0)
    for post, count in HQ_STAFF:
        for _ in range(count):
            hire(len(cfg.offices), post, -1, OFFICE_DAYS, 0.0)
    return people


def _candidates(
    rows: list[_Posting], span: Span, office_codes: list[str], codes: tuple[str, ...]
) -> list[int]:
    """Full-time general examiners in post before the span at the given offices."""
    return [
        i
        for i, row in enumerate(rows)
        if row.post == EXAMINER
        and row.desk == 0
        and row.pattern != PART_TIME
        and row.start < span.first_day
        and office_codes[row.office] in codes
    ]


def _plant_overstay(
    cfg: SimConfig, span: Span, rows: list[_Posting], rng: np.random.Generator
) -> list[int]:
    """One examiner per overstay office has held the same posting for 7 to 10 years."""
    codes = [o.code for o in cfg.offices]
    chosen = []
    for code in OVERSTAY_OFFICES:
        pool = _candidates(rows, span, codes, (code,))
        if pool:
            i = int(rng.choice(pool))
            rows[i].start = span.last_day - int(rng.uniform(7.0, 10.0) * YEAR)
            chosen.append(i)
    return chosen


def _long_tenure(span: Span, rows: list[_Posting], rng: np.random.Generator) -> list[int]:
    pool = [i for i, row in enumerate(rows) if row.post == RISK_ANALYST]
    chosen = [int(i) for i in rng.choice(pool, size=LONG_TENURE_HQ, replace=False)]
    for i in chosen:
        rows[i].start = span.last_day - int(rng.uniform(8.0, 11.0) * YEAR)
    return chosen


def _move_people(
    cfg: SimConfig, span: Span, rows: list[_Posting], rng: np.random.Generator, keep: set[int]
) -> None:
    """Transfers (a second posting elsewhere) and retirements during the span, spread over
    the offices so that none loses more than its share of examiners."""
    codes = [o.code for o in cfg.offices]
    pool = [i for i in _candidates(rows, span, codes, tuple(codes)) if i not in keep]
    shuffled = rng.permutation(pool)
    office = np.array([rows[i].office for i in shuffled], dtype=int)
    turn = np.array([np.sum(office[:k] == office[k]) for k in range(len(office))], dtype=int)
    order = shuffled[np.lexsort((np.arange(len(shuffled)), turn))]  # each office's first, ...
    n_transfer = max(2, round(0.08 * len(pool)))
    n_retire = max(1, round(0.03 * len(pool)))
    inside = span.last_day - span.first_day
    for i in order[:n_transfer]:
        row = rows[i]
        day = span.first_day + int(rng.uniform(0.15, 0.85) * inside)
        row.end = day - 1
        destination = int(rng.choice([o for o in range(len(codes)) if o != row.office]))
        duty = ROTATING if cfg.offices[destination].round_the_clock else OFFICE_DAYS
        start = day + int(rng.integers(0, 15))
        rows.append(
            _Posting(row.officer, destination, EXAMINER, 0, start, OPEN_END, duty, row.capacity)
        )
    for i in order[n_transfer : n_transfer + n_retire]:
        rows[i].end = span.first_day + int(rng.uniform(0.2, 0.9) * inside)


def _prior_postings(
    span: Span, rows: list[_Posting], n_offices: int, rng: np.random.Generator, keep: set[int]
) -> None:
    """Part of the staff came from another office; that earlier posting is in the register."""
    first_postings: dict[int, int] = {}
    for i, row in enumerate(rows):
        first_postings.setdefault(row.officer, i)
    for i in first_postings.values():
        row = rows[i]
        if i in keep or row.start >= span.first_day or rng.random() >= 0.3:
            continue
        office = int(rng.choice([o for o in range(n_offices) if o != row.office]))
        start = row.start - int(rng.uniform(2.0, 5.0) * YEAR)
        post = row.post if row.post not in (RISK_ANALYST, IT_ADMIN) else EXAMINER
        desk = 0 if post == EXAMINER else -1
        rows.append(
            _Posting(row.officer, office, post, desk, start, row.start - 1, OFFICE_DAYS, 0.0)
        )


def _leave(span: Span, n: int, rng: np.random.Generator) -> np.ndarray:
    """Two blocks of annual leave a year, five to fifteen days each."""
    blocks = max(1, round(2 * (span.last_day - span.first_day) / YEAR))
    first = rng.integers(span.first_day, span.last_day, size=(n, blocks))
    length = rng.integers(5, 16, size=(n, blocks))
    return np.stack((first, first + length - 1), axis=2)
