"""The analysis report: every alert anchored, funnel plots drawn, evidence escaped, offline."""

import json
import re
import subprocess
from dataclasses import replace
from datetime import date
from html import unescape

import numpy as np
import pandas as pd
import pytest

from arusha.engine import Chart, Detector, Finding
from arusha.engine.alerts import select_alerts
from arusha.engine.run import Analysis, DetectorRun
from arusha.report import analysis as report
from arusha.report.analysis import write_report
from arusha.stats import funnel_proportions
from tests.pages import use_pages
from tests.profile.test_profile import BROWSER
from tests.report.html_tables import rows, section, tables

HOSTILE = "</script><script>alert(1)</script>"
START, END = date(2024, 1, 1), date(2024, 12, 31)


class Override(Detector):
    """Declarations the risk engine sent to red or yellow that were processed in green."""

    id, title, reference = "test.override", "Overrides to a lower channel", "WCO RAD factor 4"

    def measure(self, tables, params):  # pragma: no cover - the report takes measures as given
        raise AssertionError

    def assess(self, measures, params):  # pragma: no cover
        raise AssertionError


class Overstay(Override):
    """Officers in the same post for too long."""

    id, title, reference = "test.overstay", "Overstay in a post", "WCO IDG ch. 4"


class NeedsAudit(Override):
    """Needs the audit trail."""

    id, title, reference = "test.audit", "Audit anomalies", "none"


def officer_measures() -> pd.DataFrame:
    """Twenty officers with about 3% overrides; O00 (120 of 400) and O01 (60 of 300) stand out."""
    n = np.array([400, 300, *range(40, 400, 20)])
    y = np.round(n * 0.03).astype(int)
    y[:2] = [120, 60]
    return pd.DataFrame(
        {
            "officer_id": [f"O{i:02d}" for i in range(len(n))],
            "office_code": ["ALPHA", "BRAVO"] * (len(n) // 2),
            "controlled": n,
            "overridden": y,
            "share": y / n,
        }
    )


def override_run() -> DetectorRun:
    measures = officer_measures()
    funnel = funnel_proportions(measures["overridden"], measures["controlled"])
    findings = [
        Finding(
            subjects={"officer_id": r.officer_id},
            period_start=START,
            period_end=END,
            score=float(funnel.z_adjusted[i]),
            summary=f"Officer {r.officer_id} overrode {r.overridden} of {r.controlled} ({{q}}).",
            evidence={
                "observed": int(r.overridden),
                "expected": float(r.controlled * funnel.target),
                "peer_group": f"examiners at {r.office_code}",
                "note": HOSTILE,
                "test": "funnel plot, additive overdispersion",
            },
            p_value=float(funnel.p_upper[i]),
            office_code=r.office_code,
        )
        for i, r in enumerate(measures.itertuples())
    ]
    alerts, tested = select_alerts(Override.id, findings, 0.05)
    volumes = np.linspace(40, 400, 19)
    limits = funnel.limits(volumes)
    frame = pd.concat(
        pd.DataFrame({"controlled": volumes, "level": level, "lower": lo, "upper": hi})
        for level, lo, hi in zip(limits.levels, limits.lower, limits.upper, strict=True)
    )
    chart = Chart(
        "Overrides per officer",
        "controlled",
        "share",
        "Red and yellow declarations",
        "Share overridden",
        measures,
        funnel.target,
        frame,
    )
    return DetectorRun(
        Override,
        Override.Params(),
        tested=tested,
        findings=len(findings),
        alerts=alerts,
        measures=measures,
        chart=chart,
    )


def overstay_run(officers: int = 2) -> DetectorRun:
    findings = [
        Finding(
            {"officer_id": f"S{i}"},
            START,
            END,
            1 + i / 10,
            f"Officer S{i} has been examiner for {6 + i} years.",
            {"years": 6.0 + i},
            office_code="ALPHA",
        )
        for i in range(officers)
    ]
    alerts, _ = select_alerts(Overstay.id, findings, 0.05)
    return DetectorRun(Overstay, Overstay.Params(), findings=len(findings), alerts=alerts)


def skipped_run() -> DetectorRun:
    return DetectorRun(NeedsAudit, NeedsAudit.Params(), skipped="needs audit_events")


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return Analysis([override_run(), overstay_run(), skipped_run()])


@pytest.fixture(scope="module")
def html(analysis, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report") / "out" / "report.html"
    load = [{"table_name": "declarations", "read": 10, "loaded": 9, "rejected": 1}]
    innocent = ["A supervisor's documented decision to downgrade a consignment."]
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_pages(tmp_path_factory.mktemp("pages"), monkeypatch, test_override=innocent)
        return write_report(analysis, out, title="Test analysis", load_summary=load).read_text()


def test_the_planted_alerts_are_found_by_the_fixture(analysis):
    alerted = {a.finding.subjects["officer_id"] for a in analysis.alerts}
    assert alerted == {"O00", "O01", "S0", "S1"}


def test_every_alert_has_its_anchored_section(analysis, html):
    for alert in analysis.alerts:
        assert f'<article class="alert" id="{alert.alert_id}"' in html
        assert f'href="#{alert.alert_id}"' in html


def test_alerts_in_catalogue_order_then_strongest_first(analysis, html):
    anchors = re.findall(r'<article class="alert" id="(A-[0-9a-f]+)"', html)
    by_id = {a.alert_id: a for a in analysis.alerts}
    order = [(by_id[a].detector, by_id[a].finding.subjects["officer_id"]) for a in anchors]
    assert order == [
        ("test.override", "O00"),
        ("test.override", "O01"),
        ("test.overstay", "S1"),
        ("test.overstay", "S0"),
    ]


def test_summary_says_what_ran_and_what_was_skipped(html):
    found = rows(html, "summary")
    assert [
        "test.override",
        "Overrides to a lower channel",
        "ran",
        "20",
        "20",
        "2",
        "5.0%",
    ] in found
    assert ["test.overstay", "Overstay in a post", "ran", "2", "0", "2", "–"] in found
    skipped = ["test.audit", "Audit anomalies", "skipped: needs audit_events", "–", "–", "–", "–"]
    assert skipped in found
    assert ["declarations", "10", "9", "1"] in found
    summary = section(html, "summary")
    assert "4 alerts raised by 2 detectors" in " ".join(summary.split())
    assert "reason to look, not a finding of guilt" in html
    assert "<strong>q</strong>" in html


def test_alerts_by_office(html):
    found = rows(html, "by-office")
    assert ["ALPHA", "test.override", "1"] in found
    assert ["ALPHA", "test.overstay", "2"] in found
    assert ["BRAVO", "test.override", "1"] in found
    assert 'class="vega-spec"' in section(html, "by-office")


def specs(markup: str) -> list[dict]:
    return [json.loads(s) for s in re.findall(r'class="vega-spec">(.*?)</script>', markup, re.S)]


def test_funnel_plot_has_points_target_limits_and_highlights_the_alerts(html):
    funnels = section(html, "funnels")
    (spec,) = specs(funnels)
    marks = [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        for layer in spec["layer"]
    ]
    assert marks == ["rule", "line", "circle"]
    points = next(v for v in spec["datasets"].values() if "status" in v[0])
    assert {p["officer_id"] for p in points if p["status"] == "alert"} == {"O00", "O01"}
    assert len(points) == 20
    limits = next(v for v in spec["datasets"].values() if "side" in v[0])
    assert {row["limits"] for row in limits} == {"95%", "99.8%"}
    assert "the thin lines (95% solid, 99.8% dashed) are control limits" in funnels
    assert "Red dots are the 2 subjects with an alert" in funnels


def test_funnel_thins_many_points_and_takes_limits_without_levels(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "MAX_FUNNEL_POINTS", 5)
    run = override_run()
    limits = run.chart.limits.query("level == 0.95").drop(columns="level")
    run.chart = replace(run.chart, limits=limits.rename(columns={"controlled": "volume"}))
    funnels = section(write_report(Analysis([run]), tmp_path / "r.html").read_text(), "funnels")
    (spec,) = specs(funnels)
    points = next(v for v in spec["datasets"].values() if "status" in v[0])
    assert len(points) == 5
    assert {p["officer_id"] for p in points if p["status"] == "alert"} == {"O00", "O01"}
    assert "3 of the 18 grey dots, drawn at random, are shown" in funnels
    assert "the thin lines are control limits" in funnels


def test_alert_section_shows_facts_evidence_and_chart(analysis, html):
    alert = next(a for a in analysis.alerts if a.finding.subjects["officer_id"] == "O00")
    start = html.index(f'id="{alert.alert_id}"')
    card = html[start : html.index("</article>", start)]
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", card)).split())
    assert "Officer O00 overrode 120 of 400 (q < 0.001)." in text
    assert "Period 2024-01-01 to 2024-12-31" in text
    assert "p and q p < 0.0001 (by chance less than once in a million), q < 0.001" in text
    measures = officer_measures()
    expected = 400 * measures["overridden"].sum() / measures["controlled"].sum()  # 26.2
    (evidence,) = tables(card)
    assert evidence[:3] == [["Figure", "Value"], ["Observed", "120"], ["Expected", "26.2"]]
    assert ["Peer group", "examiners at ALPHA"] in evidence
    (chart,) = specs(card)
    bars = next(iter(chart["datasets"].values()))
    assert [(b["which"], b["value"]) for b in bars] == [
        ("observed", 120),
        ("expected from peers", pytest.approx(expected, rel=1e-5)),
    ]


def test_innocent_explanations_from_the_detector(html):
    assert "A supervisor&#39;s documented decision to downgrade a consignment." in html


def test_hostile_evidence_is_escaped(html):
    assert HOSTILE not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_page_loads_nothing_remote(html):
    assert not re.search(r"<script[^>]*\ssrc=", html)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "default-src 'none'" in html


def test_zero_alerts_render_with_a_clear_message(tmp_path):
    quiet = DetectorRun(Overstay, Overstay.Params(), tested=0, findings=3)
    html = write_report(Analysis([quiet, skipped_run()]), tmp_path / "r.html").read_text()
    lead = " ".join(section(html, "summary").split())
    assert "No alert was raised: 3 subjects examined, 0 statistical tests run" in lead
    assert "<article" not in html
    assert "<script" not in html  # nothing to draw: the chart library is left out


def test_no_detector_ran(tmp_path):
    html = write_report(Analysis([skipped_run()]), tmp_path / "r.html").read_text()
    assert "No detector could run on these data" in html


def test_per_alert_charts_are_capped_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "MAX_ALERT_CHARTS", 1)
    html = write_report(Analysis([override_run()]), tmp_path / "r.html").read_text()
    assert len(re.findall(r'<article class="alert"', html)) == 2
    section_html = section(html, "detector-test.override")
    assert len(specs(section_html)) == 1
    assert "Charts are drawn for the 1 strongest alerts only" in section_html


def test_charts_draw_offline_in_a_browser(tmp_path, analysis):
    assert BROWSER, "no Chromium: `make test` installs it (apt-get install chromium)"
    page = write_report(analysis, tmp_path / "report.html")
    dom = subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--proxy-server=127.0.0.1:9",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    # overview + funnel + one observed/expected chart per override alert
    assert dom.count('class="marks"') == 4
    assert dom.count("could not be drawn") == 1  # the message in the script, never shown
