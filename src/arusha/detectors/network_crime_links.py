"""network.crime_links — officers who cleared, beyond their share of the work, the declarations
of traders and brokers later caught in enforcement cases."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date
from typing import Literal

import ibis
import numpy as np
import pandas as pd
from ibis import _
from pydantic import Field
from rapidfuzz import fuzz, process

from arusha.detectors.name_matching import words
from arusha.detectors.peers import (
    STRATUM,
    PeerParams,
    PeerTest,
    assigned_work,
    funnel_chart,
    peer_test,
    rate,
)
from arusha.detectors.roster import DeskLevel, Window
from arusha.detectors.shared import as_date, left_join
from arusha.engine.detector import Chart, Detector, DetectorParams, Finding
from arusha.engine.tables import Tables

log = logging.getLogger(__name__)

ROLE_COLUMN = {"trader": "trader_id", "declarant": "declarant_id"}  # parties on declarations
ROLE_LABEL = {"trader": "trader", "declarant": "broker"}
PARTY = ["party_role", "party_id"]
PARTY_AT = ["office_code", *PARTY]  # a case party at an office
PAIR = [*PARTY_AT, "officer_id"]  # one test: an officer and a case party, at an office
ANY = "(any)"  # channel and flow of a stratum that compares goods in any channel and flow
DESK = "(desk)"  # ... that compares the officers' whole work, among those who cleared the goods
EVENT = "cleared"  # the party's declarations the officer cleared, as peers.peer_test names it
NAME_CHUNK = 32  # names compared with the whole register at a time (memory: chunk × parties)
MAX_COUNTERPARTIES = 10  # broker × trader combinations drawn in the network, the rest lumped
OTHERS = "(others)"
GOODS_WORDS = {"chapter": "HS chapter of the main item", "section": "HS section of the main "
               "item", "office": "any goods"}  # fmt: skip
WINDOW_SCHEMA = {"party_role": "string", "party_id": "string", "window_start": "date",
                 "window_end": "date"}  # fmt: skip
CASE_SCHEMA = {"party_role": "string", "party_id": "string", "case_id": "string",
               "case_start": "date", "detected_on": "date"}  # fmt: skip
PARTY_SCHEMA = {"party_role": "string", "party_id": "string", "party_name": "string",
                "cases": "int64", "first_case": "date", "cases_json": "string"}  # fmt: skip


class CrimeLinks(Detector):
    """Officers who cleared — released in green, or controlled without finding anything — far
    more of a trader's or broker's declarations than their share of the work explains, in the
    year before that party was caught in an enforcement case (a seizure, an offence).
    Smuggling networks need officers who let their goods through; a case detected later, often
    at another office, shows what the goods were, and the officers who cleared them again and
    again beforehand are the network's likely contacts. Cases are linked to parties by party
    id, or by the name the case officer typed (case, accents, punctuation and legal form set
    aside, then the most similar registered name if close enough and unambiguous). Each
    officer's count of a case party's cleared declarations is compared with their share of the
    other parties' cleared declarations of comparable work: the same office, goods (HS chapter
    of the main item), risk channel, flow and quarter; where other parties cleared too few of
    those, the same goods in any channel and flow, or else the whole work of the officers who
    cleared such goods there. So a desk that handles the goods later cases are about (an excise
    desk), or a busy officer who clears much of everything, sets its own expectation and is not
    flagged. A pair is material only with a large ratio, a large share of the party's
    declarations and enough of them, and only if the officer's own controls of the party's
    goods found clearly fewer discrepancies than colleagues' did: an officer who kept finding
    them was not clearing the goods without findings."""

    id = "network.crime_links"
    title = "Clearances for parties later caught in enforcement cases"
    reference = (
        "WCO Revised Arusha Declaration (2003), factors 6 (Audit and investigation) and 10 "
        "(Relationship with the private sector); WCO Integrity Development Guide (2014), "
        "integrity risk profiling; Chalendard C, Fernandes AM, Raballand G, Rijkers B (2023) "
        "Corruption in Customs, QJE 138(1):575-636; Spiegelhalter DJ (2005) Stat Med "
        "24:1185-1202 (funnel plots)"
    )
    needs = ("declarations", "items", "parties", "enforcement_cases")

    class Params(DetectorParams):
        every_pair: bool = Field(
            False, description="keep a finding for every tested officer x party pair, not only "
            "for those material enough to alert (the others count in the false-discovery "
            "correction as p = 1); a large administration tests millions of pairs",
        )  # fmt: skip
        lookback_days: int = Field(
            365, ge=1, description="how long before a case a clearance of the party counts"
        )
        min_name_similarity: float = Field(
            90.0, ge=50, le=100, description="similarity (rapidfuzz ratio of the sorted words, "
            "0-100) from which a name typed in a case designates a registered party",
        )  # fmt: skip
        min_comparable: int = Field(
            20, ge=1, description="fewest other parties' cleared declarations a stratum needs "
            "to be compared on its own; below, the goods in any channel and flow are, then "
            "the whole work of the officers who cleared those goods",
        )  # fmt: skip
        min_party_declarations: int = Field(
            20, ge=1, description="case parties with fewer cleared declarations at an office "
            "before their cases (in comparable work) are not tested there",
        )  # fmt: skip
        min_cleared: int = Field(
            10, ge=1, description="fewest of the party's declarations an officer must have "
            "cleared to be flagged",
        )  # fmt: skip
        min_ratio: float = Field(
            2.0, gt=1, description="cleared / expected from which an excess is material"
        )
        min_share: float = Field(
            0.25, ge=0, le=1, description="share of the party's cleared declarations at the "
            "office the officer must have cleared to be flagged",
        )  # fmt: skip
        min_findings: int = Field(
            2, ge=1, description="officers whose controls of the party's declarations found at "
            "least this many discrepancies, and at least finding_ratio of what colleagues' "
            "rate on the party predicts, are not flagged (they kept finding them)",
        )  # fmt: skip
        finding_ratio: float = Field(
            0.5, ge=0, description="share of the discrepancies colleagues' rate predicts from "
            "which an officer's findings on the party clear them (with min_findings)",
        )  # fmt: skip
        goods_level: DeskLevel = Field(
            "chapter", description="what makes work comparable: the HS chapter or section of "
            "the main item, or nothing (office: all goods alike)",
        )  # fmt: skip
        time_unit: Window = Field(
            "quarter", description="period within which shares of the work are compared"
        )
        overdispersion: Literal["additive", "multiplicative", "none"] = Field(
            "additive", description="how the funnel limits widen for real differences between "
            "officer and party pairs",
        )  # fmt: skip

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        links = case_parties(_cases(tables), _parties(tables), params.min_name_similarity)
        windows = _memtable(party_windows(links, params.lookback_days), WINDOW_SCHEMA)
        released = _released(tables, params)
        theirs = _party_declarations(released, windows)
        cleared, theirs_cleared = released.filter(~released.found), theirs.filter(~theirs.found)
        desks = cleared.select("officer_id", "office_code", "goods", "period").distinct()
        officers = _levels(cleared, ["officer_id"], desks, n=_.count())
        strata = officers.group_by(list(STRATUM)).aggregate(total=_.n.sum())
        held = _levels(theirs_cleared, [*PARTY, "officer_id"], desks, held=_.count())
        party_strata = held.group_by([*PARTY, *STRATUM]).aggregate(party_n=_.held.sum())
        party_strata = party_strata.join(strata, list(STRATUM))
        compared = _compared(theirs_cleared, party_strata, params.min_comparable)
        cells = compared.group_by([*PARTY, "officer_id", *STRATUM]).aggregate(
            y=_.count(), first_cleared=_.cleared_on.min(), last_cleared=_.cleared_on.max()
        )
        trials = cells.group_by([*PARTY, *STRATUM]).aggregate(tested_n=_.y.sum())
        trials = trials.join(party_strata, [*PARTY, *STRATUM])
        tested = _party_totals(trials, cells)
        tested = tested.filter(tested.party_cleared >= params.min_party_declarations)
        trials = trials.filter(trials.total > trials.party_n).semi_join(tested, PARTY_AT)
        pairs = _pairs(trials, officers, held, cells).join(tested, PARTY_AT)
        pairs = pairs.filter(pairs[f"{EVENT}_expected"] > 0)
        material = pairs.filter(_material(pairs, params)).select(*PAIR)
        info = _memtable(party_info(links), PARTY_SCHEMA)
        cases = _memtable(case_windows(links, params.lookback_days), CASE_SCHEMA)
        usable = compared.semi_join(trials, [*PARTY, *STRATUM])
        details = _details(usable, theirs, material, cases)
        details = details.join(info.select(*PARTY, "cases_json"), PARTY)
        result = left_join(pairs, info.drop("cases_json"), PARTY)
        return left_join(result, details, PAIR).order_by(PAIR)

    def assess(self, measures: pd.DataFrame, params: Params) -> list[Finding]:
        test = self._test(measures, params)
        return [_finding(row, test, params) for row in _assessed(test, params).itertuples()]

    def untested(self, measures: pd.DataFrame, params: Params) -> int:
        test = self._test(measures, params)
        return len(test.tested) - len(_assessed(test, params))

    def chart(self, measures: pd.DataFrame, params: Params) -> Chart:
        test = self._test(measures, params)
        chart = funnel_chart(
            "Declarations of case parties cleared per officer and party: observed / expected "
            "from the officer's share of comparable work",
            "Cleared before the cases, observed / expected",
            test,
        )
        # One dot per officer and party: name the party so the report matches dots to alerts.
        role, party = test.tested["party_role"].to_numpy(), test.tested["party_id"].to_numpy()
        subjects = {c: np.where(role == r, party, None) for r, c in ROLE_COLUMN.items()}
        return replace(
            chart,
            data=chart.data.assign(**subjects),
            volume_label="Expected from the officer's share of comparable work",
        )

    def _test(self, measures: pd.DataFrame, params: Params) -> PeerTest:
        # assess, untested and chart all need it: over millions of pairs, compute it once
        cached = getattr(self, "_tested", None)
        if cached is None or cached[0] is not measures or cached[1] != params:
            # The tested pairs were chosen in the database (party volume, E > 0): every row is one.
            m = measures.sort_values(PAIR, ignore_index=True).assign(n=measures["party_cleared"])
            peer = PeerParams(min_controlled=1, overdispersion=params.overdispersion)
            self._tested = (measures, params, peer_test(m, EVENT, peer, tail="upper"))
        return self._tested[2]


# Cases to parties (pandas: the cases and the parties' names are small) -------------------------


def _cases(tables: Tables) -> pd.DataFrame:
    cases = tables.enforcement_cases
    return cases.select(
        "case_id", "detected_on", "office_code", "party_id", "party_name", "offence"
    ).to_pandas()


def _parties(tables: Tables) -> pd.DataFrame:
    """The traders and brokers (carriers lodge nothing), with their registered names."""
    parties = tables.parties.filter(_.role.isin(list(ROLE_COLUMN)))
    return parties.select("party_id", "role", "name").to_pandas()


def name_key(name: str) -> str:
    """A name as the register and the case officer both might write it: its words without
    case, accents, punctuation or legal form (`name_matching.words`), so that 'SUNRISE
    TRADING LIMITED' and 'Sunrise Trading Ltd' have the same key. The words keep their order:
    'Baobab Dhahabu Industries' and 'Dhahabu Baobab Industries' are two companies."""
    return " ".join(words(name, company=True))


def match_names(names: pd.Series, parties: pd.DataFrame, min_similarity: float) -> pd.DataFrame:
    """The party each name designates, with the similarity of the names (0-100).

    The party whose key (`name_key`) is the name's; else the party whose key is most similar
    (rapidfuzz ratio, an edit distance: a typo or a missing word costs a few points) if at
    least `min_similarity` and more similar than any other. A name whose key several parties
    share, or that two parties resemble equally, designates none: it is left unlinked rather
    than guessed. Returns `party_id`, `registered_name` and `similarity`, indexed like `names`.
    """
    keys = [name_key(n) for n in names]
    party_keys = [name_key(n) for n in parties["name"]]
    holders: dict[str, list[int]] = {}
    for i, key in enumerate(party_keys):
        holders.setdefault(key, []).append(i)
    found: dict[int, tuple[int, float]] = {}
    for j, key in enumerate(keys):
        if key and len(holders.get(key, ())) == 1:
            found[j] = (holders[key][0], 100.0)
    unresolved = sorted({k for j, k in enumerate(keys) if k and k not in holders})
    similar = _most_similar(unresolved, party_keys, min_similarity)
    for j, key in enumerate(keys):
        if key in similar:
            found[j] = similar[key]
    rows = sorted(found.items())
    index = names.index[[j for j, _ in rows]]
    chosen = [i for _, (i, _) in rows]
    return pd.DataFrame(
        {
            "party_id": parties["party_id"].to_numpy()[chosen],
            "registered_name": parties["name"].to_numpy()[chosen],
            "similarity": [score for _, (_, score) in rows],
        },
        index=index,
    )


def _most_similar(
    queries: list[str], choices: list[str], min_similarity: float
) -> dict[str, tuple[int, float]]:
    """For each query, the choice it resembles best if at least `min_similarity` and unique."""
    best: dict[str, tuple[int, float]] = {}
    if not choices:
        return best
    for start in range(0, len(queries), NAME_CHUNK):
        chunk = queries[start : start + NAME_CHUNK]
        scores = process.cdist(chunk, choices, scorer=fuzz.ratio, score_cutoff=min_similarity,
                               dtype=np.float32, workers=1)  # fmt: skip
        for query, row in zip(chunk, scores, strict=True):
            top = np.argsort(-row, kind="stable")[:2]
            unique = len(top) == 1 or row[top[0]] > row[top[1]]
            if row[top[0]] >= min_similarity and unique:
                best[query] = (int(top[0]), float(row[top[0]]))
    return best


def case_parties(cases: pd.DataFrame, parties: pd.DataFrame, min_similarity: float) -> pd.DataFrame:
    """Each case with the trader or broker it names: by `party_id`, else by `party_name`
    (`match_names`). Columns: the case's, `party_role`, `linked_by` ("party id" or "name"),
    `registered_name` and `similarity`. Cases that name nobody, a carrier, or a name that
    designates no party (a traveller, an ambiguous name) are left out."""
    roles = parties.set_index("party_id")["role"]
    names = parties.set_index("party_id")["name"]
    by_id = cases[cases["party_id"].notna()].assign(linked_by="party id", similarity=100.0)
    by_id["registered_name"] = by_id["party_id"].map(names)
    typed = cases[cases["party_id"].isna() & cases["party_name"].notna()]
    matched = match_names(typed["party_name"], parties, min_similarity)
    by_name = typed.drop(columns="party_id").join(matched, how="inner").assign(linked_by="name")
    linked = pd.concat([by_id, by_name], ignore_index=True)
    linked["party_role"] = linked["party_id"].map(roles)
    linked = linked[linked["party_role"].isin(list(ROLE_COLUMN))]
    unlinked = len(typed) - len(matched)
    if unlinked:
        log.info("%d of %d cases known by name only designate no party", unlinked, len(typed))
    linked["detected_on"] = pd.to_datetime(linked["detected_on"]).dt.date
    return linked.sort_values(["party_id", "detected_on", "case_id"], ignore_index=True)


def party_windows(links: pd.DataFrame, lookback_days: int) -> pd.DataFrame:
    """Per linked party, the periods in which a clearance precedes one of its cases by at most
    `lookback_days`: [detected_on - lookback, detected_on), overlapping periods merged so that
    a declaration falls in at most one (no join on them can count it twice)."""
    rows = []
    for (role, party), group in links.groupby(PARTY, sort=True):
        start = end = None
        for detected in sorted(group["detected_on"]):
            begins = detected - pd.Timedelta(days=lookback_days)
            if end is not None and begins <= end:
                end = detected
                continue
            if end is not None:
                rows.append((role, party, start, end))
            start, end = begins, detected
        rows.append((role, party, start, end))
    return pd.DataFrame(rows, columns=list(WINDOW_SCHEMA))


def case_windows(links: pd.DataFrame, lookback_days: int) -> pd.DataFrame:
    """Each linked case with the first day of its lookback (`case_start`)."""
    start = [d - pd.Timedelta(days=lookback_days) for d in links["detected_on"]]
    cases = links.assign(case_start=start)
    return cases[list(CASE_SCHEMA)]


def party_info(links: pd.DataFrame) -> pd.DataFrame:
    """Per linked party: its registered name, number of cases, first case and the cases as
    JSON (what the evidence lists; JSON travels through any backend)."""
    rows = []
    for (role, party), group in links.groupby(PARTY, sort=True):
        cases = [
            {
                "case_id": c.case_id,
                "detected_on": c.detected_on.isoformat(),
                "office_code": c.office_code,
                "offence": c.offence,
                "linked_by": c.linked_by,
                **(
                    {"name_in_case": c.party_name, "name_similarity": round(c.similarity, 1)}
                    if c.linked_by == "name"
                    else {}
                ),
            }
            for c in group.itertuples()
        ]
        rows.append((role, party, group["registered_name"].iloc[0], len(group),
                     group["detected_on"].min(), json.dumps(cases)))  # fmt: skip
    return pd.DataFrame(rows, columns=list(PARTY_SCHEMA))


def _memtable(frame: pd.DataFrame, schema: dict[str, str]) -> ibis.Table:
    """A small frame as a table; an empty one still has its types (pandas makes them float)."""
    if frame.empty:
        frame = pd.DataFrame({column: pd.Series([], dtype=object) for column in schema})
    return ibis.memtable(frame, schema=schema)


# The declarations (Ibis) ----------------------------------------------------------------------


def _released(tables: Tables, params: CrimeLinks.Params) -> ibis.Table:
    """Assigned declarations that were released, in their stratum, with `found` (the control
    found a discrepancy) and `cleared_on` (the day of release). The channel is the risk
    engine's: it decided how the declaration was assigned, before the officer acted."""
    work = assigned_work(tables, params)
    work = work.filter(work.released_at.notnull())
    return work.mutate(
        channel=work.risk_channel,
        found=work.inspection_outcome == "discrepancy",
        controlled=work.inspection_outcome != "none",
        cleared_on=work.released_at.date(),
    )


def _party_declarations(released: ibis.Table, windows: ibis.Table) -> ibis.Table:
    """The case parties' declarations released in one of their windows, with party_role and
    party_id standing for each role in turn (trader, broker)."""
    parts = []
    for role, column in ROLE_COLUMN.items():
        w = windows.filter(windows.party_role == role)
        joined = released.join(w, [released[column] == w.party_id,
                                   released.cleared_on >= w.window_start,
                                   released.cleared_on < w.window_end])  # fmt: skip
        parts.append(joined.select(*PARTY, "officer_id", *STRATUM, "declarant_id", "trader_id",
                                   "cleared_on", "found", "controlled"))  # fmt: skip
    return ibis.union(*parts)


def _levels(t: ibis.Table, keys: list[str], desks: ibis.Table, **aggregates) -> ibis.Table:
    """`aggregates` per `keys` and stratum, at each level of comparison: the stratum itself;
    its goods in any channel and flow (channel and flow ANY); and the officer's whole work at
    the office in the period, for each goods the officer cleared there then (`desks`), so
    that a desk's goods are still compared among the desk (channel and flow DESK)."""
    fine = t.group_by([*keys, *STRATUM]).aggregate(**aggregates)
    goods = t.mutate(channel=ibis.literal(ANY), flow=ibis.literal(ANY))
    goods = goods.group_by([*keys, *STRATUM]).aggregate(**aggregates)
    whole = t.group_by([*keys, "office_code", "period"]).aggregate(**aggregates)
    desk = whole.join(desks, ["officer_id", "office_code", "period"])
    # Only the goods `t` has: the party's goods, not every desk its officers sat at.
    others = [k for k in keys if k != "officer_id"]
    desk = desk.semi_join(t.select(*others, "office_code", "goods", "period").distinct(),
                          [*others, "office_code", "goods", "period"])  # fmt: skip
    desk = desk.mutate(channel=ibis.literal(DESK), flow=ibis.literal(DESK))
    return ibis.union(fine, goods, desk.select(*fine.columns))


def _compared(theirs: ibis.Table, party_strata: ibis.Table, min_comparable: int) -> ibis.Table:
    """The case parties' cleared declarations in the stratum they are compared in: the finest
    level at which other parties cleared at least `min_comparable` declarations (`_levels`),
    else the desk. A trader alone with its goods at an office is compared on the whole work
    of the officers who cleared those goods there."""
    others = party_strata.mutate(others=party_strata.total - party_strata.party_n)
    by_goods = [*PARTY, "office_code", "goods", "period"]
    coarse = others.filter(others.channel == ANY).select(*by_goods, goods_others=_.others)
    fine = others.filter(~others.channel.isin([ANY, DESK]))
    fine = left_join(fine.select(*PARTY, *STRATUM, "others"), coarse, by_goods)
    level = ibis.cases(
        (fine.others >= min_comparable, None),
        (fine.goods_others.fill_null(0) >= min_comparable, ANY),
        else_=DESK,
    )
    fine = fine.select(*PARTY, *STRATUM, level=level)
    joined = theirs.join(fine, [*PARTY, *STRATUM])
    return joined.mutate(
        channel=joined.level.fill_null(joined.channel), flow=joined.level.fill_null(joined.flow)
    ).drop("level")


def _party_totals(trials: ibis.Table, cells: ibis.Table) -> ibis.Table:
    """Per case party and office: its cleared declarations in strata with other parties' work
    (`party_cleared`), of which compared in any channel and flow or on the desk's work, and
    in strata without (`party_cleared_without_comparison`); the officers who cleared them and
    when."""
    usable = trials.total > trials.party_n
    totals = trials.group_by(PARTY_AT).aggregate(
        party_cleared=usable.ifelse(trials.tested_n, 0).sum(),
        party_cleared_by_goods_only=(usable & (trials.channel == ANY)).ifelse(trials.tested_n, 0)
        .sum(),
        party_cleared_by_desk=(usable & (trials.channel == DESK)).ifelse(trials.tested_n, 0)
        .sum(),
        party_cleared_without_comparison=(~usable).ifelse(trials.tested_n, 0).sum(),
    )  # fmt: skip
    who = cells.group_by(PARTY_AT).aggregate(
        party_officers=_.officer_id.nunique(),
        party_first=_.first_cleared.min(),
        party_last=_.last_cleared.max(),
    )
    return totals.join(who, PARTY_AT)


def _pairs(
    trials: ibis.Table, officers: ibis.Table, held: ibis.Table, cells: ibis.Table
) -> ibis.Table:
    """Per officer and case party: `cleared` (O) and `cleared_expected` (E), the party's
    declarations in each stratum valued at the officer's share of the other parties' cleared
    work there; with the sampling variance of E.

    Leaving the party out keeps a party that dominates a stratum from making its favourite
    officer look busy, which would pull E towards O. The variance of E is that of a share
    estimated from the other parties' N - Y declarations, at the pooled share n / N the null
    hypothesis implies: Y² π (1 - π) / (N - Y) summed over the strata (as `peers` does)."""
    t = trials.join(officers, list(STRATUM))  # every officer clearing work there
    t = left_join(t, held, [*PARTY, "officer_id", *STRATUM])
    t = left_join(t, cells, [*PARTY, "officer_id", *STRATUM])
    y, own = t.y.fill_null(0), t.held.fill_null(0)
    others = (t.total - t.party_n).cast("float64")
    pooled = t.n / t.total.cast("float64")
    return t.group_by(PAIR).aggregate(
        **{
            EVENT: y.sum(),
            f"{EVENT}_expected": (t.tested_n * (t.n - own) / others).sum(),
            f"{EVENT}_expected_variance": (
                t.tested_n * t.tested_n * pooled * (1 - pooled) / others
            ).sum(),
        },
        first_cleared=t.first_cleared.min(),
        last_cleared=t.last_cleared.max(),
    )


def _assessed(test: PeerTest, params: CrimeLinks.Params) -> pd.DataFrame:
    """The tested pairs that get a finding: all, or those found material in the database (they
    carry details): only these can alert, and a finding per pair of a large administration
    would not fit in memory."""
    tested = test.tested
    return tested if params.every_pair else tested[tested["cases_json"].notna()]


def _material(pairs: ibis.Table, params: CrimeLinks.Params) -> ibis.BooleanValue:
    o = pairs[EVENT]
    return (
        (o >= params.min_cleared)
        & (o >= params.min_ratio * pairs[f"{EVENT}_expected"])
        & (o >= params.min_share * pairs.party_cleared)
    )


def _details(
    usable: ibis.Table, theirs: ibis.Table, material: ibis.Table, cases: ibis.Table
) -> ibis.Table:
    """For the material pairs only: `counterparties`, the officer's cleared declarations of the
    party per broker and trader; `before_cases`, how many came before each case; and the
    controls of the party's declarations in its windows, and discrepancies found, by the
    officer and by everyone at the office."""
    mine = usable.semi_join(material, PAIR)
    # DuckDB sums BIGINT into HUGEINT, which nested values keep; int32 is ample for counts.
    by_party = mine.group_by([*PAIR, "declarant_id", "trader_id"]).aggregate(
        declarations=_.count().cast("int32")
    )
    counterparties = by_party.group_by(PAIR).aggregate(
        counterparties=ibis.struct(
            {"declarant_id": _.declarant_id, "trader_id": _.trader_id,
             "declarations": _.declarations}
        ).collect()  # ordered in Python: not every backend orders within an aggregate
    )  # fmt: skip
    joined = mine.join(cases, [mine.party_role == cases.party_role,
                               mine.party_id == cases.party_id,
                               mine.cleared_on >= cases.case_start,
                               mine.cleared_on < cases.detected_on])  # fmt: skip
    per_case = joined.group_by([*PAIR, "case_id"]).aggregate(declarations=_.count().cast("int32"))
    before = per_case.group_by(PAIR).aggregate(
        before_cases=ibis.struct({"case_id": _.case_id, "declarations": _.declarations}).collect()
    )
    controls = theirs.semi_join(material, PARTY_AT)
    at_office = controls.group_by(PARTY_AT).aggregate(
        party_controls=_.controlled.sum(), party_findings=_.found.sum()
    )
    by_officer = (
        controls.semi_join(material, PAIR)
        .group_by(PAIR)
        .aggregate(officer_controls=_.controlled.sum(), officer_findings=_.found.sum())
    )
    findings = by_officer.join(at_office, PARTY_AT)
    return counterparties.join(before, PAIR).join(findings, PAIR)



# Findings (pandas, per pair) -------------------------------------------------------------------


def _finding(row, test: PeerTest, params: CrimeLinks.Params) -> Finding:
    o, e, n = int(row.cleared), float(row.cleared_expected), int(row.party_cleared)
    role = ROLE_LABEL[row.party_role]
    # Pairs found material in the database carry details; their controls then decide.
    controls = _controls(row) if isinstance(row.cases_json, str) else None
    material = controls is not None and not _kept_finding(controls, params)
    start, end = (row.first_cleared, row.last_cleared) if o else (row.party_first, row.party_last)
    cases = _cases_text(int(row.cases), as_date(row.first_case))
    evidence = {
        "office_code": row.office_code,
        "party_role": role,
        "party_name": row.party_name,
        "lookback_days": params.lookback_days,
        "party_cleared": n,
        "party_cleared_compared_in_any_channel_and_flow": int(row.party_cleared_by_goods_only),
        "party_cleared_compared_on_desk_work": int(row.party_cleared_by_desk),
        "party_cleared_without_comparison": int(row.party_cleared_without_comparison),
        "officers_clearing_party": int(row.party_officers),
        "cleared_by_officer": o,
        "expected_cleared_by_officer": e,
        "ratio": float(row.ratio),
        "ratio_ci95": [float(row.ratio_low), float(row.ratio_high)],
        "share": rate(o, n),
        "expected_share": rate(e, n),
        "peer_group": (
            f"the officer's share of the other parties' declarations cleared at "
            f"{row.office_code} in the same {GOODS_WORDS[params.goods_level]}, risk channel, "
            f"flow and {params.time_unit}; where those were fewer than "
            f"{params.min_comparable}, of the same goods in any channel and flow, or else of "
            "the whole work of the officers who cleared such goods there (the party's own "
            "declarations left out)"
        ),
        "test": test.method(),
        "z": float(row.z),
        "p_funnel": float(row.p_funnel),
        "p_exact_poisson": float(row.p_exact),
        "p_exact_poisson_gamma": float(row.p_uncertain),
    }
    if controls is not None:
        evidence["controls_of_party"] = controls
        evidence["cases"] = _case_rows(row)
        evidence["network"] = _network(row)
    return Finding(
        subjects={"officer_id": row.officer_id, ROLE_COLUMN[row.party_role]: row.party_id},
        period_start=as_date(start),
        period_end=as_date(end),
        score=float(row.ratio),
        flagged=material,
        office_code=row.office_code,
        summary=(
            f"Officer {row.officer_id} cleared {o} of the {n} declarations of {role} "
            f"{row.party_id} released at {row.office_code} green or without findings in the "
            f"{params.lookback_days} days before {cases}; their share of comparable work "
            f"predicts about {e:.1f} ({float(row.ratio):.1f} times as many; {{q}})."
        ),
        evidence=evidence,
        p_value=float(row.p_value),
    )


def _controls(row) -> dict:
    """The party's controlled declarations in its windows at the office and the discrepancies
    found, by the officer and by colleagues; and the discrepancies the officer's controls would
    have found at the colleagues' rate (none when colleagues controlled none)."""
    mine, found = int(row.officer_controls), int(row.officer_findings)
    theirs, found_by_them = int(row.party_controls) - mine, int(row.party_findings) - found
    return {
        "by_officer": mine,
        "discrepancies_found_by_officer": found,
        "expected_discrepancies_found_by_officer": mine * (rate(found_by_them, theirs) or 0.0),
        "by_colleagues": theirs,
        "discrepancies_found_by_colleagues": found_by_them,
    }


def _kept_finding(controls: dict, params: CrimeLinks.Params) -> bool:
    """Whether the officer's controls kept finding discrepancies in the party's goods, about as
    often as colleagues' did: then they were not clearing them without findings, and the tie
    alone is for `assignment.steering` to judge. A finding or two says nothing either way
    (goods that rarely show any, or the officer's honest months in the window)."""
    found = controls["discrepancies_found_by_officer"]
    expected = controls["expected_discrepancies_found_by_officer"]
    return found >= params.min_findings and found >= params.finding_ratio * expected


def _cases_text(count: int, first: date) -> str:
    if count == 1:
        return f"its enforcement case of {first.isoformat()}"
    return f"one of its {count} enforcement cases (the first of {first.isoformat()})"


def _case_rows(row) -> list[dict]:
    before = {c["case_id"]: int(c["declarations"]) for c in row.before_cases}
    return [
        {**case, "cleared_before_by_officer": before.get(case["case_id"], 0)}
        for case in json.loads(row.cases_json)
    ]


def _network(row) -> list[dict]:
    """The alert as edges officer → broker → trader → case, weighted by the declarations the
    officer cleared: per broker, per broker and trader, and before each case. The largest
    MAX_COUNTERPARTIES broker × trader combinations are kept; the rest are lumped together."""
    combos = sorted(row.counterparties, key=lambda c: (-c["declarations"], c["declarant_id"],
                                                        c["trader_id"]))  # fmt: skip
    shown, rest = combos[:MAX_COUNTERPARTIES], combos[MAX_COUNTERPARTIES:]
    if rest:
        lumped = "trader_id" if row.party_role == "declarant" else "declarant_id"
        kept = {"trader_id": row.party_id, "declarant_id": row.party_id}
        shown.append({**kept, lumped: OTHERS,
                      "declarations": sum(c["declarations"] for c in rest)})  # fmt: skip
    brokers: dict[str, int] = {}
    for c in shown:
        brokers[c["declarant_id"]] = brokers.get(c["declarant_id"], 0) + c["declarations"]
    edges = [_edge("officer", row.officer_id, "broker", b, n) for b, n in brokers.items()]
    edges += [_edge("broker", c["declarant_id"], "trader", c["trader_id"], c["declarations"])
              for c in shown]  # fmt: skip
    party = ROLE_LABEL[row.party_role]
    edges += [_edge(party, row.party_id, "case", case["case_id"], case["cleared_before_by_officer"])
              for case in _case_rows(row)]  # fmt: skip
    return edges


def _edge(from_role: str, from_id: str, to_role: str, to_id: str, declarations: int) -> dict:
    return {"from_role": from_role, "from_id": from_id, "to_role": to_role, "to_id": to_id,
            "declarations": int(declarations)}  # fmt: skip


