"""Enforcement cases as an nCEN-style register records them.

Most cases follow a control that found a discrepancy, more often on tobacco, alcohol and
counterfeit-prone goods. A case officer often types the company name instead of picking the
party (so it is spelled differently), and land borders record seizures from unknown persons.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arusha.simulate import names
from arusha.simulate.batch import Declarations, Month
from arusha.simulate.calendar import DAY, day_date
from arusha.simulate.config import DISCREPANCY
from arusha.simulate.goods import SECTOR_OFFENCE, SECTORS
from arusha.simulate.world import World

CASE_RATE = {
    "tobacco": 0.20,
    "alcohol": 0.10,
    "textiles": 0.06,
    "consumer": 0.06,
    "electronics": 0.06,
    "pharma": 0.06,
}
OTHER_CASE_RATE = 0.03
BY_NAME = 0.15  # cases recorded with a typed name instead of the party
BORDER_OFFENCES = np.array(["narcotics", "wildlife", "weapons", "tobacco"])


def case_table(
    day: np.ndarray,
    office_code: np.ndarray,
    party_id: list[str | None],
    party_name: list[str | None],
    offence: np.ndarray,
    declaration_id: pa.Array | None = None,
) -> pa.Table:
    """Cases without their id, which is numbered once all cases are known."""
    n = len(day)
    return pa.table(
        {
            "detected_on": pa.array(np.asarray(day, dtype=np.int32), pa.int32()).cast(pa.date32()),
            "office_code": pa.array(np.asarray(office_code, dtype=object), pa.string()),
            "party_id": pa.array(party_id, pa.string()),
            "party_name": pa.array(party_name, pa.string()),
            "offence": pa.array(np.asarray(offence, dtype=object), pa.string()),
            "declaration_id": declaration_id
            if declaration_id is not None
            else pa.nulls(n, pa.string()),
        }
    )


def month_cases(month: Month, d: Declarations) -> pa.Table:
    return pa.concat_tables([_after_controls(month, d), _border_seizures(month, len(d))])


def _after_controls(month: Month, d: Declarations) -> pa.Table:
    world, rng = month.world, month.rng
    register = world.parties.traders.register
    rate_of_sector = np.array([CASE_RATE.get(s, OTHER_CASE_RATE) for s in SECTORS])
    sector = world.catalogue.sector[d.good]
    rows = np.flatnonzero(
        (d.outcome == DISCREPANCY) & (rng.random(len(d)) < rate_of_sector[sector])
    )
    done = np.where(d.released[rows] > 0, d.released[rows], d.work_time[rows])
    day = np.minimum(done // DAY + rng.integers(0, 3, len(rows)), world.span.last_day)
    offence = np.array([SECTOR_OFFENCE.get(SECTORS[s], "revenue") for s in sector[rows]])
    by_name = rng.random(len(rows)) < BY_NAME
    traders = d.trader[rows]
    party_id = [None if b else str(register.ids[t]) for t, b in zip(traders, by_name, strict=True)]
    party_name = [
        names.company_variant(register.names[t], rng) if b else None
        for t, b in zip(traders, by_name, strict=True)
    ]
    declaration_id = pc.if_else(
        pa.array(by_name), pa.scalar(None, pa.string()), d.ids.take(pa.array(rows))
    )
    codes = np.array([o.code for o in world.cfg.offices])[d.office[rows]]
    return case_table(day, codes, party_id, party_name, offence, declaration_id)


def _border_seizures(month: Month, volume: int) -> pa.Table:
    """Seizures from travellers and drivers who are not registered parties."""
    world, rng = month.world, month.rng
    borders = [o.code for o in world.cfg.offices if o.kind == "land_border"]
    n = int(rng.poisson(0.5 + volume / 20_000))
    day = month.first_day + rng.integers(0, month.n_days, n)
    return case_table(
        day,
        rng.choice(borders, n),
        [None] * n,
        names.person_names(rng, n),
        rng.choice(BORDER_OFFENCES, n),
    )


def numbered_cases(tables: list[pa.Table]) -> pa.Table:
    """All cases in date order, numbered per year as NC-<year>-<serial>."""
    cases = pa.concat_tables(tables).sort_by([("detected_on", "ascending")])
    days = cases["detected_on"].cast(pa.int32()).to_numpy()
    years = np.array([day_date(d).year for d in days], dtype=int)
    first_of_year = np.searchsorted(years, years)
    serial = np.arange(len(years)) - first_of_year + 1
    ids = [f"NC-{y}-{s:05d}" for y, s in zip(years, serial, strict=True)]
    return cases.append_column("case_id", pa.array(ids, pa.string()))


def later_cases(
    world: World, trader: int, after_day: int, by_name: bool, rng: np.random.Generator
) -> pa.Table:
    """One or two cases against a trader detected after `after_day`, at another office."""
    register = world.parties.traders.register
    home = world.cfg.offices[world.parties.traders.office[trader]].code
    elsewhere = [o.code for o in world.cfg.offices if o.code != home]
    n = int(rng.integers(1, 3))
    day = np.minimum(after_day + rng.integers(20, 120, n), world.span.last_day)
    party_id = [None if by_name else str(register.ids[trader])] * n
    party_name = [
        names.company_variant(register.names[trader], rng) if by_name else None for _ in range(n)
    ]
    offence = rng.choice(np.array(["narcotics", "tobacco", "counterfeit"]), n)
    return case_table(day, rng.choice(elsewhere, n), party_id, party_name, offence)
