"""assignment.steering — a broker or trader gets one examiner far more often than chance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from ibis import _
from pydantic import Field
from scipy import stats

from arusha.detectors import roster
from arusha.detectors.shared import as_date, left_join
from arusha.engine.detector import Chart, Detector, Finding
from arusha.engine.tables import Tables
from arusha.stats import assignment_tests, standardised_ratio

PARTY = ["office_code", "party_role", "party_id"]
PAIR = [*PARTY, "officer_id"]  # one test: an officer and a party, at one office
ROLE_LABEL = {"declarant": "broker", "trader": "trader"}
DESK_LABEL = {"chapter": "the HS chapter of its main item", "section": "the HS section of its "
              "main item", "office": "any goods"}  # fmt: skip
TOP_DESKS = 5  # desks listed in the evidence, largest first
# The month-level screen keeps a pair whose receipts reach half the material ratio and share
# against its estimates: they are estimates, not bounds.
SCREEN_MARGIN = 0.5


class AssignmentSteering(Detector):
    """Officer × broker and officer × trader pairs in which the officer received a far larger
    share of the party's declarations than random assignment would have given. Clearance
    systems assign declarations at random among the examiners on duty so that nobody can
    choose who controls their goods; a broker who nevertheless gets the same examiner again
    and again has found a way around the draw, as Chalendard et al. (2023) showed brokers and
    inspectors doing in Madagascar.

    Each declaration is compared with the draw it was actually part of: the officers on duty
    at its office that day (in post there, and receiving work or logging in that day, so leave
    and rest days count) who handle its desk (the HS chapter of its main item, received there
    at least once that quarter), so a vehicle-desk examiner is only compared with the vehicle
    desk. With k such officers each had a chance of 1/k. Per pair, the number received is
    tested against that Poisson-binomial distribution: exactly for the pairs with a material
    excess, by its normal approximation for the others that pass a screen, which cheaply sets
    aside the pairs that cannot be material (they count in the false-discovery correction as
    p = 1, in a family of every tested party times every officer of its office). A broker who
    dominates an office reaches every examiner often, in proportion, and is not flagged; part-
    time officers receive too little to be; a pair is material only with a large ratio, a
    large share of the party's declarations and enough of them."""

    id = "assignment.steering"
    title = "Declarations steered to a chosen examiner"
    reference = (
        "Chalendard C, Fernandes AM, Raballand G, Rijkers B (2023) Corruption in Customs. "
        "Quarterly Journal of Economics 138(1):575-636; WCO Revised Arusha Declaration (2003), "
        "factor 4: Automation (random assignment of declarations)"
    )
    needs = ("declarations", "items", "officers")

    class Params(roster.RosterParams):
        logins: bool = Field(
            True, description="count an officer in post who logged in that day (audit trail) "
            "as on duty, even without a receipt",
        )  # fmt: skip
        parties: list[Literal["declarant", "trader"]] = Field(
            default_factory=lambda: ["declarant", "trader"],
            description="which parties of a declaration are paired with its officer",
        )
        min_declarations: int = Field(
            30, ge=1, description="parties with fewer assigned declarations at the office are "
            "not tested",
        )  # fmt: skip
        min_received: int = Field(
            10, ge=1, description="fewest of the party's declarations an officer must receive "
            "to be flagged",
        )  # fmt: skip
        min_ratio: float = Field(
            2.0, gt=1, description="received / expected from which an excess is material"
        )
        screen: bool = Field(
            True, description="count exactly only the pairs a cheap screen finds could be "
            "material (the others count in the false-discovery correction as p = 1); off, "
            "every pair is counted, which costs parties x officers at a large office",
        )  # fmt: skip
        min_share: float = Field(
            0.25, ge=0, le=1, description="share of the party's declarations the officer "
            "could have received that they must have received to be flagged",
        )  # fmt: skip

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        assigned = roster.assignments(tables, params.desk)
        window, logins = params.desk_window, tables if params.logins else None
        receipts = _receipts(assigned, params.parties)  # the one pass over the declarations
        # Each party's declarations per draw; parties are filtered by volume with a window
        # rather than a join, so that no join order the backend picks multiplies rows.
        cells = receipts.group_by([*roster.CELL, *PARTY[1:]]).aggregate(n=_.n.sum())
        cells = cells.mutate(party_declarations=_.n.sum().over(group_by=PARTY))
        cells = cells.filter(_.party_declarations >= params.min_declarations)
        if params.screen:
            # Every draw a party is in, once per screened pair whose officer was eligible.
            sizes = roster.draw_sizes(assigned, window, logins)
            screened = _screen(assigned, receipts, cells, sizes, window, logins, params)
            trials = roster.only_eligible(cells.join(screened, PARTY), assigned, window, logins)
            trials = trials.join(sizes, list(roster.CELL))
        else:
            # Every draw a party is in, once per officer eligible in it: this grows with
            # parties x officers at an office, aggregated as it streams.
            trials = cells.join(roster.eligible(assigned, window, logins), list(roster.CELL))
        pairs = trials.group_by(PAIR).aggregate(
            declarations_eligible=_.n.sum(),
            expected=(_.n / _.k).sum(),
            variance=(_.n * (_.k - 1) / (_.k * _.k)).sum(),
            k_total=(_.n * _.k).sum(),  # over the declarations: mean k = k_total / n
            period_start=_.day.min(),
            period_end=_.day.max(),
            party_declarations=_.party_declarations.max(),  # the same in every row
        )
        # The officer is eligible for every declaration they received, so every pair that
        # received something has trials; the left join only adds zeros.
        received = receipts.group_by(PAIR).aggregate(received=_.n.sum())
        pairs = left_join(pairs, received, PAIR).mutate(received=_.received.fill_null(0))
        material = pairs.filter(_material(pairs, params)).select(*PAIR)
        details = _details(assigned, receipts, cells, material, window, logins)
        pairs = left_join(pairs, details, PAIR)
        if params.screen:
            pairs = pairs.cross_join(_family_size(assigned, cells, logins))
        return pairs

    def untested(self, measures: pd.DataFrame, params: Params) -> int:
        if not params.screen or measures.empty:
            return 0
        return int(measures["family_size"].iloc[0]) - len(measures)

    def assess(self, measures: pd.DataFrame, params: Params) -> list[Finding]:
        m = measures.sort_values(PAIR, ignore_index=True)
        m["material"] = m["draws"].notna()
        m["p_value"], m["exact"] = _p_values(m)
        ratio = standardised_ratio(m["received"], m["expected"])
        m["ratio"], m["ratio_low"], m["ratio_high"] = ratio.estimate, ratio.low, ratio.high
        return [_finding(row, params) for row in m.itertuples(index=False)]

    def chart(self, measures: pd.DataFrame, params: Params) -> Chart | None:
        if measures.empty:
            return None
        return Chart(
            title="Declarations received per officer and party, against random assignment",
            volume="expected",
            indicator="ratio",
            volume_label="declarations expected under random assignment",
            indicator_label="received / expected",
            data=measures.assign(ratio=measures["received"] / measures["expected"]),
            target=1.0,
        )


def _receipts(assigned: ibis.Table, roles: Sequence[str]) -> ibis.Table:
    """Declarations `n` per draw (office, day, desk), party and receiving officer, with
    party_role and party_id standing for each of the roles in turn (declarant, trader)."""
    parts = []
    for role in roles:
        t = assigned.filter(assigned[f"{role}_id"].notnull())
        t = t.mutate(party_role=ibis.literal(role), party_id=t[f"{role}_id"])
        parts.append(t.group_by([*roster.CELL, *PAIR[1:]]).aggregate(n=_.count()))
    return ibis.union(*parts)


def _screen(
    assigned: ibis.Table,
    receipts: ibis.Table,
    cells: ibis.Table,
    sizes: ibis.Table,
    window: roster.Window,
    logins: Tables | None,
    params: AssignmentSteering.Params,
) -> ibis.Table:
    """The pairs (PAIR) worth the exact count, in two cheap passes, each about one row per
    receipt.

    1. From the draws in which the officer received something of the party: there the officer
       was certainly eligible, so the party's declarations in them and the receipts expected
       from them are lower bounds of the pair's `declarations_eligible` and `expected`. A pair
       short of the material thresholds against these lower bounds is short against the full
       figures too. This sets aside the officers of a large broker, each of whom received a
       small share of the draws they were in.
    2. By month and desk, estimates: the party's declarations of a desk in a month times the
       officer's share of the other parties' declarations of that desk and month (their
       workload share, the party left out so that steering does not raise its own yardstick),
       and times the share of the month's working days the officer was on duty (for the
       declarations they could have received). A broker who lodges on their examiner's duty
       days gets more of them than these estimates say, not less, so is kept. A pair is set
       aside when its receipts fall short of half the material ratio or share against them.
    """
    keys = [*roster.CELL, *PARTY[1:]]
    mine = receipts.join(cells.select(*keys, party_n="n"), keys).join(sizes, list(roster.CELL))
    seen = mine.group_by(PAIR).aggregate(
        received=_.n.sum(), seen=_.party_n.sum(), seen_expected=(_.party_n / _.k).sum()
    )
    seen = seen.filter(
        (_.received >= params.min_received)
        & (_.received >= params.min_ratio * _.seen_expected)
        & (_.received >= params.min_share * _.seen)
    )
    estimates = _monthly_estimates(seen.select(*PAIR, total=_.received), assigned, receipts,
                                   cells, window, logins)  # fmt: skip
    return estimates.filter(
        (_.total >= SCREEN_MARGIN * params.min_ratio * _.expected)
        & (_.total >= SCREEN_MARGIN * params.min_share * _.eligible)
    ).select(*PAIR)


def _monthly_estimates(
    pairs: ibis.Table,
    assigned: ibis.Table,
    receipts: ibis.Table,
    cells: ibis.Table,
    window: roster.Window,
    logins: Tables | None,
) -> ibis.Table:
    """For the given pairs (PAIR, total received): `expected` and `eligible` estimated by month
    and desk, as `_screen` describes."""
    month = _.day.truncate("M")
    desk_month = ["office_code", "month", "desk"]
    party = cells.mutate(month=month).group_by([*PARTY, "month", "desk"]).aggregate(n=_.n.sum())
    theirs = receipts.mutate(month=month).group_by([*PAIR, "month", "desk"]).aggregate(
        received=_.n.sum()
    )
    workload = assigned.mutate(month=month).group_by([*desk_month, "officer_id"]).aggregate(
        officer_n=_.count()
    )
    totals = assigned.mutate(month=month).group_by(desk_month).aggregate(desk_n=_.count())
    duty = roster.on_duty(assigned, logins).mutate(month=month)
    officer_days = duty.group_by(["office_code", "officer_id", "month"]).aggregate(
        days=_.day.nunique()
    )
    office_days = duty.group_by(["office_code", "month"]).aggregate(office_days=_.day.nunique())
    handled = roster.desks_handled(assigned, window)
    rows = pairs.join(party, PARTY)
    rows = left_join(rows, theirs, [*PAIR, "month", "desk"])
    rows = left_join(rows, workload, [*desk_month, "officer_id"]).join(totals, desk_month)
    rows = left_join(rows, officer_days, ["office_code", "officer_id", "month"])
    rows = rows.join(office_days, ["office_code", "month"])
    rows = rows.mutate(window_start=_.month.truncate(roster.WINDOW_UNITS[window]))
    rows = left_join(rows, handled.mutate(handles=ibis.literal(1)),
                      ["office_code", "window_start", "desk", "officer_id"])  # fmt: skip
    others = rows.desk_n - rows.n
    share = (rows.officer_n.fill_null(0) - rows.received.fill_null(0)) / others
    rows = rows.mutate(
        expected=ibis.ifelse(others > 0, rows.n * share, 0.0),
        eligible=rows.n * rows.handles.fill_null(0) * rows.days.fill_null(0) / rows.office_days,
    )
    return rows.group_by(PAIR).aggregate(
        total=_.total.max(), expected=_.expected.sum(), eligible=_.eligible.sum()
    )


def _family_size(assigned: ibis.Table, cells: ibis.Table, logins: Tables | None) -> ibis.Table:
    """One row, `family_size`: the officer x party pairs the false-discovery correction counts
    when the screen is on. Every tested party of an office times every officer who was ever on
    duty there: at least every pair in which the officer was eligible for one of the party's
    declarations (the exact family), so the correction is, if anything, conservative."""
    parties = cells.select(*PARTY).distinct().group_by("office_code").aggregate(parties=_.count())
    staff = roster.on_duty(assigned, logins).select("office_code", "officer_id").distinct()
    staff = staff.group_by("office_code").aggregate(officers=_.count())
    both = parties.join(staff, "office_code")
    return both.aggregate(family_size=(_.parties * _.officers).sum())


def _material(pairs: ibis.Table, params: AssignmentSteering.Params) -> ibis.BooleanValue:
    return (
        (pairs.received >= params.min_received)
        & (pairs.received >= params.min_ratio * pairs.expected)
        & (pairs.received >= params.min_share * pairs.declarations_eligible)
    )


def _details(
    assigned: ibis.Table,
    receipts: ibis.Table,
    cells: ibis.Table,
    material: ibis.Table,
    window: roster.Window,
    logins: Tables | None,
) -> ibis.Table:
    """For the material pairs only: `draws`, the number of declarations per number k of
    eligible officers (all the exact test needs, as every p_i is 1/k), and `desks`, the
    declarations, receipts and expected receipts per desk."""
    # Eligibility by lookups in small tables, not the (large) eligible rows of `measure`,
    # which the backend would otherwise have to keep for this second use.
    mine = roster.only_eligible(cells.join(material, PARTY), assigned, window, logins)
    mine = mine.join(roster.draw_sizes(assigned, window, logins), list(roster.CELL))
    # DuckDB sums BIGINT into HUGEINT, which nested values keep (as Decimal); ibis drops a
    # cast to int64 as a no-op, so counts go to int32, which is ample.
    per_k = mine.group_by([*PAIR, "k"]).aggregate(n=_.n.sum().cast("int32"))
    draws = per_k.group_by(PAIR).aggregate(draws=ibis.struct({"k": _.k, "n": _.n}).collect())
    desks = mine.group_by([*PAIR, "desk"]).aggregate(
        declarations=_.n.sum().cast("int32"), expected=(_.n / _.k).sum()
    )
    received = receipts.group_by([*PAIR, "desk"]).aggregate(received=_.n.sum().cast("int32"))
    desks = left_join(desks, received, [*PAIR, "desk"]).mutate(received=_.received.fill_null(0))
    desks = desks.group_by(PAIR).aggregate(
        desks=ibis.struct(
            {"desk": _.desk, "declarations": _.declarations, "received": _.received,
             "expected": _.expected}
        ).collect()  # ordered in Python: not every backend orders within an aggregate
    )  # fmt: skip
    return draws.join(desks, PAIR)



def _p_values(m: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Upper-tail p-values, and whether each is exact.

    Exact Poisson-binomial tails for the material pairs (`arusha.stats.assignment_tests`,
    which itself approximates beyond 20,000 trials); for the others, which cannot alert, the
    normal approximation with continuity correction from the mean and variance summed in the
    database."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (m["received"] - 0.5 - m["expected"]) / np.sqrt(m["variance"])
    p = np.where(m["variance"] > 0, stats.norm.sf(z), (m["received"] <= m["expected"]) * 1.0)
    rows = np.flatnonzero(m["material"])
    exact = np.zeros(len(m), dtype=bool)
    if rows.size:
        k = [np.array([d["k"] for d in m.at[r, "draws"]]) for r in rows]
        n = [np.array([d["n"] for d in m.at[r, "draws"]]) for r in rows]
        trials = np.array([ni.sum() for ni in n])
        pair = np.repeat(np.arange(rows.size), trials)
        chance = np.concatenate([np.repeat(1.0 / ki, ni) for ki, ni in zip(k, n, strict=True)])
        # Only the number received per pair matters to the test, not which trials they were.
        first = np.concatenate([np.arange(t) for t in trials])
        got = first < m["received"].to_numpy()[rows][pair]
        tests = assignment_tests(pair, chance, got, n_pairs=rows.size)
        p[rows], exact[rows] = tests.p_upper, tests.exact
    return p, exact


def _finding(row, params: AssignmentSteering.Params) -> Finding:
    n = row.declarations_eligible
    share, expected_share, officers = row.received / n, row.expected / n, row.k_total / n
    start, end = as_date(row.period_start), as_date(row.period_end)
    role = ROLE_LABEL[row.party_role]
    evidence = {
        "office_code": row.office_code,
        "party_role": row.party_role,
        "party_declarations": int(row.party_declarations),
        "declarations_eligible": int(n),
        "received": int(row.received),
        "expected": row.expected,
        "share_received": share,
        "expected_share": expected_share,
        "ratio": row.ratio,
        "ratio_ci95": [row.ratio_low, row.ratio_high],
        "mean_officers_eligible": officers,
        "peer_group": (
            f"officers on duty at {row.office_code} on the day of each declaration who "
            f"handled its desk ({DESK_LABEL[params.desk]}) there that {params.desk_window}"
        ),
        "test": (
            "exact Poisson-binomial upper tail, p_i = 1/k_i"
            if row.exact
            else "normal approximation to the Poisson-binomial upper tail, p_i = 1/k_i"
        ),
        "period_start": start,
        "period_end": end,
    }
    if row.material:
        desks = sorted(row.desks, key=lambda d: (-d["declarations"], d["desk"]))
        evidence["desks"] = [dict(d) for d in desks[:TOP_DESKS]]
    return Finding(
        subjects={"officer_id": row.officer_id, f"{row.party_role}_id": row.party_id},
        period_start=start,
        period_end=end,
        score=row.ratio,
        flagged=bool(row.material),
        office_code=row.office_code,
        summary=(
            f"Officer {row.officer_id} received {row.received} of the {n} declarations of "
            f"{role} {row.party_id} at {row.office_code} that they could have received "
            f"({share:.0%}), where random assignment among the {officers:.1f} officers on duty "
            f"at the desk would give about {row.expected:.1f} ({expected_share:.0%}); {{q}}."
        ),
        evidence=evidence,
        p_value=float(row.p_value),
    )


