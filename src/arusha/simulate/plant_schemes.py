"""Where and with whom each scheme is planted, and how strong it is.

Schemes that need volume sit at the larger offices, at most three per office; those that work
by steering declarations to an officer sit outside the intervention's offices unless the
intervention is meant to stop them. Brokers and traders are chosen by size, as a multiple of
what one examiner of the office handles (`workload`), so that routing part of their
declarations to an examiner adds work on a plausible scale and still leaves enough to measure.
"""

from __future__ import annotations

import numpy as np

from arusha.simulate import names
from arusha.simulate.anomalies import (
    DeletedAfterRelease,
    ExportBurst,
    SelfReassignment,
    UnexplainedGrant,
)
from arusha.simulate.calendar import DAY, HOUR, MINUTE
from arusha.simulate.cases import later_cases
from arusha.simulate.config import POSTS, RED
from arusha.simulate.planted import Instance, Period
from arusha.simulate.planter import Planter
from arusha.simulate.schemes import (
    AcceptedUndervaluation,
    AssignmentSteering,
    CrimeLink,
    InterestConflict,
    InterventionEffect,
    RiskOverride,
    RotationOverstay,
    RulesTampering,
    SelectiveSpeed,
    SuppressedFindings,
)
from arusha.simulate.world import Interest, World

STEERING_OFFICES = ("SEA01", "ICD01", "AIR01")
OVERRIDE_OFFICES = ("ICD01", "SEA01", "AIR01")
SUPPRESSED_OFFICES = ("SEA01", "SEA02", "LND02")
UNDERVALUATION_OFFICES = ("AIR01", "AIR02")
SPEED_OFFICES = ("SEA02", "LND01")
CRIME_OFFICES = (("SEA02", False), ("LND01", True))  # office, recorded by name only
INTEREST_OFFICES = (("LND01", "business"), ("ICD02", "relative"), ("AIR02", "spelling"))
# Office of the trader, the account's post, the HS prefix of the rule edited away (None: a
# trader rule is disabled), and whether it happens at night.
TAMPERING = (
    ("LND02", "examiner", None, True),
    ("SEA02", "it_admin", "2402", True),
    ("AIR01", "supervisor", None, False),
)
SELF_REASSIGNMENT_OFFICE = "LND02"
DELETION_OFFICE = "ICD01"
GRANT_TARGET_OFFICE = "ICD02"
EXPORT_OFFICE = "LND03"
REMOTE = "REMOTE-VPN-07"  # workstation of night-time sessions from outside the network
RELATIONS = ("spouse", "parent", "sibling", "child")


def plant_schemes(pl: Planter) -> list[Instance]:
    """Steering first, so that schemes steering a trader can avoid the steered brokers."""
    steering = _steering(pl)
    return [
        *steering,
        *_speed(pl),
        *_audit_anomalies(pl),
        *_rated_officers(pl, RiskOverride, OVERRIDE_OFFICES, (0.35, 0.55), (0.45, 0.75)),
        # Few controls find anything anyway: suppression shows only over a long period.
        *_rated_officers(pl, SuppressedFindings, SUPPRESSED_OFFICES, (0.03, 0.1), (0.75, 1.0)),
        *_undervaluation(pl),
        *_tampering(pl),
        *_interest_conflicts(pl),
        *_crime_links(pl),
        *_overstay(pl),
        *_intervention_effects(pl, steering),
    ]


def _steering(pl: Planter) -> list[AssignmentSteering]:
    cfg, made = pl.world.cfg, []
    for code in STEERING_OFFICES:
        office = pl.world.office_index(code)
        posting, broker = pl.examiner(code), pl.broker(office, 0.5)
        if posting is None or broker is None:
            continue
        pl.steered_brokers.setdefault(office, set()).add(broker)
        if code in cfg.intervention_offices:  # steering there runs until the intervention
            period = pl.months(int(pl.rng.integers(0, 3)), cfg.intervention_month - 1)
        else:
            period = pl.random_months()
        made.append(
            AssignmentSteering(
                pl.instance_id(AssignmentSteering.scheme),
                pl.subjects(posting, broker),
                period,
                strength=pl.uniform(0.45, 0.65),
                posting=posting,
                broker=broker,
            )
        )
    return made


def _speed(pl: Planter) -> list[SelectiveSpeed]:
    made = []
    for code in SPEED_OFFICES:
        # A large broker: the officer sees enough of its declarations to compare.
        posting, broker = pl.examiner(code), pl.broker(pl.world.office_index(code), 4.0)
        if posting is None or broker is None:
            continue
        made.append(
            SelectiveSpeed(
                pl.instance_id(SelectiveSpeed.scheme),
                pl.subjects(posting, broker),
                pl.random_months(),
                strength=pl.uniform(0.1, 0.2),
                posting=posting,
                broker=broker,
            )
        )
    return made


def _rated_officers(
    pl: Planter,
    cls: type[RiskOverride | SuppressedFindings],
    offices: tuple[str, ...],
    strength: tuple[float, float],
    span_share: tuple[float, float],
) -> list[Instance]:
    """Schemes of one examiner and a rate: overrides, suppressed findings."""
    made: list[Instance] = []
    for code in offices:
        posting = pl.examiner(code)
        if posting is not None:
            made.append(
                cls(
                    pl.instance_id(cls.scheme),
                    pl.subjects(posting),
                    pl.random_months(*span_share),
                    strength=pl.uniform(*strength),
                    posting=posting,
                )
            )
    return made


def _undervaluation(pl: Planter) -> list[AcceptedUndervaluation]:
    made = []
    traders = pl.world.parties.traders
    for code in UNDERVALUATION_OFFICES:
        posting, trader = pl.examiner(code), pl.trader(pl.world.office_index(code), 0.5)
        if posting is None or trader is None:
            continue
        traders.price[trader] = 1.0  # priced at the market but for the scheme
        subjects = pl.subjects(posting, int(traders.brokers[trader, 0]), trader)
        made.append(
            AcceptedUndervaluation(
                pl.instance_id(AcceptedUndervaluation.scheme),
                subjects,
                pl.random_months(),
                strength=pl.uniform(0.3, 0.5),
                posting=posting,
                trader=trader,
            )
        )
    return made


def _tampering(pl: Planter) -> list[RulesTampering]:
    world, rng = pl.world, pl.rng
    staff, traders = world.staff, world.parties.traders
    made = []
    for code, post, prefix, at_night in TAMPERING:
        office = world.office_index(code)
        # A smaller trader: its declarations in the window are pushed through on purpose.
        trader, user = pl.trader(office, 0.2), _account(pl, post, office)
        if trader is None or user is None:
            continue
        window = _window(pl, at_night)
        if prefix is None:
            rule = world.rules.add_trader_rule(trader, str(traders.register.ids[trader]), RED, 1.0)
            edit = None
        else:
            rule = world.rules.by_prefix(prefix)
            edit = (f"hs_prefix={prefix}", f"hs_prefix={prefix[:2]}99")  # matches no tariff line
            _make_importer_of(world, trader, prefix)
        rule.off.append(window)
        made.append(
            RulesTampering(
                pl.instance_id(RulesTampering.scheme),
                pl.subjects(trader=trader, user=user, rule_id=rule.rule_id, office=office),
                Period(window[0] // DAY, window[1] // DAY),
                strength=float(rng.integers(6, 13)),
                post=POSTS[staff.post[user]],
                rule=rule,
                trader=trader,
                office=office,
                window=window,
                edit=edit,
                workstation=REMOTE if at_night else str(staff.workstation[user]),
            )
        )
    return made


def _account(pl: Planter, post: str, office: int) -> int | None:
    """The account that tampers: an examiner, the office's supervisor or an IT administrator."""
    if post == "examiner":
        return pl.examiner(pl.world.staff.office_codes[office])
    if post == "supervisor":
        return int(pl.world.supervisors[office])  # in post all span
    return pl.it_admin()


def _make_importer_of(world: World, trader: int, prefix: str) -> None:
    """Turns a trader into an importer of the goods under an HS prefix only."""
    traders, catalogue = world.parties.traders, world.catalogue
    good = int(np.flatnonzero(np.char.startswith(catalogue.hs6, prefix))[0])
    traders.goods[trader] = [good, -1, -1, -1]
    traders.goods_cum[trader] = 1.0
    traders.sector[trader] = catalogue.sector[good]


def _window(pl: Planter, at_night: bool) -> tuple[int, int]:
    """From late evening for up to a day or so, or a few hours of a working day."""
    rng, month = pl.rng, pl.random_month()
    if at_night:
        start = int(rng.integers(month.first_day, month.last_day - 2)) * DAY + 22 * HOUR
        start += int(rng.integers(0, 150)) * MINUTE
        return start, start + int(rng.integers(5, 30)) * HOUR
    start = int(rng.choice(pl.working_days(month)[:-1])) * DAY + 10 * HOUR
    start += int(rng.integers(0, 180)) * MINUTE
    return start, start + int(rng.integers(2, 5)) * HOUR


def _audit_anomalies(pl: Planter) -> list[Instance]:
    """Self-reassignment, deletions after release, an unexplained role, a burst of exports."""
    world, rng = pl.world, pl.rng
    scheme = SelfReassignment.scheme
    made: list[Instance] = []
    # The deleting officer needs a large broker: they delete after handling, not reassigning.
    for cls, code, workload in (
        (SelfReassignment, SELF_REASSIGNMENT_OFFICE, 1.5),
        (DeletedAfterRelease, DELETION_OFFICE, 4.0),
    ):
        posting, broker = pl.examiner(code), pl.broker(world.office_index(code), workload)
        if posting is not None and broker is not None:
            made.append(
                cls(
                    pl.instance_id(scheme),
                    pl.subjects(posting, broker),
                    pl.random_months(),
                    strength=pl.uniform(0.5, 0.7),
                    posting=posting,
                    broker=broker,
                )
            )
    admin, target = pl.it_admin(), pl.examiner(GRANT_TARGET_OFFICE)
    if admin is not None and target is not None:
        month = pl.random_month()
        saturday = next(d for d in range(month.first_day, month.last_day) if (d + 3) % 7 == 5)
        when = saturday * DAY + 23 * HOUR + int(rng.integers(0, 50)) * MINUTE
        made.append(
            UnexplainedGrant(
                pl.instance_id(scheme),
                pl.subjects(target, user=admin),
                Period(saturday, saturday),
                strength=1.0,
                when=when,
                role="risk_rule_editor",
                workstation=REMOTE,
            )
        )
    exporter = pl.examiner(EXPORT_OFFICE)
    if exporter is not None:
        month = pl.random_month()
        day = int(rng.integers(month.first_day, month.last_day + 1))
        start = day * DAY + HOUR + int(rng.integers(0, 120)) * MINUTE
        n = int(rng.integers(25, 41))
        made.append(
            ExportBurst(
                pl.instance_id(scheme),
                pl.subjects(exporter, user=exporter),
                Period(day, day),
                strength=float(n),
                times=start + np.sort(rng.integers(0, 80 * MINUTE, n)),
                sizes=rng.integers(5_000, 400_000, n),
                workstation=REMOTE,
            )
        )
    return made


def _interest_conflicts(pl: Planter) -> list[InterestConflict]:
    """A declared business, a declared relative among the owners, and the same relative
    registered among the owners under another spelling."""
    world, rng = pl.world, pl.rng
    register = world.parties.traders.register
    made = []
    for code, how in INTEREST_OFFICES:
        posting, trader = pl.examiner(code), pl.trader(world.office_index(code), 0.8)
        if posting is None or trader is None:
            continue
        company = register.names[trader]
        if how == "business":
            if register.registration[trader] is None:
                register.registration[trader] = f"TR-{9_000_000 + trader:07d}"
            reg = register.registration[trader]
            world.interests.append(Interest(posting, company, "business", reg))
            link = f"the examiner declared a business interest in {company} ({reg})"
        else:
            relation = str(rng.choice(RELATIONS))
            relative = pl.fresh_person(transliterable=how == "spelling")
            owner = relative if how == "relative" else names.person_variant(relative, rng)
            register.owners[trader].append(owner)
            world.interests.append(Interest(posting, relative, relation))
            link = f"the examiner's declared {relation} {relative} is an owner of {company}"
            if owner != relative:
                link += f", registered there as '{owner}'; the company itself is not declared"
        made.append(
            InterestConflict(
                pl.instance_id(InterestConflict.scheme),
                pl.subjects(posting, trader=trader),
                pl.random_months(),
                strength=0.3,
                posting=posting,
                trader=trader,
                how=link,
            )
        )
    return made


def _crime_links(pl: Planter) -> list[CrimeLink]:
    world, made = pl.world, []
    for code, by_name in CRIME_OFFICES:
        posting, trader = pl.examiner(code), pl.trader(world.office_index(code), 0.5)
        if posting is None or trader is None:
            continue
        period = pl.random_months(free_at_end=3)  # the cases come later
        made.append(
            CrimeLink(
                pl.instance_id(CrimeLink.scheme),
                pl.subjects(posting, trader=trader),
                period,
                strength=0.5,
                posting=posting,
                trader=trader,
                case_rows=later_cases(world, trader, period.last_day, by_name, pl.rng),
            )
        )
    return made


def _overstay(pl: Planter) -> list[RotationOverstay]:
    made = []
    for p in pl.world.staff.overstay:
        subjects, period, years = pl.tenure(int(p))
        made.append(
            RotationOverstay(
                pl.instance_id(RotationOverstay.scheme), subjects, period, strength=years
            )
        )
    return made


def _intervention_effects(
    pl: Planter, steering: list[AssignmentSteering]
) -> list[InterventionEffect]:
    cfg, span = pl.world.cfg, pl.world.span
    return [
        InterventionEffect(
            pl.instance_id(InterventionEffect.scheme),
            s.subjects,
            Period(pl.world.intervention_day, span.last_day),
            strength=s.strength,
            name=cfg.intervention_name,
            ended=s.instance_id,
        )
        for s in steering
        if s.subjects.office_code in cfg.intervention_offices
    ]
