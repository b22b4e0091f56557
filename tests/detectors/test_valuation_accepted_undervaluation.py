"""valuation.accepted_undervaluation: an officer who releases one trader's undervalued goods is
found with that trader and broker; a trader whose goods are cheap with every officer, an
officer who uplifts undervalued goods, blue releases and a part-timer are not."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from arusha.detectors.valuation_accepted_undervaluation import (
    AcceptedUndervaluation,
    conditional_upper_tail,
    controlled_work,
    priced_items,
)
from arusha.engine import Tables
from arusha.evaluate import evaluate
from tests.detectors.test_peers import run
from tests.worlds import build, declaration, item

TOYS, SHIRTS, COMPUTERS = "9503000000", "6109100000", "8471300000"
USUAL = 10.0  # customs value per kg of the honest traders' goods
HONEST = np.exp([-0.2, -0.1, 0.0, 0.1, 0.2])  # their prices, around USUAL, in turn
UNDER, CHEAP = 0.35, 0.4  # the planted undervaluation; the cheap trader's price level
MASS = 100.0
PARAMS = AcceptedUndervaluation.Params()


@dataclass
class Trades:
    """A world of one office (AIR01), import declarations of Q1 2025, one item of 100 kg
    each unless told otherwise; declarations are added batch by batch."""

    declarations: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    officers: dict[str, dict] = field(default_factory=dict)
    parties: dict[str, dict] = field(default_factory=dict)

    def add(self, officer: str, trader: str, n: int, goods: str = TOYS, price: float | None = None,
            channel: str = "yellow", uplift: bool = False, broker: str = "B1",
            second_item: float | None = None, origin: str = "CN") -> Trades:  # fmt: skip
        """`n` declarations of `trader` handled by `officer` ("" for none) at `price` times
        the usual price (default: the honest prices in turn); `uplift`: the control found a
        discrepancy and raised the duties; `second_item`: the price of a second item."""
        self._party(trader, "trader")
        self._party(broker, "declarant")
        if officer:
            self.officers.setdefault(officer, {
                "officer_id": officer, "office_code": "AIR01", "post": "examiner",
                "start_date": "2020-01-01", "end_date": "",
            })  # fmt: skip
        for i in range(n):
            number = len(self.declarations)
            day = f"2025-{1 + i % 3:02d}-{1 + (i // 3) % 28:02d}"
            row = declaration(
                number, office_code="AIR01", declarant_id=broker, trader_id=trader,
                officer_id=officer, lodged_at=f"{day}T09:00:00",
                assigned_at=f"{day}T09:30:00" if officer else "",
                released_at=f"{day}T15:00:00", risk_channel=channel, final_channel=channel,
                inspection_outcome="discrepancy" if uplift else (
                    "none" if channel in ("green", "blue") else "no_discrepancy"),
                duties_assessed="150.00" if uplift else "100.00",
            )  # fmt: skip
            self.declarations.append(row)
            unit = USUAL * (HONEST[number % len(HONEST)] if price is None else price)
            self._item(row, 1, goods, unit, origin)
            if second_item is not None:
                self._item(row, 2, goods, USUAL * second_item, origin)
        return self

    def _item(self, row: dict, item_no: int, goods: str, unit: float, origin: str) -> None:
        self.items.append(item(
            row["declaration_id"], goods, item_no=str(item_no), origin_country=origin,
            customs_value=f"{unit * MASS:.2f}", net_mass_kg=f"{MASS:.1f}",
        ))  # fmt: skip

    def _party(self, party: str, role: str) -> None:
        self.parties.setdefault(party, {"party_id": party, "role": role, "name": f"{party} Ltd"})

    def build(self, tmp_path: Path) -> Tables:
        return build(tmp_path, parties=list(self.parties.values()),
                     officers=list(self.officers.values()), declarations=self.declarations,
                     items=self.items)  # fmt: skip


def trades() -> Trades:
    t = Trades()
    # The market: honest traders' green declarations, unassigned. Shirts need more, to keep
    # the cheap trader (a sixth of the cell) from widening the MAD until it looks ordinary.
    for trader in ("H1", "H2", "H3", "H4", "H5"):
        t.add("", trader, 20, TOYS, channel="green").add("", trader, 60, SHIRTS, channel="green")
    for officer in ("G1", "G2", "G3", "C"):  # honest controls of honest goods
        t.add(officer, "H1", 20, TOYS).add(officer, "H1", 12, SHIRTS)
    # Planted: C releases 12 of trader TU's toys with a second item at 35% of the usual price
    # (9 lodged by broker BU, 3 by B1), and 4 more in blue; TU is priced normally otherwise,
    # and with G1 and G2.
    t.add("C", "TU", 9, second_item=UNDER, broker="BU").add("C", "TU", 3, second_item=UNDER)
    t.add("C", "TU", 8, broker="BU").add("C", "TU", 4, price=UNDER, channel="blue")
    t.add("G1", "TU", 6, broker="BU").add("G2", "TU", 6, broker="BU")
    # Trader TC's shirts are cheap with every officer, who all release them.
    for officer in ("G1", "G2", "G3", "C"):
        t.add(officer, "TC", 12, SHIRTS, price=CHEAP)
    t.add("PART", "TC", 4, SHIRTS, price=CHEAP)  # a part-timer: four, all cheap
    # U controls trader TX's undervalued toys and raises the duties every time.
    t.add("U", "TX", 15, price=UNDER, uplift=True).add("U", "H1", 15)
    t.add("", "H2", 3, origin="VN")  # too few Vietnamese toys: compared with all toys
    t.add("", "H2", 2, COMPUTERS)  # too few computers to price at all
    return t


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Trades, Tables]:
    t = trades()
    return t, t.build(tmp_path_factory.mktemp("undervaluation"))


def findings(tables: Tables, **params) -> dict[tuple[str, str], object]:
    r = run(AcceptedUndervaluation, tables, **params)
    tested = AcceptedUndervaluation().assess(r.measures, r.params)
    return {(f.subjects["officer_id"], f.subjects["trader_id"]): f for f in tested}


def reference(t: Trades, hs_code: str) -> tuple[float, float]:
    """Median and scaled MAD of log unit value over all the world's import items of a code,
    computed directly from the rows."""
    logs = np.log([float(i["customs_value"]) / float(i["net_mass_kg"]) for i in t.items
                   if i["hs_code"] == hs_code and i["origin_country"] == "CN"])  # fmt: skip
    median = float(np.median(logs))
    return median, 1.4826 * float(np.median(np.abs(logs - median)))


def test_planted_pair_is_found_with_its_broker_and_lookalikes_are_not(world):
    _, tables = world
    alerts = run(AcceptedUndervaluation, tables).alerts
    assert [a.finding.subjects for a in alerts] == [
        {"officer_id": "C", "trader_id": "TU", "declarant_id": "BU"}
    ]
    f = alerts[0].finding
    e = f.evidence
    assert (e["controlled_declarations"], e["accepted_undervalued"]) == (20, 12)  # blue not
    # Peers: in C's one stratum (toys, yellow, import, Q1) the other officers' 102 controls
    # (G1-G3: 60 of H1's and 12 of TU's; U: 30) accepted none; C's own H1 toys are left out.
    peers = e["peers"]
    assert (peers["pair_declarations"], peers["pair_accepted_undervalued"]) == (20, 12)
    assert (peers["others_declarations"], peers["others_accepted_undervalued"]) == (102, 0)
    assert peers["expected_at_others_rate"] == 0
    assert peers["expected_pooled"] == pytest.approx(20 * 12 / 122)
    assert peers["p"] == pytest.approx(fisher([[12, 8], [0, 102]]))
    # The same trader's toys controlled by G1 and G2: 12, none accepted undervalued.
    trader = e["same_trader_other_officers"]
    assert (trader["others_declarations"], trader["others_accepted_undervalued"]) == (12, 0)
    assert trader["p"] == pytest.approx(fisher([[12, 8], [0, 12]]))
    assert f.p_value == pytest.approx(max(peers["p"], trader["p"]))
    # Over all C's traders, TC's 12 cheap shirts count too, against the other officers' rate
    # on shirts: 40 of 76 (G1-G3: 36 of H1's, 36 of TC's; the part-timer: 4 of TC's).
    assert e["officer_all_traders"] == {
        "controlled_declarations": 64, "accepted_undervalued": 24,
        "expected_at_peers_rate": pytest.approx(24 * 40 / 76),
    }  # fmt: skip
    assert e["brokers"] == [{"declarant_id": "BU", "declarations": 9},
                            {"declarant_id": "B1", "declarations": 3}]  # fmt: skip
    assert e["trader_declarations_any_channel"] == {
        "with_this_officer": {"priced": 24, "undervalued": 16},
        "with_other_officers_or_none": {"priced": 12, "undervalued": 0},
    }
    assert f.score == 12 and f.office_code == "AIR01"
    # A batch's i-th declaration is lodged in month 1 + i % 3, on day 1 + i // 3: C's largest
    # batch of controls (9) ends on 3 March; the blue ones are not controls.
    assert (str(f.period_start), str(f.period_end)) == ("2025-01-01", "2025-03-03")
    assert alerts[0].summary == (
        "Officer C (AIR01) released from yellow or red control, without finding or uplift, 12 "
        "declarations of trader TU (lodged mostly by broker BU) with goods priced far below "
        "the usual price for their HS6 and origin (at a median 35% of it), out of 20 "
        "controlled; peers on the same goods would have let through about 0.0, and other "
        f"officers let through 0 of the trader's 12 controlled declarations "
        f"(q = {alerts[0].q_value:.3f})."
    )


def test_evidence_shows_the_reference_each_price_was_compared_with(world):
    t, tables = world
    e = findings(tables)[("C", "TU")].evidence
    median, spread = reference(t, TOYS)
    (line,) = e["goods_lines"]
    assert line["hs6"] == "950300" and line["origin_country"] == "CN"
    assert (line["items"], line["reference_scope"], line["reference_period"]) == (
        12, "HS6 and origin", "2025"
    )  # fmt: skip
    assert line["reference_unit_value"] == pytest.approx(math.exp(median))
    assert line["reference_log_spread"] == pytest.approx(spread)
    assert line["median_unit_value"] == pytest.approx(USUAL * UNDER)
    assert line["median_price_ratio"] == pytest.approx(USUAL * UNDER / math.exp(median))
    assert line["reference_traders"] == 7  # H1-H5, TU, TX
    assert e["undervalued_items"] == 12
    assert "same HS6, origin and flow in the same year" in e["reference"]


def test_a_trader_cheap_with_every_officer_is_not_an_officer_matter(world):
    _, tables = world
    tested = findings(tables)
    for officer in ("G1", "G2", "G3", "C"):
        f = tested[(officer, "TC")]
        trader = f.evidence["same_trader_other_officers"]
        assert trader["pair_rate_ci95"][0] == trader["others_rate_ci95"][0] == 1.0
        assert f.evidence["peers"]["p"] < 0.01  # more than peers on the same shirts...
        assert trader["p"] == 1.0 and not f.flagged  # ...but like the trader's other officers
        assert f.evidence["goods_lines"][0]["median_price_ratio"] == pytest.approx(
            CHEAP * USUAL / math.exp(reference(world[0], SHIRTS)[0])
        )


def test_undervaluation_caught_blue_releases_and_a_part_timer_do_not_count(world):
    _, tables = world
    work = controlled_work(tables, PARAMS, priced_items(tables, PARAMS)).to_pandas()
    caught = work[work["trader_id"] == "TX"]
    assert len(caught) == 15 and (caught["undervalued_items"] == 1).all()
    assert caught["accepted"].sum() == 0  # U found a discrepancy and raised the duties
    assert ("U", "TX") not in findings(tables)  # so nothing was accepted: nothing to test
    assert not work["channel"].eq("blue").any()
    assert ("PART", "TC") not in findings(tables)  # four declarations: not tested
    part = findings(tables, min_controlled=1)[("PART", "TC")]
    assert part.evidence["accepted_undervalued"] == 4 and not part.flagged


def test_only_pairs_whose_comparisons_hold_an_accepted_one_are_tested(world):
    # H1's declarations are priced honestly with everyone: whatever G1 did with them, the
    # comparison with H1's other officers could not show anything.
    _, tables = world
    assert sorted(findings(tables)) == [
        ("C", "TC"), ("C", "TU"), ("G1", "TC"), ("G2", "TC"), ("G3", "TC"),
    ]  # fmt: skip


def test_items_are_priced_against_their_cell_or_all_origins_or_not_at_all(world):
    t, tables = world
    items = priced_items(tables, PARAMS).to_pandas()
    scope = items.groupby(["hs6", "origin_country"])["reference_scope"].unique()
    assert scope[("950300", "CN")].tolist() == ["HS6 and origin"]
    assert scope[("950300", "VN")].tolist() == ["HS6, all origins"]  # 3 items, one trader
    assert items.loc[items["hs6"] == "847130", "reference_median"].isna().all()
    assert items.loc[items["hs6"] == "847130", "undervalued"].eq(0).all()
    toys = items[(items["hs6"] == "950300") & (items["origin_country"] == "CN")]
    median, spread = reference(t, TOYS)
    assert toys["reference_median"].iloc[0] == pytest.approx(median)
    # An item is undervalued when below both thresholds: z < -3 and under 60% of the median.
    z = (toys["log_price"] - median) / spread
    expected = (z < -3) & (toys["price_ratio"] < 0.6)
    assert (toys["undervalued"] == expected.astype(int)).all()
    assert toys["undervalued"].sum() == 12 + 4 + 15  # TU's second items and blue, TX's


def test_a_cell_of_identical_prices_needs_only_the_price_ratio(tmp_path):
    t = Trades()
    for trader in ("H1", "H2", "H3", "H4", "H5"):
        t.add("", trader, 8, price=1.0, channel="green")  # all at exactly USUAL
    t.add("", "H1", 1, price=0.7, channel="green").add("", "H2", 1, price=0.5, channel="green")
    items = priced_items(t.build(tmp_path), PARAMS).to_pandas()
    assert items["reference_spread"].eq(0).all()
    by_price = items.set_index(items["customs_value"] / MASS)["undervalued"]
    assert by_price[USUAL * 0.7] == 0 and by_price[USUAL * 0.5] == 1


def test_thresholds_and_the_reference_period_are_parameters(world):
    _, tables = world
    assert findings(tables, max_price_ratio=0.3) == {}  # nothing below 30%: nothing to test
    lower = findings(tables, max_robust_z=-6.5)  # toys at 35% are z = -7.1, shirts at 40% -6.2
    assert sorted(lower) == [("C", "TU")] and lower[("C", "TU")].flagged
    whole = findings(tables, reference_period="all")[("C", "TU")].evidence
    assert whole["goods_lines"][0]["reference_period"] == "all"


def fisher(table) -> float:
    return float(stats.fisher_exact(table, alternative="greater").pvalue)


@pytest.mark.parametrize("strata,observed", [
    ([{"n": 20, "urn_n": 122, "urn_y": 12}], 12),
    ([{"n": 3, "urn_n": 9, "urn_y": 4}], 2),
    ([{"n": 5, "urn_n": 5, "urn_y": 2}], 2),  # the pair is the stratum: no evidence
])  # fmt: skip
def test_conditional_tail_of_one_stratum_is_fishers_exact_test(strata, observed):
    s = strata[0]
    table = [[observed, s["n"] - observed], [s["urn_y"] - observed,
             s["urn_n"] - s["n"] - s["urn_y"] + observed]]  # fmt: skip
    assert conditional_upper_tail(observed, strata) == pytest.approx(fisher(table))


def test_conditional_tail_over_strata_counts_every_draw():
    # Two small strata: enumerate every way of drawing the pair's declarations from each urn.
    strata = [{"n": 3, "urn_n": 6, "urn_y": 2}, {"n": 2, "urn_n": 5, "urn_y": 3}]
    urns = [[1] * s["urn_y"] + [0] * (s["urn_n"] - s["urn_y"]) for s in strata]
    draws = [list(itertools.combinations(u, s["n"])) for u, s in zip(urns, strata, strict=True)]
    sums = [sum(a) + sum(b) for a, b in itertools.product(*draws)]
    for observed in range(6):
        brute = sum(x >= observed for x in sums) / len(sums)
        assert conditional_upper_tail(observed, strata) == pytest.approx(brute)


def test_chart_draws_each_pair_against_the_limits(world):
    _, tables = world
    r = run(AcceptedUndervaluation, tables)
    data = r.chart.data.set_index(["officer_id", "trader_id"])
    planted = data.loc[("C", "TU")]
    assert planted["ratio"] == pytest.approx(12 / (20 * 12 / 122))
    limits = r.chart.limits[r.chart.limits["level"] == 0.998]
    nearest = limits.iloc[(limits["volume"] - planted["peer_null_mean"]).abs().argmin()]
    assert planted["ratio"] > nearest["upper"]
    assert len(data) == r.tested == 5


def test_a_world_without_controls_or_prices_has_nothing_to_test(tmp_path):
    t = Trades().add("G1", "H1", 12, channel="green").add("G2", "H1", 12, channel="green")
    r = run(AcceptedUndervaluation, t.build(tmp_path))  # green only, and too few to price
    assert (r.tested, r.alerts, len(r.chart.data)) == (0, [], 0)


@pytest.mark.slow
def test_simulated_undervaluation_is_found_and_no_confounder_is(simulated_world):
    r = run(AcceptedUndervaluation, simulated_world.tables)
    truth = simulated_world.truth
    planted = simulated_world.planted(AcceptedUndervaluation.id)
    assert len(planted) == 2
    alerts = pd.DataFrame([a.row() for a in r.alerts])
    result = evaluate(alerts, truth, detectors=[AcceptedUndervaluation.id])
    (recall,) = [s for s in result.schemes if s.scheme == AcceptedUndervaluation.id]
    assert recall.found == recall.instances == 2
    (precision,) = result.detectors
    assert precision.precision >= 0.8
    confounders = set(simulated_world.confounders()["officer_id"]) - {""}
    assert not confounders & set(alerts["officer_id"])
