"""assignment.steering — a broker or trader gets one examiner far more often than chance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import ibis
import ibis.selectors as s
import numpy as np
import pandas as pd
from ibis import _
from pydantic import Field
from scipy import stats

from arusha.detectors import roster
from arusha.engine.detector import Chart, Detector, DetectorParams, Finding
from arusha.engine.tables import Tables
from arusha.stats import assignment_tests, standardised_ratio

PARTY = ["office_code", "party_role", "party_id"]
PAIR = [*PARTY, "officer_id"]  # one test: an officer and a party, at one office
ROLE_LABEL = {"declarant": "broker", "trader": "trader"}
DESK_LABEL = {"chapter": "the HS chapter of its main item", "section": "the HS section of its "
              "main item", "office": "any goods"}  # fmt: skip
TOP_DESKS = 5  # desks listed in the evidence, largest first


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
    excess, and by its normal approximation (mean and variance summed in the database) for the
    others, which cannot alert but are counted by the false-discovery correction. A broker who
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

    class Params(DetectorParams):
        desk: roster.DeskLevel = Field(
            "chapter", description="what makes a desk: the main item's HS chapter, its HS "
            "section, or one desk per office",
        )  # fmt: skip
        desk_window: roster.Window = Field(
            "quarter", description="calendar period in which receiving one declaration of a "
            "desk makes an officer one of its examiners",
        )  # fmt: skip
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
        min_share: float = Field(
            0.25, ge=0, le=1, description="share of the party's declarations the officer "
            "could have received that they must have received to be flagged",
        )  # fmt: skip

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        assigned = roster.assignments(tables, params.desk)
        window, logins = params.desk_window, tables if params.logins else None
        receipts = _receipts(assigned, params.parties)  # the one pass over the declarations
        # Each party's declarations per draw, then once per officer eligible in the draw, with
        # k: the largest intermediate, aggregated as it streams. Every join in it is on the
        # draw, so that no join order the backend picks can multiply rows within an office;
        # parties are filtered by volume with a window rather than a join for the same reason.
        cells = receipts.group_by([*roster.CELL, *PARTY[1:]]).aggregate(n=_.n.sum())
        cells = cells.mutate(party_declarations=_.n.sum().over(group_by=PARTY))
        cells = cells.filter(_.party_declarations >= params.min_declarations)
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
        pairs = _left_join(pairs, received, PAIR).mutate(received=_.received.fill_null(0))
        material = pairs.filter(_material(pairs, params)).select(*PAIR)
        details = _details(assigned, receipts, cells, material, window, logins)
        return _left_join(pairs, details, PAIR)

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
    desks = _left_join(desks, received, [*PAIR, "desk"]).mutate(received=_.received.fill_null(0))
    desks = desks.group_by(PAIR).aggregate(
        desks=ibis.struct(
            {"desk": _.desk, "declarations": _.declarations, "received": _.received,
             "expected": _.expected}
        ).collect()  # ordered in Python: not every backend orders within an aggregate
    )  # fmt: skip
    return draws.join(desks, PAIR)


def _left_join(left: ibis.Table, right: ibis.Table, keys: Sequence[str]) -> ibis.Table:
    return left.left_join(right, list(keys)).select(~s.endswith("_right"))


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
    start, end = _date(row.period_start), _date(row.period_end)
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


def _date(value) -> date:
    return pd.Timestamp(value).date()
