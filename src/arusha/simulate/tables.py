"""The world and each month's arrays as typed Arrow tables named as in the contract."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arusha.simulate.batch import Declarations, Items
from arusha.simulate.calendar import NO_TIME, OPEN_END
from arusha.simulate.config import CHANNEL_NAMES, FLOW_NAMES, OUTCOME_NAMES, POSTS
from arusha.simulate.parties import Register
from arusha.simulate.world import World

CHANNELS = np.array(CHANNEL_NAMES)


def _timestamps(seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds.astype("datetime64[s]"), mask=seconds == NO_TIME)


def _dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), mask=missing).cast(pa.date32())


def _optional(posting_ids: np.ndarray, present: np.ndarray) -> pa.Array:
    return pa.array(posting_ids, pa.string(), mask=~present)


def parties_table(world: World) -> pa.Table:
    parties = world.parties
    registers = (parties.traders.register, parties.brokers.register, parties.carriers)
    return pa.concat_tables([_register_table(r) for r in registers])


def _register_table(register: Register) -> pa.Table:
    return pa.table(
        {
            "party_id": pa.array(register.ids, pa.string()),
            "role": pa.array([register.role] * len(register.ids), pa.string()),
            "name": pa.array(register.names, pa.string()),
            "registration_no": pa.array(register.registration, pa.string()),
            "address": pa.array(register.addresses, pa.string()),
            "owners": pa.array([";".join(o) or None for o in register.owners], pa.string()),
        }
    )


def officers_table(world: World) -> pa.Table:
    staff = world.staff
    table = pa.table(
        {
            "officer_id": pa.array(staff.officer_of(np.arange(len(staff.officer)))),
            "office_code": pa.array(np.array(staff.office_codes)[staff.office]),
            "post": pa.array(np.array(POSTS)[staff.post]),
            "start_date": _dates(staff.start),
            "end_date": _dates(staff.end, staff.end == OPEN_END),
        }
    )
    return table.sort_by([("officer_id", "ascending"), ("start_date", "ascending")])


def rules_table(world: World) -> pa.Table:
    rules = world.rules.rules
    trader_ids = world.parties.traders.register.ids
    return pa.table(
        {
            "rule_id": pa.array([r.rule_id for r in rules], pa.string()),
            "description": pa.array([r.description for r in rules], pa.string()),
            "hs_prefix": pa.array([r.hs_prefix for r in rules], pa.string()),
            "trader_id": pa.array(
                [str(trader_ids[r.trader]) if r.trader >= 0 else None for r in rules],
                pa.string(),
            ),
            "channel": pa.array([CHANNEL_NAMES[r.channel] for r in rules], pa.string()),
        }
    )


def interests_table(world: World) -> pa.Table:
    interests = world.interests
    postings = np.array([i.posting for i in interests], dtype=int)
    return pa.table(
        {
            "officer_id": pa.array(world.staff.officer_of(postings), pa.string()),
            "person_or_company": pa.array([i.person_or_company for i in interests], pa.string()),
            "relation": pa.array([i.relation for i in interests], pa.string()),
            "registration_no": pa.array([i.registration_no for i in interests], pa.string()),
        }
    )


def interventions_table(world: World) -> pa.Table:
    cfg = world.cfg
    return pa.table(
        {
            "intervention_id": pa.array(["INT01"]),
            "name": pa.array([cfg.intervention_name]),
            "start_date": _dates(np.array([world.intervention_day])),
            "office_codes": pa.array([";".join(cfg.intervention_offices)]),
        }
    )


class DeclarationNumbers:
    """Numbers declarations per office and year in lodgement order: SEA01-2024-C000123."""

    def __init__(self, office_codes: list[str]) -> None:
        self.codes = office_codes
        self.year = 0
        self.issued = np.zeros(len(office_codes), dtype=np.int64)

    def assign(self, d: Declarations, year: int) -> None:
        if year != self.year:
            self.year, self.issued[:] = year, 0
        counts = np.bincount(d.office, minlength=len(self.codes))
        order = np.argsort(d.office, kind="stable")
        first_of_office = np.concatenate(([0], np.cumsum(counts)[:-1]))
        serial = np.empty(len(d), dtype=np.int64)
        serial[order] = np.arange(len(d)) - np.repeat(first_of_office, counts)
        serial += self.issued[d.office] + 1
        self.issued += counts
        prefix = np.array([f"{c}-{year}-C" for c in self.codes])[d.office]
        number = pc.utf8_lpad(pa.array(serial).cast(pa.string()), 6, "0")
        d.ids = pc.binary_join_element_wise(pa.array(prefix), number, "")


def declarations_table(world: World, d: Declarations) -> pa.Table:
    parties, staff = world.parties, world.staff
    handled = d.officer >= 0
    return pa.table(
        {
            "declaration_id": d.ids,
            "office_code": pa.array(np.array([o.code for o in world.cfg.offices])[d.office]),
            "flow": pa.array(np.array(FLOW_NAMES)[d.flow]),
            "declarant_id": pa.array(parties.brokers.register.ids[d.broker]),
            "trader_id": pa.array(parties.traders.register.ids[d.trader]),
            "lodged_at": _timestamps(d.lodged),
            "risk_channel": pa.array(CHANNELS[d.risk]),
            "final_channel": pa.array(CHANNELS[d.final]),
            "officer_id": _optional(staff.officer_of(np.maximum(d.officer, 0)), handled),
            "assigned_at": _timestamps(d.assigned),
            "released_at": _timestamps(d.released),
            "inspection_outcome": pa.array(np.array(OUTCOME_NAMES)[d.outcome]),
            "duties_declared": pa.array(d.declared),
            "duties_assessed": pa.array(d.assessed),
        }
    )


def items_table(world: World, d: Declarations, items: Items) -> pa.Table:
    catalogue = world.catalogue
    return pa.table(
        {
            "declaration_id": d.ids.take(pa.array(items.decl)),
            "item_no": pa.array(items.item_no, pa.int64()),
            "hs_code": pa.array(catalogue.codes[items.code]),
            "origin_country": pa.array(catalogue.countries[items.origin]),
            "customs_value": pa.array(items.value),
            "net_mass_kg": pa.array(items.mass),
        }
    )
