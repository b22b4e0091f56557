"""Where each honest look-alike is planted, and the ordinary declarations of interest."""

from __future__ import annotations

import numpy as np

from arusha.simulate import names
from arusha.simulate.calendar import DAY, HOUR, MINUTE, OPEN_END
from arusha.simulate.config import POSTS, RISK_ANALYST
from arusha.simulate.confounders import (
    CommonNameRelative,
    DeskSpecialist,
    HighOverrideOffice,
    HighRiskPosting,
    LongTenure,
    PartTime,
    RoutineRuleMaintenance,
)
from arusha.simulate.events import event_table
from arusha.simulate.plant_schemes import RELATIONS
from arusha.simulate.planted import Instance, Period
from arusha.simulate.planter import HIGH_OVERRIDE_OFFICE, Planter, top_broker_share
from arusha.simulate.staff import PART_TIME
from arusha.simulate.world import Interest

COMMON_NAME_OFFICES = ("AIR02", "ICD02")


def plant_confounders(pl: Planter) -> list[Instance]:
    return [
        *_desk_officers(pl),
        *_part_timers(pl),
        _high_override_office(pl),
        *_common_name_relatives(pl),
        *_rule_maintenance(pl),
        *_long_tenure(pl),
    ]


def _desk_officers(pl: Planter) -> list[Instance]:
    """Vehicle desk officers (concentrated broker mix) and excise desk officers (risky goods)."""
    world = pl.world
    made: list[Instance] = []
    for (office, desk), postings in world.desks.items():
        if desk == 0:
            continue
        spec = world.cfg.offices[office].desks[desk - 1]
        if spec.name == "vehicles":
            cls, strength = DeskSpecialist, top_broker_share(world, office, desk)
        else:
            goods = np.isin(world.catalogue.chapter, spec.chapters)
            cls, strength = HighRiskPosting, float(world.catalogue.risk[goods].mean())
        made += [
            cls(
                pl.instance_id(cls.scheme),
                pl.subjects(int(p)),
                pl.whole_span,
                strength=strength,
                desk=spec.name,
            )
            for p in postings
        ]
    return made


def _part_timers(pl: Planter) -> list[PartTime]:
    staff, n = pl.world.staff, pl.world.cfg.months
    return [
        PartTime(
            pl.instance_id(PartTime.scheme),
            pl.subjects(int(p)),
            pl.whole_span,
            strength=float(staff.capacity[p]),
            posting=int(p),
            first_month=int(pl.rng.integers(0, min(3, n))),
        )
        for p in np.flatnonzero(staff.pattern == PART_TIME)
    ]


def _high_override_office(pl: Planter) -> HighOverrideOffice:
    office = pl.world.office_index(HIGH_OVERRIDE_OFFICE)
    return HighOverrideOffice(
        pl.instance_id(HighOverrideOffice.scheme),
        pl.subjects(office=office),
        pl.whole_span,
        strength=float(pl.world.cfg.offices[office].override_rate),
    )


def _common_name_relatives(pl: Planter) -> list[CommonNameRelative]:
    """Officers whose declared relative shares a very common name with owners of companies
    at other offices, which the officer therefore never clears."""
    world, rng = pl.world, pl.rng
    traders = world.parties.traders
    made = []
    for name, code in zip(names.COMMON_NAMES, COMMON_NAME_OFFICES, strict=False):
        posting = pl.examiner(code)
        if posting is None:
            continue
        office = int(world.staff.office[posting])
        _rename_namesakes(pl, office, name)
        elsewhere = np.flatnonzero((traders.office != office) & traders.steady(world.cfg.months))
        elsewhere = [t for t in elsewhere.tolist() if t not in pl.used_traders]
        companies = rng.choice(elsewhere, size=min(3, len(elsewhere)), replace=False).tolist()
        for t in companies:
            traders.register.owners[t].append(name)
            pl.used_traders.add(t)
        world.interests.append(Interest(posting, name, str(rng.choice(RELATIONS))))
        made.append(
            CommonNameRelative(
                pl.instance_id(CommonNameRelative.scheme),
                pl.subjects(posting),
                pl.whole_span,
                strength=float(len(companies)),
                name=name,
                companies=[str(traders.register.ids[t]) for t in companies],
            )
        )
    return made


def _rename_namesakes(pl: Planter, office: int, name: str) -> None:
    """Gives another owner to the office's own companies whose owner carries the name, so the
    officer never clears a company of a namesake."""
    parties, key = pl.world.parties, names.name_key(name)
    for register, home in (
        (parties.traders.register, parties.traders.office),
        (parties.brokers.register, parties.brokers.home),
    ):
        for i in np.flatnonzero(home == office):
            register.owners[i] = [
                pl.fresh_person() if names.name_key(o) == key else o for o in register.owners[i]
            ]


def _rule_maintenance(pl: Planter) -> list[RoutineRuleMaintenance]:
    """Risk analysts' rule edits on working days, 09:00 to 16:00; a rule they disable is back
    within the hour."""
    world, rng = pl.world, pl.rng
    staff, span = world.staff, world.span
    hs_rules = [r for r in world.rules.rules if r.hs_prefix is not None]
    made = []
    for analyst in np.flatnonzero((staff.post == RISK_ANALYST) & (staff.end == OPEN_END)):
        period = Period(max(span.first_day, int(staff.start[analyst])), span.last_day)
        days = pl.working_days(period)
        n = max(1, int(rng.poisson(1.5 * world.cfg.months)))
        times = np.sort(rng.choice(days, n)) * DAY + 9 * HOUR + rng.integers(0, 7 * HOUR, n)
        edits: list[tuple[int, str, str, str, str]] = []
        for t in times.tolist():
            rule = hs_rules[int(rng.integers(len(hs_rules)))]
            if rng.random() < 0.1:
                back = t + int(rng.integers(30, 60)) * MINUTE
                rule.off.append((t, back))
                edits.append((t, rule.rule_id, "disable_risk_rule", "active", "inactive"))
                edits.append((back, rule.rule_id, "enable_risk_rule", "inactive", "active"))
            else:
                new = min(1.0, rule.rate + float(rng.choice([-0.05, 0.05])))
                edits.append(
                    (
                        t,
                        rule.rule_id,
                        "edit_risk_rule",
                        f"selection_rate={rule.rate:.2f}",
                        f"selection_rate={new:.2f}",
                    )
                )
        when, rule_ids, actions, old, new = (list(c) for c in zip(*edits, strict=True))
        user = str(staff.officer_of(analyst))
        events = event_table(
            np.array(when),
            user,
            actions,
            "risk_rule",
            rule_ids,
            old,
            new,
            str(staff.workstation[analyst]),
        )
        made.append(
            RoutineRuleMaintenance(
                pl.instance_id(RoutineRuleMaintenance.scheme),
                pl.subjects(user=int(analyst)),
                Period(int(days[0]), span.last_day),
                strength=float(len(edits)),
                events_table=events,
            )
        )
    return made


def _long_tenure(pl: Planter) -> list[LongTenure]:
    staff = pl.world.staff
    made = []
    for p in staff.long_tenure:
        subjects, period, years = pl.tenure(int(p))
        made.append(
            LongTenure(
                pl.instance_id(LongTenure.scheme), subjects, period, strength=years,
                post=POSTS[staff.post[p]],
            )
        )  # fmt: skip
    return made


def declare_ordinary_interests(pl: Planter) -> None:
    """Some officers declare relatives and small businesses that nobody in the data trades
    with; their names match no owner in any spelling."""
    world, rng = pl.world, pl.rng
    staff = world.staff
    party_names = set(world.parties.traders.register.names)
    last_posting = {int(o): p for p, o in enumerate(staff.officer)}
    for officer in range(len(staff.officer_ids)):
        if rng.random() >= world.cfg.officer_interest_share:
            continue
        posting = last_posting[officer]
        for _ in range(int(rng.integers(1, 3))):
            if rng.random() < 0.8:
                relation = str(rng.choice(RELATIONS))
                world.interests.append(Interest(posting, pl.fresh_person(), relation))
                continue
            company = names.company_names(rng, 1, names.TRADER_FORMS)[0]
            if company not in party_names:
                reg = f"BN-{int(rng.integers(100_000, 999_999))}"
                world.interests.append(Interest(posting, company, "business", reg))
