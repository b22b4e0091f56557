"""interests.conflict — an officer clears the declarations of a company they declared an
interest in, or that a declared relative owns."""

from __future__ import annotations

import json
from datetime import date

import ibis
import numpy as np
import pandas as pd
from ibis import _
from pydantic import Field

from arusha.detectors import roster
from arusha.detectors.name_matching import NAME_LEVELS, NUMBER_LEVELS, link_records
from arusha.detectors.shared import left_join
from arusha.engine.detector import Detector, Finding
from arusha.engine.tables import Tables
from arusha.stats import assignment_tests, standardised_ratio

PARTY = ["party_role", "party_id"]
PAIR = ["officer_id", *PARTY]  # one finding: an officer and a party they are linked to
ROLES = ("declarant", "trader")  # the parties a declaration names; carriers it does not
ROLE_LABEL = {"declarant": "broker", "trader": "trader"}
COMPANY_RELATIONS = frozenset({"business", "company"})  # other relations declare a person
CONTROLS = ("yellow", "red")
WHOLE_NAME = (NAME_LEVELS[4][0], NAME_LEVELS[3][0])  # the same words, in whatever spelling
LINK_SCHEMA = ibis.schema({
    "officer_id": "string", "party_role": "string", "party_id": "string",
    "link_probability": "float64", "link_weight": "float64", "links": "int64", "link": "string",
})  # fmt: skip


class InterestConflict(Detector):
    """Officers who handle the declarations of a company they are linked to through their own
    declaration of interests: a business they declared, or a company one of their declared
    relatives owns or directs. Codes of conduct require an officer with such an interest to
    declare it and to stand aside from the company's declarations; one who clears them
    instead, and especially one who receives more of them than the assignment draw would give,
    is in a conflict of interest the administration can see in its own data.

    Declared names are linked to the parties register (each company's registered name and
    number, each of its owners) by a probabilistic record-linkage model (Fellegi–Sunter,
    run by Splink) that tolerates case, accents, comma forms, word order and transliteration
    (Hassan / Hasan, Aisha / Aicha), and weighs each name by how common it is: a match on a
    name many owners carry says little about which of them is the relative. A link whose
    probability reaches `min_link_probability` identifies the company; the officer is then
    flagged when they handled at least `min_handled` of its declarations. A weaker link on the
    whole name (a common name) alerts only with more corroboration: the officer received at
    least `min_ratio` times what random assignment among the officers on duty at the desk
    would give, significantly (exact Poisson-binomial test, false-discovery rate across these
    links); a weak link on part of a name, or on a merely similar one, never alerts. A common
    name alone never alerts, nor a link to a company the officer never handles."""

    id = "interests.conflict"
    title = "Declarations handled despite a declared interest"
    reference = (
        "WCO Revised Arusha Declaration (2003), factor 7: Code of conduct (conflicts of "
        "interest, declarations of interests) and factor 10: Relationship with the private "
        "sector; WCO Model Code of Ethics and Conduct; Fellegi IP, Sunter AB (1969) JASA "
        "64:1183-1210 (record linkage)"
    )
    needs = ("declarations", "items", "officers", "parties", "interests")

    class Params(roster.RosterParams):
        min_link_probability: float = Field(
            0.5, gt=0, lt=1, description="match probability from which a link identifies the "
            "company by the names and numbers alone",
        )  # fmt: skip
        min_candidate_probability: float = Field(
            0.01, gt=0, lt=1, description="weaker links are not considered at all",
        )  # fmt: skip
        min_handled: int = Field(
            10, ge=1, description="fewest of the company's declarations the officer must have "
            "handled to be flagged",
        )  # fmt: skip
        min_ratio: float = Field(
            2.0, gt=1, description="for links below min_link_probability: received / expected "
            "under random assignment from which the excess corroborates the link",
        )  # fmt: skip

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        links = link_interests(
            tables, params.min_candidate_probability, params.min_link_probability
        )
        pairs = ibis.memtable(links, schema=LINK_SCHEMA)
        handled = _handling(tables.declarations, pairs)
        chance = _chance(tables, pairs, params)
        return left_join(handled, chance, PAIR).order_by(PAIR)

    def assess(self, measures: pd.DataFrame, params: Params) -> list[Finding]:
        m = measures.sort_values(PAIR, ignore_index=True)
        for column in ("eligible", "received", "expected"):
            m[column] = m[column].fillna(0)
        m["p_value"], m["exact"] = _p_upper(m)
        m["ratio"] = m["ratio_low"] = m["ratio_high"] = np.nan
        chance = m["expected"] > 0  # an officer never eligible has no ratio
        if chance.any():
            ratio = standardised_ratio(m.loc[chance, "received"], m.loc[chance, "expected"])
            m.loc[chance, ["ratio", "ratio_low", "ratio_high"]] = np.column_stack(
                [ratio.estimate, ratio.low, ratio.high]
            )
        return [_finding(row, params) for row in m.itertuples()]


# Linking declared interests with the parties register (pandas, small tables) ------------------


def link_interests(
    tables: Tables, min_probability: float, min_link_probability: float
) -> pd.DataFrame:
    """The strongest link of each officer to each party (see `_strongest`), as rows of
    LINK_SCHEMA; links below `min_probability` are left out.

    The interests and parties tables are the only ones read into memory: both are registers
    of people and companies (thousands of rows; parties a few hundred thousand at the largest
    administrations), and record linkage compares them pair by pair."""
    # Sorted, so that ids and ties are the same on every backend and every run.
    interests = tables.interests.to_pandas()
    interests = interests.sort_values(list(interests.columns), ignore_index=True)
    parties = tables.parties.filter(_.role.isin(ROLES)).order_by("party_id").to_pandas()
    interests["declared_id"] = interests.index.astype(str)
    interests["name"] = interests["person_or_company"]
    company = (
        interests["relation"].fillna("").str.casefold().isin(COMPANY_RELATIONS)
        | interests["registration_no"].notna()
    )
    owners = _owners(parties)
    firms = parties.assign(record_id=parties["party_id"], matched_as="registered name")
    firm_links = link_records(interests[company], firms, True, min_probability)
    people_links = link_records(interests[~company], owners, False, min_probability)
    found = [
        _pairs(links, interests, records)
        for links, records in ((firm_links, firms), (people_links, owners))
        if len(links)
    ]
    return _strongest(pd.concat(found, ignore_index=True) if found else None, min_link_probability)


def _owners(parties: pd.DataFrame) -> pd.DataFrame:
    """One record per owner or director named in a party's `owners` (`;`-separated)."""
    owners = parties.assign(name=parties["owners"].fillna("").str.split(";")).explode("name")
    owners["name"] = owners["name"].str.strip()
    owners = owners[owners["name"] != ""].reset_index(drop=True)
    position = owners.groupby("party_id").cumcount().astype(str)
    return owners.assign(record_id=owners["party_id"] + "#" + position,
                         matched_as="owner or director", registration_no=None)  # fmt: skip


def _pairs(found: pd.DataFrame, interests: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Links with the officer, the party and the evidence of the match."""
    if found.empty:
        return found
    ours = interests.set_index("declared_id").loc[found["declared_id"]].reset_index()
    theirs = records.set_index("record_id").loc[found["record_id"]].reset_index()
    return pd.DataFrame({
        "declared_id": found["declared_id"],
        "record_id": found["record_id"],
        "officer_id": ours["officer_id"].to_numpy(),
        "party_role": theirs["role"].to_numpy(),
        "party_id": theirs["party_id"].to_numpy(),
        "link_probability": found["match_probability"].to_numpy(),
        "link_weight": found["match_weight"].to_numpy(),
        "link": [_link_evidence(f, o, t) for f, o, t in
                 zip(found.itertuples(), ours.itertuples(), theirs.itertuples(), strict=True)],
    })  # fmt: skip


def _link_evidence(pair, declared, record) -> str:
    """What was matched and how strongly, as JSON (it travels through the backend)."""
    number = NUMBER_LEVELS[pair.number_level]
    evidence = {
        "declared": declared.name,
        "relation": declared.relation,
        "declared_registration_no": _text(declared.registration_no),
        "matched": record.name,
        "matched_as": record.matched_as,
        "registration_no": _text(record.registration_no) if number != "not compared" else None,
        "name_agreement": NAME_LEVELS[pair.name_level][0],
        "name_similarity": _number(pair.similarity),
        "registration_no_agreement": number,
        "name_m_probability": _number(pair.name_m),
        "name_u_probability": _number(pair.name_u),
        "register_records": int(pair.register_size),
        "namesakes_in_register": _number(pair.namesakes),
        "expected_namesakes": _number(pair.expected_namesakes),
        "match_weights": {
            "prior": pair.prior_weight,
            "name": pair.name_weight,
            "registration_no": pair.number_weight,
        },
        "match_weight": pair.match_weight,
        "match_probability": pair.match_probability,
    }
    return json.dumps(evidence, sort_keys=True, ensure_ascii=False)


def _strongest(pairs: pd.DataFrame | None, min_link_probability: float) -> pd.DataFrame:
    """One row per officer and party: the link that makes the strongest case (an identified
    one, else one on the whole name, the most probable first), with the number of links."""
    if pairs is None:
        return pd.DataFrame({c: pd.Series(dtype=t.to_pandas()) for c, t in LINK_SCHEMA.items()})
    pairs = pairs.assign(
        identified=pairs["link_probability"] >= min_link_probability,
        whole=[_whole_name(json.loads(link)) for link in pairs["link"]],
    )
    ordered = pairs.sort_values(
        [*PAIR, "identified", "whole", "link_probability", "declared_id", "record_id"],
        ascending=[True, True, True, False, False, False, True, True],
    )
    best = ordered.drop_duplicates(PAIR).copy()
    links = ordered.groupby(PAIR).size()
    best["links"] = links.loc[list(best[PAIR].itertuples(index=False, name=None))].to_numpy()
    return best[list(LINK_SCHEMA.names)].reset_index(drop=True)


def _text(value) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _number(value) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


# Corroboration: what the officer did with the party's declarations (Ibis) --------------------


def _linked_declarations(declarations: ibis.Table, pairs: ibis.Table) -> ibis.Table:
    """The declarations of the linked parties, once per role the party plays in them, with
    `party_role` and `party_id`."""
    parts = []
    for role in ROLES:
        parties = pairs.filter(_.party_role == role).select("party_id").distinct()
        d = declarations.semi_join(parties, declarations[f"{role}_id"] == parties.party_id)
        parts.append(d.mutate(party_role=ibis.literal(role), party_id=d[f"{role}_id"]))
    return ibis.union(*parts)


def _handling(declarations: ibis.Table, pairs: ibis.Table) -> ibis.Table:
    """Per linked pair whose party has declarations: the party's declarations and the
    officer's, how those ended against the other officers', the period of the officer's
    handling, and the office where they handled most (else the party's main office) with the
    counts there."""
    d = _linked_declarations(declarations, pairs)
    controlled = d.final_channel.isin(CONTROLS)
    d = d.mutate(
        controlled=controlled.cast("int64"),
        discrepancy=(controlled & (d.inspection_outcome == "discrepancy")).cast("int64"),
        green=(d.final_channel == "green").cast("int64"),
    )
    party = d.group_by(PARTY).aggregate(
        party_declarations=_.count(),
        party_controlled=_.controlled.sum(),
        party_discrepancies=_.discrepancy.sum(),
        party_first=_.lodged_at.min().date(),
        party_last=_.lodged_at.max().date(),
    )
    theirs = d.join(pairs.select(PAIR), PAIR)
    mine = theirs.group_by(PAIR).aggregate(
        handled=_.count(),
        handled_green=_.green.sum(),
        handled_controlled=_.controlled.sum(),
        handled_discrepancies=_.discrepancy.sum(),
        first_handled=_.lodged_at.min().date(),
        last_handled=_.lodged_at.max().date(),
    )
    at_office = d.group_by([*PARTY, "office_code"]).aggregate(party_at_office=_.count())
    mine_at_office = theirs.group_by([*PAIR, "office_code"]).aggregate(handled_at_office=_.count())
    result = pairs.join(party, PARTY)
    result = left_join(result, mine, PAIR)
    result = left_join(result, _main_office(mine_at_office, PAIR, "handled_at_office"), PAIR)
    result = left_join(result, _main_office(at_office, PARTY, "party_at_office", "party_office"),
                        PARTY)  # fmt: skip
    result = result.mutate(office_code=result.office_code.coalesce(result.party_office))
    result = left_join(result.drop("party_office"), at_office, [*PARTY, "office_code"])
    result = left_join(result, mine_at_office, [*PAIR, "office_code"])
    counts = ("handled", "handled_green", "handled_controlled", "handled_discrepancies",
              "handled_at_office")  # fmt: skip
    return result.mutate(**{c: result[c].fill_null(0) for c in counts})


def _main_office(
    counts: ibis.Table, keys: list[str], count: str, name: str = "office_code"
) -> ibis.Table:
    """The office with the largest `count` per key (ties to the first code), as `name`."""
    ranked = counts.mutate(
        rank=ibis.row_number().over(
            group_by=keys, order_by=[counts[count].desc(), counts.office_code]
        )
    )
    return ranked.filter(_["rank"] == 0).select(*keys, **{name: _.office_code})


def _chance(tables: Tables, pairs: ibis.Table, params: InterestConflict.Params) -> ibis.Table:
    """Per linked pair: the party's assigned declarations the officer could have received (on
    duty at the office and desk that day, as in assignment.steering), how many they received,
    the number random assignment gives (sum of 1/k) and `draws`, the declarations per number
    k of eligible officers, for the exact test."""
    window = params.desk_window
    logins = tables if tables.has("audit_events") else None
    assigned = roster.assignments(tables, params.desk)
    linked = _linked_declarations(assigned, pairs)
    received = linked.join(pairs.select(PAIR), PAIR).group_by(PAIR).aggregate(received=_.count())
    cells = linked.group_by([*roster.CELL, *PARTY]).aggregate(n=_.count())
    trials = cells.join(pairs.select(PAIR), PARTY)
    trials = roster.only_eligible(trials, assigned, window, logins)
    trials = trials.join(roster.draw_sizes(assigned, window, logins), list(roster.CELL))
    # DuckDB sums BIGINT into HUGEINT, which nested values keep; int32 is ample for counts.
    per_k = trials.group_by([*PAIR, "k"]).aggregate(n=_.n.sum().cast("int32"))
    chance = per_k.group_by(PAIR).aggregate(
        eligible=_.n.sum(),
        expected=(_.n / _.k).sum(),
        draws=ibis.struct({"k": _.k, "n": _.n}).collect(),
    )
    return left_join(chance, received, PAIR).mutate(received=_.received.fill_null(0))



# The finding (pandas, per pair) ----------------------------------------------------------------


def _p_upper(m: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """P(at least `received` | random assignment) per pair, and whether it is exact: the
    Poisson-binomial upper tail over the draws, each declaration received with chance 1/k
    (`arusha.stats.assignment_tests`, which approximates beyond 20,000 trials)."""
    chances = [
        np.concatenate([np.full(int(d["n"]), 1.0 / d["k"]) for d in draws])
        if isinstance(draws, list | np.ndarray) and len(draws)
        else np.empty(0)
        for draws in m["draws"]
    ]
    pair = np.repeat(np.arange(len(m)), [c.size for c in chances])
    # Only the number received matters to the test, not which declarations they were.
    first = np.concatenate([np.arange(c.size) for c in chances]) if len(m) else np.empty(0)
    got = first < m["received"].to_numpy()[pair]
    chance = np.concatenate(chances) if len(m) else np.empty(0)
    tests = assignment_tests(pair, chance, got, n_pairs=len(m))
    return tests.p_upper, tests.exact


def _finding(row, params: InterestConflict.Params) -> Finding:
    link = json.loads(row.link)
    identified = row.link_probability >= params.min_link_probability
    handled, received, expected = int(row.handled), int(row.received), float(row.expected)
    material = handled >= params.min_handled
    excess = received >= params.min_ratio * expected
    corroborated = identified or (excess and _whole_name(link))
    start, end = _period(row)
    evidence = {
        "office_code": row.office_code,
        "party_role": row.party_role,
        "link": link,
        "links_between_officer_and_party": int(row.links),
        "link_identified": bool(identified),
        "party_declarations": int(row.party_declarations),
        "handled": handled,
        "party_declarations_at_office": int(row.party_at_office),
        "handled_at_office": int(row.handled_at_office),
        "handled_green": int(row.handled_green),
        "handled_controlled": int(row.handled_controlled),
        "handled_discrepancies": int(row.handled_discrepancies),
        "others_controlled": int(row.party_controlled - row.handled_controlled),
        "others_discrepancies": int(row.party_discrepancies - row.handled_discrepancies),
        "declarations_eligible": int(row.eligible),
        "received_when_eligible": received,
        "expected_under_random_assignment": expected,
        "ratio": _number(row.ratio),
        "ratio_ci95": [_number(row.ratio_low), _number(row.ratio_high)],
        "peer_group": (
            "officers on duty at the office on the day of each of the party's assigned "
            f"declarations who handled its desk (the main item's HS {params.desk}) there that "
            f"{params.desk_window}"
        ),
        "test": (
            "exact Poisson-binomial upper tail of the declarations received, p_i = 1/k_i"
            if row.exact
            else "normal approximation to the Poisson-binomial upper tail, p_i = 1/k_i"
        ),
        "p_random_assignment": float(row.p_value),
        "period_start": start,
        "period_end": end,
    }
    return Finding(
        subjects={"officer_id": row.officer_id, f"{row.party_role}_id": row.party_id},
        period_start=start,
        period_end=end,
        score=float(row.link_probability) * handled,
        summary=_summary(row, link, identified),
        evidence=evidence,
        # An identified link is a rule: the conflict needs no test. A weaker one is only
        # corroborated by an excess over random assignment, which is tested.
        p_value=None if identified else float(row.p_value),
        flagged=bool(material and corroborated),
        office_code=row.office_code,
    )


def _whole_name(link: dict) -> bool:
    """Whether the registers agree on the whole name (in whatever spelling or order) or on the
    registration number. Only such a link can be corroborated by an excess: a partial or
    merely similar name next to a steered company is more often a coincidence of names beside
    steering for other reasons (which assignment.steering reports) than a conflict."""
    return (
        link["name_agreement"] in WHOLE_NAME
        or link["registration_no_agreement"] == NUMBER_LEVELS[1]
    )


def _period(row) -> tuple[date, date]:
    first, last = (
        (row.first_handled, row.last_handled) if row.handled else (row.party_first, row.party_last)
    )
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()


def _summary(row, link: dict, identified: bool) -> str:
    """One sentence: what the officer did with the party's declarations, and the link."""
    role = ROLE_LABEL[row.party_role]
    work = (
        f"Officer {row.officer_id} handled {int(row.handled_at_office)} of the "
        f"{int(row.party_at_office)} declarations of {role} {row.party_id} at {row.office_code} "
        f"(random assignment would have given about {row.expected:.0f}"
        + ("" if identified else ", {q}")
        + f"), {_outcome(row)}"
    )
    probability = f"link probability {link['match_probability']:.2f}"
    if link["matched_as"] == "registered name":
        number = link["declared_registration_no"]
        interest = f"a business interest in {link['declared']}" + (f" ({number})" if number else "")
        same_number = link["registration_no_agreement"] == "the same number"
        if same_number and link["name_agreement"] == NAME_LEVELS[4][0]:
            match = f"the {role}'s registered name and number"
        elif same_number:
            match = f"the {role}'s registered number (registered name '{link['matched']}')"
        else:
            match = f"{link['name_agreement']} as the {role}'s registered name '{link['matched']}'"
        link_text = f"declared {interest}, {match} ({probability})"
    else:
        link_text = (
            f"declared as {link['relation']} {link['declared']}, who matches "
            f"'{link['matched']}', an owner or director of the {role} "
            f"({link['name_agreement']}; {probability})"
        )
    if identified:
        return f"{work}, and {link_text}."
    namesakes = max(link["namesakes_in_register"] or 0.0, link["expected_namesakes"] or 0.0)
    return (
        f"{work}, and {link_text}; with about {_about(namesakes)} namesakes to expect in the "
        "register the name alone does not identify the owner: the excess corroborates it."
    )


def _about(count: float) -> str:
    return f"{count:.1f}" if count < 10 else f"{count:.0f}"


def _outcome(row) -> str:
    controlled, found = int(row.handled_controlled), int(row.handled_discrepancies)
    others = int(row.party_controlled - row.handled_controlled)
    others_found = int(row.party_discrepancies - row.handled_discrepancies)
    if not controlled:
        return "none of them controlled"
    return (
        f"{found or 'none'} of their {controlled} controls finding a "
        f"discrepancy (other officers: {others_found} of {others})"
    )
