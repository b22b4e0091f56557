"""release.selective_speed: one officer releasing one broker's (or one trader's) declarations
fast is found; a broker fast with everyone, an officer fast with everyone, a weekend broker and
a part-timer are not."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from arusha.detectors.release_selective_speed import SelectiveSpeed, _rank_test, release_work
from arusha.engine import DetectorRun, Finding, Tables
from tests.conftest import SimulatedWorld
from tests.detectors.test_peers import run
from tests.worlds import build, declaration, item

FIRST_DAY = date(2025, 1, 1)  # a Wednesday; the world runs for the first quarter of 2025
DAYS = 90
GENERAL = ("A", "B", "C", "D", "S")  # examiners dealt each broker's weekday work in turn
BASE_HOURS = {"green": 1.0, "yellow": 6.0}
SPREAD = 0.5  # standard deviation of log release time around its base
FACTORS = {("A", "FAST"): 0.2, ("C", "SPLIT"): 0.2, ("PT", "Y"): 0.2}  # favoured pairs
FAST_BROKER, FAST_OFFICER, WEEKEND = 0.3, 0.3, 0.3  # AEO with all; S with all; any weekend


@dataclass
class ReleaseWorld:
    """Declarations at SEA01 with their release times drawn around a base time per channel
    (log-normal, seeded), times the factors of the officer, the broker and the pair."""

    rows: list[dict] = field(default_factory=list)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(7))
    favours: dict[tuple[str, str], float] = field(default_factory=lambda: dict(FACTORS))
    favours_from: int = 0  # the day the favoured pairs' favours begin

    def receive(self, officer: str, broker: str, n: int, trader: str | None = None) -> None:
        """`officer` receives a declaration of `broker` (for its own trader "T" + broker
        unless `trader` is given) at 10:00 on day `n`; green on odd days, yellow on even."""
        trader = trader or f"T{broker}"
        day = FIRST_DAY + timedelta(days=n)
        channel = "green" if n % 2 else "yellow"
        favours = self.favours if n >= self.favours_from else {}
        factor = favours.get((officer, broker), 1.0) * favours.get((officer, trader), 1.0)
        factor *= (FAST_BROKER if broker == "AEO" else 1.0) * (FAST_OFFICER if officer == "S"
                                                               else 1.0)  # fmt: skip
        factor *= WEEKEND if day.weekday() >= 5 else 1.0
        hours = BASE_HOURS[channel] * factor * np.exp(self.rng.normal(0, SPREAD))
        assigned = datetime.combine(day, datetime.min.time()).replace(hour=10)
        released = assigned + timedelta(seconds=round(hours * 3600))
        self.rows.append(
            declaration(len(self.rows), declarant_id=broker, trader_id=trader,
                        officer_id=officer, lodged_at=f"{day}T09:30:00",
                        assigned_at=assigned.isoformat(), released_at=released.isoformat(),
                        risk_channel=channel, final_channel=channel,
                        inspection_outcome="none" if channel == "green" else "no_discrepancy")
        )  # fmt: skip

    def build(self, tmp_path) -> Tables:
        officers = sorted({r["officer_id"] for r in self.rows})
        roles = (("declarant_id", "declarant"), ("trader_id", "trader"))
        parties = sorted({(r[column], role) for r in self.rows for column, role in roles})
        return build(
            tmp_path,
            officers=[{"officer_id": o, "office_code": "SEA01", "post": "examiner",
                       "start_date": "2020-01-01", "end_date": ""} for o in officers],
            parties=[{"party_id": p, "role": role, "name": f"Party {p}"} for p, role in parties],
            declarations=self.rows,
            items=[item(r["declaration_id"]) for r in self.rows],
        )  # fmt: skip

    def frame(self) -> pd.DataFrame:
        """The declarations with their log release time in hours, for hand computations."""
        f = pd.DataFrame(self.rows)
        start, end = pd.to_datetime(f["assigned_at"]), pd.to_datetime(f["released_at"])
        f["log_hours"] = np.log((end - start).dt.total_seconds() / 3600)
        f["weekend"] = start.dt.day_of_week >= 5
        f["quarter"] = start.dt.quarter
        return f


def quarter_world() -> ReleaseWorld:
    """A quarter at SEA01.

    * Each weekday, brokers FAST, AEO, X and Y each lodge five declarations, one to each
      general examiner (A, B, C, D, S). A releases FAST's in a fifth of the usual time; AEO is
      fast (0.3) with everyone; S is fast (0.3) with everyone.
    * Trader SPLIT lodges one declaration a weekday, through X and Y in turn, dealt to the
      general examiners in turn: C releases SPLIT's in a fifth of the time.
    * Broker WE lodges one a weekday (to the general examiners in turn) and three a day at
      weekends, when only W is on duty; weekends are quiet and fast (0.3) for everyone. W
      also takes two of X's declarations every weekday.
    * The part-timer PT works the first six Mondays: one declaration of X and one of Y, which
      PT releases in a fifth of the time."""
    w = ReleaseWorld()
    mondays = [n for n in range(DAYS) if (FIRST_DAY + timedelta(days=n)).weekday() == 0]
    for n in range(DAYS):
        if (FIRST_DAY + timedelta(days=n)).weekday() >= 5:
            for _ in range(3):
                w.receive("W", "WE", n)
            continue
        for broker in ("FAST", "AEO", "X", "Y"):
            for officer in GENERAL:
                w.receive(officer, broker, n)
        w.receive(GENERAL[n % 5], "X" if n % 2 else "Y", n, trader="SPLIT")
        w.receive(GENERAL[(n + 2) % 5], "WE", n)
        w.receive("W", "X", n)
        w.receive("W", "X", n)
        if n in mondays[:6]:
            w.receive("PT", "X", n)
            w.receive("PT", "Y", n)
    return w


@pytest.fixture(scope="module")
def world() -> ReleaseWorld:
    return quarter_world()


@pytest.fixture(scope="module")
def tables(world, tmp_path_factory) -> Tables:
    return world.build(tmp_path_factory.mktemp("release"))


def findings(tables: Tables, **params) -> dict[tuple[str, str], Finding]:
    """Every tested pair's finding, alerting or not, by (officer, party)."""
    r = run(SelectiveSpeed, tables, **params)
    return {(f.subjects["officer_id"], _party(f)): f
            for f in SelectiveSpeed().assess(r.measures, r.params)}  # fmt: skip


def alerted(r: DetectorRun) -> list[tuple[str, str]]:
    return sorted((a.finding.subjects["officer_id"], _party(a.finding)) for a in r.alerts)


def _party(f: Finding) -> str:
    return f.subjects.get("declarant_id") or f.subjects["trader_id"]


STRATUM = ["final_channel", "weekend", "quarter"]  # one outcome per channel in these worlds


def by_hand(f: pd.DataFrame, officer: str, broker: str) -> dict[str, dict]:
    """The three comparisons of the pair, computed stratum by stratum from the rows: the
    speed ratio (of geometric means), the statistic, the one-sided p and the number of the
    pair's declarations compared. Against the officer's other declarations and the broker's
    with other officers, van Elteren's test (z corrected for continuity, p from Irwin–Hall);
    against both usual speeds (the officer's others
    + the broker's others - the rest), the t-test of the interaction with pooled variance."""
    mine, broker_s = f["officer_id"] == officer, f["declarant_id"] == broker
    groups = {"pair": f[mine & broker_s], "officer": f[mine & ~broker_s],
              "party": f[~mine & broker_s], "rest": f[~mine & ~broker_s]}  # fmt: skip
    figures = ("log_excess", "t", "variance", "step", "compared", "squares", "df", "weight")
    sums = {c: dict.fromkeys(figures, 0.0) for c in ("officer", "party", "both")}
    by_stratum = {g: rows.groupby(STRATUM)["log_hours"] for g, rows in groups.items()}
    for key in by_stratum["pair"].groups:
        cell = {g: (times.get_group(key).to_numpy() if key in times.groups else np.array([]))
                for g, times in by_stratum.items()}  # fmt: skip
        y, n = cell["pair"], len(cell["pair"])
        for ref in ("officer", "party"):
            others = cell[ref]
            if len(others) == 0:
                continue
            ranks = stats.rankdata(np.concatenate([y, others]))
            total = n + len(others)
            sums[ref]["t"] += ranks[:n].sum() / (total + 1) - n / 2
            sums[ref]["variance"] += n * len(others) / (12 * (total + 1))
            sums[ref]["step"] += n * len(others) / (12 * (total + 1) ** 2)
            sums[ref]["log_excess"] += n * (y.mean() - others.mean())
            sums[ref]["compared"] += n
        if all(len(cell[g]) for g in ("officer", "party", "rest")):
            expected = cell["officer"].mean() + cell["party"].mean() - cell["rest"].mean()
            both = sums["both"]
            both["log_excess"] += n * (y.mean() - expected)
            both["compared"] += n
            both["weight"] += n * n * sum(1 / len(v) for v in cell.values())
            both["squares"] += sum(((v - v.mean()) ** 2).sum() for v in cell.values())
            both["df"] += sum(len(v) for v in cell.values()) - 4
    result = {}
    for ref in ("officer", "party"):
        variance, compared = sums[ref]["variance"], sums[ref]["compared"]
        z = (sums[ref]["t"] + sums[ref]["step"] / variance / 2) / np.sqrt(variance)
        ratio = np.exp(sums[ref]["log_excess"] / compared)
        p = stats.irwinhall(compared).cdf(compared / 2 + z * np.sqrt(compared / 12))
        result[ref] = {"ratio": ratio, "z": z, "p": p, "compared": compared}
    both = sums["both"]
    t = both["log_excess"] / np.sqrt(both["squares"] / both["df"] * both["weight"])
    result["both"] = {"ratio": np.exp(both["log_excess"] / both["compared"]), "t": t,
                      "p": stats.t.cdf(t, both["df"]), "compared": both["compared"]}  # fmt: skip
    return result


KEYS = {"officer": "officer_other_declarations", "party": "party_with_other_officers",
        "both": "officer_and_party_usual_speeds"}  # fmt: skip


def assert_reproduced(evidence: dict, expected: dict[str, dict]) -> None:
    for name, figures in expected.items():
        c = evidence[KEYS[name]]
        statistic = "t" if name == "both" else "z"
        assert (c["speed_ratio"], c[statistic], c["p_value"]) == pytest.approx(
            (figures["ratio"], figures[statistic], figures["p"])
        ), name
        assert c["declarations"] == figures["compared"], name
        low, high = c["speed_ratio_ci95"]
        assert low < figures["ratio"] < high, name
        assert c["typical_release_hours"] / c["expected_release_hours"] == pytest.approx(
            figures["ratio"]
        )


def test_the_favoured_broker_and_the_favoured_trader_are_found_and_nobody_else(tables):
    r = run(SelectiveSpeed, tables)
    assert alerted(r) == [("A", "FAST"), ("C", "SPLIT")]


def test_the_evidence_reproduces_the_figures(world, tables):
    alert = next(a for a in run(SelectiveSpeed, tables).alerts
                 if a.finding.subjects.get("declarant_id") == "FAST")  # fmt: skip
    f = world.frame()
    expected = by_hand(f, "A", "FAST")
    e = alert.finding.evidence
    assert_reproduced(e, expected)
    assert [expected[c]["compared"] for c in KEYS] == [64, 64, 64]  # one a weekday
    assert all(0.15 < e[k]["speed_ratio"] < 0.35 for k in KEYS.values())  # planted: 0.2
    others = (f["officer_id"] == "A") & (f["declarant_id"] != "FAST")
    assert e["officer_other_declarations"]["reference_declarations"] == others.sum()
    assert e["party_with_other_officers"]["reference_declarations"] == 64 * 4
    # One quarter: one run tried, and the run is the whole period.
    assert e["runs_tried"] == 1
    assert (
        alert.finding.p_value == e["p_run"] == pytest.approx(max(c["p"] for c in expected.values()))
    )
    assert e["whole_period"]["declarations"] == e["declarations"] == 64
    assert e["traders"] == [{"party_id": "TFAST", "declarations": 64}]
    assert (str(e["period_start"]), str(e["period_end"])) == ("2025-01-01", "2025-03-31")
    assert json.loads(alert.row()["evidence"])["traders"][0]["declarations"] == 64  # plain JSON
    officer, broker = expected["officer"]["ratio"], expected["party"]["ratio"]
    assert alert.summary == (
        f"From 2025-01-01 to 2025-03-31, officer A released broker FAST's declarations at "
        f"SEA01 in {officer:.0%} of the time the officer's other declarations took and in "
        f"{broker:.0%} of the time other officers took for this broker, on comparable work "
        "(64 and 64 of 64 declarations compared; q < 0.001)."
    )


def test_a_favour_that_starts_midway_is_reported_for_its_run_of_quarters(tmp_path):
    # Two quarters; A favours FAST (a fifth of the time) from 1 April only.
    w = ReleaseWorld(favours={("A", "FAST"): 0.2}, favours_from=90)
    for n in range(181):
        if (FIRST_DAY + timedelta(days=n)).weekday() < 5:
            for broker in ("FAST", "X", "Y"):
                for officer in ("A", "B", "C", "D"):
                    w.receive(officer, broker, n)
    r = run(SelectiveSpeed, w.build(tmp_path))
    assert alerted(r) == [("A", "FAST")]
    e = r.alerts[0].finding.evidence
    assert (str(e["period_start"]), str(e["period_end"])) == ("2025-04-01", "2025-06-30")
    f = w.frame()
    assert_reproduced(e, by_hand(f[f["quarter"] == 2], "A", "FAST"))
    # Three runs tried (the first quarter, the second, both): Bonferroni.
    assert e["runs_tried"] == 3
    assert r.alerts[0].finding.p_value == pytest.approx(3 * e["p_run"])
    whole = e["whole_period"]
    assert (str(whole["period_start"]), whole["declarations"]) == ("2025-01-01", 129)
    assert e["declarations"] == 65
    assert 0.3 < whole["officer_other_declarations_speed_ratio"] < 0.6  # diluted by Q1


def test_the_favoured_brokers_trader_is_left_to_the_brokers_alert(tables):
    tested = findings(tables)
    trader = tested[("A", "TFAST")]
    assert trader.evidence["officer_other_declarations"]["speed_ratio"] < 0.5
    assert trader.p_value < 1e-6 and not trader.flagged
    assert trader.evidence["covered_by_broker"] == "FAST"
    assert trader.evidence["brokers"] == [{"party_id": "FAST", "declarations": 64}]
    # Brokers alone: the same broker alert, and no trader is tested.
    r = run(SelectiveSpeed, tables, parties=["declarant"])
    assert alerted(r) == [("A", "FAST")]
    # The favoured trader lodges through X and Y, whose pairs with C are diluted by the rest.
    for broker in ("X", "Y"):
        assert tested[("C", broker)].evidence["party_with_other_officers"]["speed_ratio"] > 0.7


def test_a_broker_fast_with_everyone_is_not_flagged(tables):
    tested = findings(tables)
    for officer in ("A", "B", "C", "D"):
        f = tested[(officer, "AEO")]
        officer_side = f.evidence["officer_other_declarations"]["speed_ratio"]
        broker_side = f.evidence["party_with_other_officers"]["speed_ratio"]
        assert officer_side < 0.5 and 0.6 < broker_side < 1.6 and not f.flagged, officer
        assert f.p_value > 0.01


def test_an_officer_fast_with_everyone_is_not_flagged(tables):
    tested = findings(tables)
    for broker in ("FAST", "X", "Y"):
        f = tested[("S", broker)]
        officer_side = f.evidence["officer_other_declarations"]["speed_ratio"]
        broker_side = f.evidence["party_with_other_officers"]["speed_ratio"]
        assert 0.6 < officer_side < 1.6 and broker_side < 0.5 and not f.flagged, broker


def test_a_fast_officer_with_a_fast_broker_is_as_fast_as_both_predict(tables):
    # S (0.3 with everyone) releases AEO's (0.3 with everyone) in 0.09 of the usual time:
    # far faster than S's other work and than AEO's with others, but no faster than the two
    # together predict.
    f = findings(tables)[("S", "AEO")]
    e = f.evidence
    assert e["officer_other_declarations"]["speed_ratio"] < 0.5
    assert e["party_with_other_officers"]["speed_ratio"] < 0.5
    # (Not exactly 1: the rest of this small office includes the favoured pairs.)
    assert 0.6 < e["officer_and_party_usual_speeds"]["speed_ratio"] < 1.6 and not f.flagged
    assert "S" not in {officer for officer, _ in alerted(run(SelectiveSpeed, tables))}


def test_weekends_are_compared_with_weekends(tables):
    # W handles all of WE's weekend declarations, and nobody else works weekends: there is
    # nothing comparable, so the pair is not tested.
    assert ("W", "WE") not in findings(tables)
    # Comparing all days alike, WE's quiet weekends look like W's favour.
    r = run(SelectiveSpeed, tables, day_pattern="all")
    assert ("W", "WE") in alerted(r)
    e = findings(tables, day_pattern="all")[("W", "WE")].evidence
    assert e["officer_other_declarations"]["declarations"] == 3 * 26  # the weekend days
    assert "weekday" not in e["comparable_work"]


def test_a_part_timer_with_a_handful_of_declarations_is_not_tested(tables):
    assert ("PT", "Y") not in findings(tables)
    # Six declarations five times faster than both references are material and, here,
    # significant: the volume threshold is what keeps a handful out.
    f = findings(tables, min_declarations=2)[("PT", "Y")]
    assert f.evidence["declarations"] == 6 and f.flagged
    assert ("PT", "Y") in alerted(run(SelectiveSpeed, tables, min_declarations=2))


def test_the_rank_test_never_understates_p_against_the_exact_permutation_law():
    # Three strata of (pair, reference) sizes (3, 4), (2, 6) and (4, 3): every way of placing
    # the pair's declarations among the ranks of its stratum is equally likely if the officer
    # treats the broker like the others. Each attainable statistic's p must be at least its
    # exact probability; the normal law, without a continuity correction, understates it.
    strata = [(3, 4), (2, 6), (4, 3)]
    per_stratum = []
    for n, m in strata:
        total = n + m
        sums = [sum(c) for c in itertools.combinations(range(1, total + 1), n)]
        per_stratum.append(np.array(sums) / (total + 1) - n / 2)
    excess = sum(np.ix_(*per_stratum))  # every combination of the strata's placements
    values, counts = np.unique(np.round(excess.ravel(), 9), return_counts=True)
    exact = np.cumsum(counts) / counts.sum()
    variances = [n * m / (12 * (n + m + 1)) for n, m in strata]
    figures = pd.DataFrame({
        "officer_rank_excess": values,
        "officer_rank_variance": sum(variances),
        "officer_rank_step": sum(v / (n + m + 1)
                                 for v, (n, m) in zip(variances, strata, strict=True)),
        "officer_compared": sum(n for n, _m in strata),
    })  # fmt: skip
    z, p = _rank_test(figures, "officer")
    tail = exact <= 0.05
    assert np.all(p[tail] >= exact[tail])
    normal = stats.norm.cdf(values / np.sqrt(sum(variances)))
    assert np.any(normal[tail] < exact[tail])
    assert exact[0] < p[0] < normal[0] / 1.5  # the most extreme placement: nearer the truth
    # A dozen declarations, each the fastest but one of a large stratum: the normal law
    # overstates p some twentyfold.
    big = pd.DataFrame({"officer_rank_excess": [12 * (2 / 1001 - 0.5)],
                        "officer_rank_variance": [12 * 989 / (12 * 1002)],
                        "officer_rank_step": [12 * 989 / (12 * 1002**2)],
                        "officer_compared": [12]})  # fmt: skip
    z, p = _rank_test(big, "officer")
    assert p[0] < stats.norm.cdf(z[0]) / 20


def test_release_time_runs_from_assignment_or_lodgement_to_release(tmp_path):
    # Three declarations lodged at 08:00 and assigned at 10:00: one released at 11:00, one
    # never released (left out), one without an assignment time (timed from lodgement).
    rows = [declaration(k, officer_id="P", lodged_at="2025-01-04T08:00:00",
                        assigned_at="2025-01-04T10:00:00", released_at="2025-01-04T11:00:00")
            for k in range(3)]  # fmt: skip
    rows[1]["released_at"] = ""
    rows[2]["assigned_at"] = ""
    officers = [{"officer_id": "P", "office_code": "SEA01", "post": "examiner",
                 "start_date": "2020-01-01", "end_date": ""}]  # fmt: skip
    tables = build(tmp_path, officers=officers, declarations=rows)
    work = release_work(tables, SelectiveSpeed.Params()).to_pandas().set_index("declaration_id")
    assert sorted(work.index) == ["D00000", "D00002"]
    assert np.exp(work["log_hours"]).to_dict() == pytest.approx({"D00000": 1.0, "D00002": 3.0})
    assert set(work["days"]) == {"weekend"}  # 4 January 2025 was a Saturday
    assert str(work.loc["D00000", "period"])[:10] == "2025-01-01"
    assert work.loc["D00000", "channel"] == "green" and work.loc["D00000", "outcome"] == "none"
    by_day = release_work(
        tables, SelectiveSpeed.Params(day_pattern="day_of_week", by_outcome=False)
    )
    assert set(by_day.to_pandas()["days"]) == {"Saturday"}
    # One officer and one broker: nothing to compare with, nothing tested.
    r = run(SelectiveSpeed, tables)
    assert (r.tested, r.alerts, r.chart) == (0, [], None)


def test_the_chart_draws_every_tested_pair(tables):
    r = run(SelectiveSpeed, tables)
    assert len(r.chart.data) == r.tested
    assert r.chart.data["speed_ratio"].min() < 0.5 < r.chart.data["speed_ratio"].median()


@pytest.mark.slow
def test_simulated_selective_speed_is_found_and_no_confounder_is(simulated_world: SimulatedWorld):
    r = run(SelectiveSpeed, simulated_world.tables)
    pairs = {(a.finding.subjects["officer_id"], a.finding.subjects.get("declarant_id"))
             for a in r.alerts}  # fmt: skip
    planted = simulated_world.planted(SelectiveSpeed.id)
    assert len(planted) == 2
    for s in planted.itertuples():
        assert (s.officer_id, s.declarant_id) in pairs, s.instance_id
    for a in r.alerts:  # at the planted office, in the planted period
        s = planted[planted["officer_id"] == a.finding.subjects["officer_id"]].iloc[0]
        assert a.finding.office_code == s.office_code
        assert (
            str(a.finding.period_start) < s.period_end
            and str(a.finding.period_end) > s.period_start
        )
    confounders = simulated_world.confounders()
    flagged = {a.finding.subjects["officer_id"] for a in r.alerts}
    assert not flagged & set(confounders["officer_id"]) - {""}
    assert len(r.alerts) == len(planted)  # no alert on anyone else in this world
