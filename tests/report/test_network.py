"""The network view: officers, brokers, traders and cases laid out the same way every time, and
drawn in the analysis report for the alerts whose evidence links them."""

import json
import re
from datetime import date

import pytest
import vl_convert

from arusha.detectors.network_crime_links import CrimeLinks
from arusha.engine import Finding
from arusha.engine.alerts import select_alerts
from arusha.engine.run import Analysis, DetectorRun
from arusha.report.analysis import write_report
from arusha.report.network import layout, merge_edges, network_edges
from tests.report.html_tables import section, tables


def edge(from_role: str, from_id: str, to_role: str, to_id: str, n: int) -> dict:
    return {"from_role": from_role, "from_id": from_id, "to_role": to_role, "to_id": to_id,
            "declarations": n}  # fmt: skip


# G1 clears SMUG's declarations through two brokers; G2 clears NAMED's through B2 alone.
SMUG = [
    edge("officer", "G1", "broker", "B1", 16), edge("officer", "G1", "broker", "B2", 10),
    edge("broker", "B1", "trader", "SMUG", 16), edge("broker", "B2", "trader", "SMUG", 10),
    edge("trader", "SMUG", "case", "NC-1", 26),
]  # fmt: skip
NAMED = [
    edge("officer", "G2", "broker", "B2", 28), edge("broker", "B2", "trader", "NAMED", 28),
    edge("trader", "NAMED", "case", "NC-2", 28), edge("trader", "NAMED", "case", "NC-3", 0),
]  # fmt: skip


def test_layout_puts_roles_in_columns_and_neighbours_side_by_side():
    nodes, lines = layout(merge_edges([SMUG, NAMED]))
    place = {(r.role, r.id): (r.x, r.y) for r in nodes.itertuples()}
    # G2 (28 declarations) above G1 (26); B2, linked to both, between B1 (G1's) and the top.
    assert place[("officer", "G2")] == (0, -0.5) and place[("officer", "G1")] == (0, 0.5)
    assert [place[("broker", b)] for b in ("B2", "B1")] == [(1, -0.5), (1, 0.5)]
    assert [place[("trader", t)] for t in ("NAMED", "SMUG")] == [(2, -0.5), (2, 0.5)]
    assert [place[("case", c)][1] for c in ("NC-2", "NC-3", "NC-1")] == [-1, 0, 1]
    first = lines.iloc[0]
    assert (first.x, first.y, first.x2, first.y2) == (0, 0.5, 1, 0.5)  # G1 to B1
    again, _ = layout(merge_edges([SMUG, NAMED]))
    assert again.equals(nodes)


def test_merge_adds_up_shared_edges_and_ignores_what_is_not_an_edge():
    merged = merge_edges([SMUG, [edge("officer", "G1", "broker", "B1", 4)]])
    assert merged[0] == edge("officer", "G1", "broker", "B1", 20) and len(merged) == len(SMUG)
    noise = [{"from_id": "x"}, edge("a", "b", "c", "d", 1)]  # incomplete; unknown roles
    assert network_edges({"network": [*SMUG, *noise]}) == SMUG
    assert network_edges({"network": "G1 -> B1"}) == [] and network_edges({}) == []


def finding(officer: str, trader: str, network: list[dict], score: float) -> Finding:
    return Finding(
        subjects={"officer_id": officer, "trader_id": trader},
        period_start=date(2025, 1, 1),
        period_end=date(2025, 2, 8),
        score=score,
        summary=f"Officer {officer} cleared most of trader {trader}'s declarations ({{q}}).",
        evidence={"cleared_by_officer": 26, "expected": 9.8, "network": network},
        p_value=1e-6,
        office_code="SEA01",
    )


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> str:
    findings = [finding("G1", "SMUG", SMUG, 2.7), finding("G2", "NAMED", NAMED, 3.5)]
    alerts, tested = select_alerts(CrimeLinks.id, findings, 0.05)
    run = DetectorRun(CrimeLinks, CrimeLinks.Params(), tested=tested, findings=2, alerts=alerts)
    out = tmp_path_factory.mktemp("network") / "report.html"
    return write_report(Analysis([run]), out).read_text()


def specs(markup: str) -> list[dict]:
    return [json.loads(s) for s in re.findall(r'class="vega-spec">(.*?)</script>', markup, re.S)]


def network_specs(markup: str) -> list[dict]:
    """The specs drawing a network: lines, dots and two layers of text."""
    marks = ["rule", "circle", "text", "text"]
    return [s for s in specs(markup) if [layer["mark"]["type"] for layer in s.get("layer", [])]
            == marks]  # fmt: skip


def test_each_crime_links_alert_draws_its_network(html):
    card = html[html.index('<article class="alert"') :]
    card = card[: card.index("</article>")]  # the strongest alert: G2 and NAMED
    (spec,) = network_specs(card)
    nodes = next(rows for rows in spec["datasets"].values() if "title" in rows[0])
    assert {(n["role"], n["id"]) for n in nodes} == {
        ("officer", "G2"), ("broker", "B2"), ("trader", "NAMED"), ("case", "NC-2"),
        ("case", "NC-3"),
    }  # fmt: skip
    assert "officer G2 to broker B2: 28 declarations" in spec["description"]
    assert "trader NAMED to case NC-3: 0 declarations" in card
    # The edges are also an evidence table (its columns in the alphabetical order of the JSON).
    (network_table,) = [t for t in tables(card) if "From role" in t[0]]
    header, *rows = network_table
    assert {tuple(r[header.index(c)] for c in ("From ID", "To ID", "Declarations"))
            for r in rows} == {("G2", "B2", "28"), ("B2", "NAMED", "28"), ("NAMED", "NC-2", "28"),
                               ("NAMED", "NC-3", "0")}  # fmt: skip
    vl_convert.vegalite_to_svg(spec)  # a spec Vega-Lite can draw


def test_the_detector_section_draws_its_alerts_as_one_network(html):
    detector = section(html, f"detector-{CrimeLinks.id}")
    head = detector[: detector.index('<article class="alert"')]
    assert "The alerts as one network" in head
    (spec,) = network_specs(head)
    nodes = next(rows for rows in spec["datasets"].values() if "title" in rows[0])
    assert {n["id"] for n in nodes if n["role"] == "officer"} == {"G1", "G2"}
    links = next(rows for rows in spec["datasets"].values() if "x2" in rows[0])
    assert len(links) == len(SMUG) + len(NAMED)  # B2 links to both traders
    assert "The links of the 2 alerts drawn together" in spec["description"]
