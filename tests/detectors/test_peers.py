"""detectors.peers: comparable-work strata, leave-one-out expectations and the peer test.

Also home of what the two peer detectors' tests share: `Workloads`, a small world builder,
and the run on a simulated administration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from arusha.detectors.control_suppressed_findings import SuppressedFindings
from arusha.detectors.peers import (
    PeerParams,
    assigned_work,
    funnel_chart,
    peer_measures,
    peer_test,
    poisson_gamma_test,
)
from arusha.detectors.risk_override import RiskOverride
from arusha.engine import Detector, DetectorRun, Finding, Tables, analyze
from arusha.engine.config import parse_config
from arusha.stats import poisson_test
from tests.conftest import SimulatedWorld
from tests.worlds import build, declaration, item

# Main items by desk: machinery, vehicles, tobacco, sugar (tobacco and sugar share section IV).
MACHINERY, VEHICLES, TOBACCO, SUGAR, PHONES = (
    "8471300000", "8703230000", "2402200000", "1701140000", "8517120000",
)  # fmt: skip


@dataclass
class Workloads:
    """A world built officer by officer. Each workload is `n` declarations assigned to one
    officer, spread evenly over `months` months of 2025 and over `channels`; `events` of them
    (spread evenly too) are overridden to green (kind "override") or, for controls (kind
    "control"), end in a discrepancy that raises the duties unless `uplift` is False."""

    declarations: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    officers: dict[str, dict] = field(default_factory=dict)

    def add(self, officer: str, office: str, hs_code: str, n: int, events: int = 0,
            kind: str = "override", uplift: bool = True, months: int = 6,
            channels: tuple[str, ...] = ("red", "yellow")) -> Workloads:  # fmt: skip
        self.officers.setdefault(officer, {
            "officer_id": officer, "office_code": office, "post": "examiner",
            "start_date": "2020-01-01", "end_date": "",
        })  # fmt: skip
        for i in range(n):
            number = len(self.declarations)
            event = (i + 1) * events // n > i * events // n
            channel = channels[(i // months) % len(channels)]
            day = f"2025-{1 + i % months:02d}-{1 + (i // 12) % 28:02d}"
            if kind == "override":
                final, outcome, assessed = ("green" if event else channel), "none", "100.00"
            else:
                final, outcome = channel, ("discrepancy" if event else "no_discrepancy")
                assessed = "150.00" if event and uplift else "100.00"
            row = declaration(number, office_code=office, officer_id=officer,
                              lodged_at=f"{day}T09:00:00", assigned_at=f"{day}T09:30:00",
                              released_at=f"{day}T15:00:00", risk_channel=channel,
                              final_channel=final, inspection_outcome=outcome,
                              duties_assessed=assessed)  # fmt: skip
            self.declarations.append(row)
            self.items.append(item(row["declaration_id"], hs_code))
        return self

    def group(self, prefix: str, count: int, office: str, hs_code: str, n: int,
              events: int = 0, **options) -> Workloads:  # fmt: skip
        for k in range(1, count + 1):
            self.add(f"{prefix}{k}", office, hs_code, n, events, **options)
        return self

    def build(self, tmp_path: Path) -> Tables:
        return build(tmp_path, officers=list(self.officers.values()),
                     declarations=self.declarations, items=self.items)  # fmt: skip


def run(detector: type[Detector], tables: Tables, **params) -> DetectorRun:
    config = parse_config({"detectors": {detector.id: params}}) if params else None
    return analyze(tables, config, detectors=[detector]).runs[0]


def alerted(detector: type[Detector], tables: Tables, **params) -> list[str]:
    return sorted(a.finding.subjects["officer_id"] for a in run(detector, tables, **params).alerts)


def findings(detector: type[Detector], tables: Tables, **params) -> dict[str, Finding]:
    """Every tested officer's finding, alerting or not."""
    r = run(detector, tables, **params)
    return {f.subjects["officer_id"]: f for f in detector().assess(r.measures, r.params)}


def simulated_run(
    detector: type[Detector], world: SimulatedWorld
) -> tuple[DetectorRun, pd.DataFrame]:
    """The detector's run on the shared simulated administration, and its truth."""
    return run(detector, world.tables), world.truth


def assert_planted_found_and_no_confounder(r: DetectorRun, truth: pd.DataFrame) -> None:
    """Every planted instance of the detector's scheme alerts, at its office; no confounder
    officer alerts, nor anyone at an office that is itself a confounder."""
    flagged = {a.finding.subjects["officer_id"]: a.finding for a in r.alerts}
    planted = truth[truth["scheme"] == r.detector.id]
    assert len(planted) == 3
    for instance in planted.itertuples():
        assert instance.officer_id in flagged, instance.instance_id
        assert flagged[instance.officer_id].office_code == instance.office_code
    confounders = truth[truth["kind"] == "confounder"]
    assert not set(flagged) & set(confounders["officer_id"]) - {""}
    offices = confounders.loc[confounders["officer_id"] == "", "office_code"]
    assert not {f.office_code for f in flagged.values()} & set(offices) - {""}


def overrides_measures(tables: Tables, params: PeerParams) -> pd.DataFrame:
    work = assigned_work(tables, params)
    work = work.mutate(
        channel=work.risk_channel,
        overrides=(work.final_channel != work.risk_channel).cast("int64"),
    )
    return peer_measures(work, ["overrides"]).to_pandas().set_index("officer_id")


def test_expected_counts_leave_the_officer_out_hand_worked(tmp_path):
    # One stratum (SEA01, chapter 84, red, import, one quarter): A 4 with 1 override, B 4 with
    # 3, C 2 with 0. E_A = 4 · 3/6 = 2, E_B = 4 · 1/6, E_C = 2 · 4/8 = 1. D is alone on
    # vehicles: no peers, dropped.
    w = Workloads()
    for officer, n, events in (("A", 4, 1), ("B", 4, 3), ("C", 2, 0)):
        w.add(officer, "SEA01", MACHINERY, n, events, months=1, channels=("red",))
    w.add("D", "SEA01", VEHICLES, 5, 2, months=1, channels=("red",))
    m = overrides_measures(w.build(tmp_path), PeerParams())
    assert m["overrides"].to_dict() == {"A": 1, "B": 3, "C": 0, "D": 0}
    assert m["overrides_expected"].to_dict() == pytest.approx({"A": 2, "B": 4 / 6, "C": 1, "D": 0})
    assert m.loc["D", ["n", "n_dropped", "strata_used", "strata_dropped"]].tolist() == [0, 5, 0, 1]
    assert m.loc["A", "office_n"] == 15 and m.loc["A", "office_overrides"] == 6


def test_strata_separate_channels_periods_and_goods_but_not_the_officer(tmp_path):
    # P overrides 4 of its 6 red declarations of the first quarter and nothing else; Q has
    # the same work and overrides nothing. Q's red first-quarter work is valued at P's rate
    # there (4/6), its other work at zero; P's at Q's rate, zero.
    w = Workloads().add("P", "SEA01", MACHINERY, 24, 0).add("Q", "SEA01", MACHINERY, 24, 0)
    for i in (0, 1, 12, 13):  # red (i mod 12 < 6), months 1-3 (i mod 6 < 3)
        w.declarations[i]["final_channel"] = "green"
    m = overrides_measures(w.build(tmp_path), PeerParams())
    assert m.loc["Q", "overrides_expected"] == pytest.approx(4.0)
    assert m.loc["P", "overrides_expected"] == 0
    assert m.loc["P", "strata_used"] == 4  # 2 channels × 2 quarters


def test_goods_come_from_the_main_item_at_the_chosen_level(tmp_path):
    w = Workloads().add("T", "LND01", TOBACCO, 2).add("S", "LND01", SUGAR, 2)
    first = w.declarations[0]["declaration_id"]
    w.items.append(item(first, VEHICLES, item_no="2"))  # a second item never decides the desk
    tables = w.build(tmp_path)
    for level, expected in (("chapter", {"24", "17"}), ("section", {"IV"}), ("office", {"all"})):
        goods = assigned_work(tables, PeerParams(goods_level=level)).goods.to_pandas()
        assert set(goods) == expected, level


def test_main_office_is_where_the_officer_works_most(tmp_path):
    w = Workloads().add("M", "SEA01", MACHINERY, 10).add("M", "AIR01", MACHINERY, 4)
    w.add("N", "AIR01", MACHINERY, 6, 3)
    m = overrides_measures(w.build(tmp_path), PeerParams())
    assert m.loc["M", "office_code"] == "SEA01" and m.loc["N", "office_code"] == "AIR01"
    assert m.loc["M", ["office_n", "office_overrides"]].tolist() == [10, 0]


def test_a_world_without_risk_selection_has_nothing_to_test(tmp_path):
    tables = Workloads().group("G", 3, "SEA01", MACHINERY, 4, channels=("green",)).build(tmp_path)
    for detector in (RiskOverride, SuppressedFindings):
        r = run(detector, tables)
        assert (r.tested, r.alerts, len(r.chart.data)) == (0, [], 0)


def measures(observed, expected, n=100, peers=10**6) -> pd.DataFrame:
    """Officers each in one stratum of their own: `n` declarations with `observed` events, and
    `peers` declarations of peers whose events make the expected count `expected`."""
    o, e, n = (np.asarray(v, dtype=float) for v in (observed, expected, n))
    pooled = (o + e * peers / n) / (n + peers)
    return pd.DataFrame({
        "officer_id": [f"O{i}" for i in range(len(o))], "office_code": "SEA01", "n": n,
        "o": o, "o_expected": e, "o_expected_variance": n**2 * pooled * (1 - pooled) / peers,
    })  # fmt: skip


def test_only_officers_with_volume_and_a_peer_rate_are_tested():
    m = measures([3, 1, 2, 4], [2.0, 0.5, 0.0, 3.0], n=[40, 5, 40, 30])
    test = peer_test(m, "o", PeerParams(min_controlled=30), tail="upper")
    assert test.tested["officer_id"].tolist() == ["O0", "O3"]


def test_p_value_is_the_most_conservative_of_the_three_tests():
    rng = np.random.default_rng(3)
    e = rng.uniform(0.5, 60, 40)
    m = measures(rng.poisson(e * rng.gamma(4, 1 / 4, 40)), e, peers=rng.integers(20, 2000, 40))
    for tail in ("upper", "lower"):
        t = peer_test(m, "o", PeerParams(), tail=tail).tested
        largest = t[["p_funnel", "p_exact", "p_uncertain"]].max(axis=1)
        assert np.array_equal(t["p_value"], largest)


def test_few_expected_events_are_decided_by_the_exact_test():
    # None observed where five are expected: the normal approximation overstates the evidence.
    m = measures([0] + [30] * 10, [5.0] + [30.0] * 10)
    t = peer_test(m, "o", PeerParams(), "lower").tested.iloc[0]
    assert t["p_funnel"] < 1e-5
    assert t["p_exact"] == pytest.approx(poisson_test(0, 5.0, "less")) == np.exp(-5)
    assert t["p_value"] == pytest.approx(np.exp(-5), rel=1e-3)  # a million peers: E is sure


def test_few_peers_make_the_expected_count_uncertain():
    # 8 events in 50 declarations against the peers' 2 in 50: E = 2 rests on two events.
    # Pooled rate 10/100; V = 50² · 0.1 · 0.9 / 50 = 4.5; O ~ negative binomial, mean 2,
    # variance 2 + 4.5, i.e. shape 2²/4.5.
    m = measures([8] + [30] * 10, [2.0] + [30.0] * 10, n=[50] + [1000] * 10, peers=50)
    t = peer_test(m, "o", PeerParams(), "upper").tested.iloc[0]
    assert t["p_exact"] == pytest.approx(poisson_test(8, 2.0))
    assert t["p_exact"] < 0.002
    k = 4 / 4.5
    assert t["p_value"] == t["p_uncertain"] == pytest.approx(stats.nbinom.sf(7, k, k / (k + 2)))
    assert t["p_uncertain"] > 0.03


def test_poisson_gamma_tail_is_the_poisson_tail_without_uncertainty():
    o, e = np.array([0, 3, 9]), np.array([2.0, 3.0, 4.0])
    for alternative in ("greater", "less"):
        exact = poisson_test(o, e, alternative)
        sure = poisson_gamma_test(o, e, np.zeros(3), alternative)
        almost = poisson_gamma_test(o, e, np.full(3, 1e-9), alternative)
        assert np.allclose(sure, exact) and np.allclose(almost, exact, rtol=1e-6)


def test_the_ratio_and_its_exact_interval_are_reported():
    t = peer_test(measures([12], [4.0]), "o", PeerParams(), tail="upper").tested.iloc[0]
    assert t["ratio"] == 3.0
    assert t["ratio_low"] == pytest.approx(1.5501, abs=1e-4)  # Garwood 95%: 6.2006 / 4
    assert t["ratio_high"] == pytest.approx(5.2404, abs=1e-4)  # 20.9617 / 4


def test_funnel_chart_draws_tested_officers_and_both_limits():
    m = measures([3, 8, 20, 5], [4.0, 7.5, 9.0, 5.5])
    chart = funnel_chart("t", "O/E", peer_test(m, "o", PeerParams(), tail="upper"))
    assert len(chart.data) == 4 and chart.volume == "o_expected" and chart.target == 1.0
    assert sorted(set(chart.limits["level"])) == [0.95, 0.998]
    assert (chart.limits["lower"] <= 1).all() and (chart.limits["upper"] >= 1).all()
