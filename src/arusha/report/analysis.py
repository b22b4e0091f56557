"""`write_report`: an analysis as one offline HTML page for the head of an integrity unit.

The page says what ran and what was skipped, how many subjects each detector tested and at
which false-discovery rate, where the alerts are (per detector and office), a funnel plot per
rate indicator, and then one section per alert, anchored by its id, with the figures behind
it. Alerts keep the order of the catalogue, then of score. Charts are cheap to read and costly
to embed, so only the strongest `MAX_ALERT_CHARTS` alerts of a detector get one; every alert
keeps its evidence table.

A detector's `Chart.limits`, when given, is a frame with the volume column (named `volume` or
as `Chart.volume`), `lower` and `upper`, and optionally `level` (e.g. 0.95, 0.998: one line pair
per level), as `arusha.stats.FunnelResult.limits` computes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
from markupsafe import Markup

from arusha.engine.alerts import Alert
from arusha.engine.detector import SUBJECTS, Chart
from arusha.engine.run import Analysis, DetectorRun
from arusha.explain import (
    SUBJECT_LABELS,
    chance_text,
    comparisons,
    flatten_evidence,
    format_value,
    innocent_explanations,
    label,
    p_text,
    period_text,
    q_text,
)
from arusha.report import Col, figure, write_page
from arusha.report.network import merge_edges, network_edges, network_figure

MAX_ALERT_CHARTS = 25  # per detector, the strongest alerts first
MAX_FUNNEL_POINTS = 5000  # every alerted point is kept; the others are sampled beyond this
NO_OFFICE = "(no office)"
ALERT_COLOR, OTHER_COLOR, LIMIT_COLOR, TARGET_COLOR = "#c23b30", "#8a96a3", "#1f4e79", "#1d2329"

SUMMARY_COLUMNS = [
    Col("id", "Detector"),
    Col("title", "What it looks for"),
    Col("status", "Status"),
    Col("examined", "Subjects examined", "int"),
    Col("tested", "Statistical tests", "int"),
    Col("alerts", "Alerts", "int"),
    Col("fdr", "False-discovery rate", "pct"),
]
LOAD_COLUMNS = [
    Col("table", "Table"),
    Col("read", "Rows read", "int"),
    Col("loaded", "Loaded", "int"),
    Col("rejected", "Rejected", "int"),
]
OFFICE_COLUMNS = [Col("office", "Office"), Col("detector", "Detector"), Col("alerts", "Alerts")]
EVIDENCE_COLUMNS = [Col("label", "Figure"), Col("value", "Value")]
SETTING_COLUMNS = [Col("label", "Setting"), Col("value", "Value")]


@dataclass(frozen=True)
class AlertView:
    alert_id: str
    detector: str
    heading: str
    summary: str
    score: str
    facts: list[tuple[str, str]]
    evidence: list[dict[str, str]]
    evidence_tables: list[dict[str, Any]]
    figure: Markup | None
    network: Markup | None  # officers, brokers, traders, cases, when the evidence links them


@dataclass(frozen=True)
class RunView:
    id: str
    title: str
    description: str
    reference: str
    skipped: str
    examined: int  # subjects assessed, with or without a statistical test
    tested: int
    fdr: float
    settings: list[dict[str, str]]
    innocent: str
    funnel: Markup | None
    network: Markup | None  # the alerts' networks drawn together
    alerts: list[AlertView]
    charts_left_out: int

    @property
    def status(self) -> str:
        return f"skipped: {self.skipped}" if self.skipped else "ran"


def write_report(
    analysis: Analysis,
    out_path: Path,
    *,
    title: str = "Integrity analysis",
    load_summary: list | None = None,
) -> Path:
    """Write the report of `analysis` to `out_path` and return the path.

    `load_summary`: optional rows (mappings or objects) with `table` (or `table_name`),
    `read`, `loaded` and `rejected`, e.g. the ingest's per-table outcome.
    """
    runs = [_run_view(run) for run in analysis.runs]
    overview = _overview(analysis)
    with_charts = bool(overview["rows"]) or any(r.funnel for r in runs)
    return write_page(
        out_path,
        "analysis/page.html.j2",
        title=title,
        runs=runs,
        totals=_totals(runs),
        overview=overview,
        load=_load_rows(load_summary),
        columns={
            "summary": SUMMARY_COLUMNS,
            "load": LOAD_COLUMNS,
            "office": OFFICE_COLUMNS,
            "evidence": EVIDENCE_COLUMNS,
            "settings": SETTING_COLUMNS,
        },
        max_alert_charts=MAX_ALERT_CHARTS,
        with_charts=with_charts,
    )


# --- the summary ---------------------------------------------------------------------------


def _totals(runs: list[RunView]) -> dict[str, Any]:
    ran = [r for r in runs if not r.skipped]
    fdrs = sorted({r.fdr for r in ran if r.tested})
    return {
        "alerts": sum(len(r.alerts) for r in runs),
        "ran": len(ran),
        "skipped": len(runs) - len(ran),
        "examined": sum(r.examined for r in ran),
        "tested": sum(r.tested for r in ran),
        "fdr": fdrs[0] if len(fdrs) == 1 else None,  # None: detectors differ, see the table
        "summary_rows": [
            {
                "id": r.id,
                "title": r.title,
                "status": r.status,
                "examined": None if r.skipped else r.examined,
                "tested": None if r.skipped else r.tested,
                "alerts": None if r.skipped else len(r.alerts),
                "fdr": r.fdr if r.tested else None,  # rules test nothing
            }
            for r in runs
        ],
    }


def _load_rows(load_summary: list | None) -> list[dict[str, Any]]:
    rows = []
    for item in load_summary or []:
        get = item.get if isinstance(item, dict) else lambda k, i=item: getattr(i, k, None)
        rows.append(
            {
                "table": get("table") or get("table_name"),
                "read": get("read"),
                "loaded": get("loaded"),
                "rejected": get("rejected"),
            }
        )
    return rows


def _overview(analysis: Analysis) -> dict[str, Any]:
    """Alerts per office and detector, as a table and a stacked bar chart."""
    counts = pd.DataFrame(
        [
            {"office": a.finding.office_code or NO_OFFICE, "detector": a.detector}
            for a in analysis.alerts
        ],
        columns=["office", "detector"],
    )
    if counts.empty:
        return {"rows": [], "figure": None}
    counts = counts.value_counts().rename("alerts").reset_index()
    counts = counts.sort_values(["office", "detector"]).reset_index(drop=True)
    most = int(counts.groupby("office")["alerts"].sum().max())
    chart = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X(
                "sum(alerts):Q",
                title="Alerts",
                axis=alt.Axis(tickMinStep=1, tickCount=min(most, 10), format="d"),
            ),
            y=alt.Y("office:N", title="Office", sort="-x"),
            color=alt.Color("detector:N", title="Detector", legend=alt.Legend(labelLimit=320)),
            tooltip=[
                alt.Tooltip("office:N", title="Office"),
                alt.Tooltip("detector:N", title="Detector"),
                alt.Tooltip("alerts:Q", title="Alerts"),
            ],
        )
        .properties(height=alt.Step(22))
    )
    caption = (
        "Alerts per office, coloured by the detector that raised them. An office with many "
        "alerts may have a problem, or simply more officers and declarations than the others."
    )
    return {"rows": counts.to_dict("records"), "figure": figure(chart, caption)}


# --- one detector --------------------------------------------------------------------------


def _run_view(run: DetectorRun) -> RunView:
    detector = run.detector
    alerts = sorted(run.alerts, key=lambda a: (-(a.finding.score or 0), a.alert_id))
    views = [_alert_view(a, with_chart=i < MAX_ALERT_CHARTS) for i, a in enumerate(alerts)]
    return RunView(
        id=detector.id,
        title=detector.title,
        description=detector.description(),
        reference=detector.reference,
        skipped=run.skipped,
        examined=run.findings,
        tested=run.tested,
        fdr=run.params.fdr,
        settings=[
            {"label": label(k), "value": format_value(v)}
            for k, v in run.params.model_dump().items()
        ],
        innocent=innocent_explanations(detector.id),
        funnel=_funnel(run.chart, run.alerts) if run.chart is not None else None,
        network=_joint_network(alerts),
        alerts=views,
        charts_left_out=max(0, len(alerts) - MAX_ALERT_CHARTS),
    )


def _joint_network(alerts: list[Alert]) -> Markup | None:
    """The networks of a detector's alerts drawn as one, when two or more have one: alerts
    that share an officer, a broker, a trader or a case then show as connected."""
    networks = [edges for a in alerts if (edges := network_edges(a.finding.evidence))]
    if len(networks) < 2:
        return None
    return network_figure(
        merge_edges(networks),
        f"The links of the {len(networks)} alerts drawn together: alerts that share an "
        "officer, a broker, a trader or a case are connected.",
    )


def _funnel(chart: Chart, alerts: list[Alert]) -> Markup | None:
    """The funnel plot: each subject's indicator against its volume, the target, the limits,
    and the alerted subjects in red."""
    points, alerted = _funnel_points(chart, alerts)
    if points.empty:
        return None
    points, thinned = _thin(points)
    # The limits shoot up at tiny volumes; the axis follows the dots, and the lines are cut.
    top = max(points["indicator"].max(), chart.target)
    y_scale = alt.Scale(domain=[min(0.0, points["indicator"].min()), 1.1 * top if top > 0 else 1])
    target = (
        alt.Chart(pd.DataFrame({"target": [chart.target]}))
        .mark_rule(color=TARGET_COLOR, strokeWidth=2)
        .encode(y=alt.Y("target:Q", scale=y_scale))
    )
    layers = [target, *_limit_lines(chart, y_scale), _dots(points, chart, y_scale)]
    caption = (
        f"{chart.title}. Each dot is one subject tested. Across: {chart.volume_label}; up: "
        f"{chart.indicator_label}. The thick line is the target ({format_value(chart.target)}); "
        f"the thin lines{_limit_words(chart)} are control limits: subjects fall within them by "
        "chance and by the normal variation between peers, and they narrow as volume grows. "
        f"Red dots are the {alerted} subjects with an alert; grey dots did not alert."
    )
    return figure(alt.layer(*layers), caption + thinned)


def _funnel_points(chart: Chart, alerts: list[Alert]) -> tuple[pd.DataFrame, int]:
    """Subjects, office, volume, indicator and status ("alert" when an alert names the same
    subjects), for the subjects with both figures; and the number of alerted points."""
    data = chart.data
    keys = [s for s in SUBJECTS if s in data.columns]
    points = data[[*keys, *(["office_code"] if "office_code" in data.columns else [])]].copy()
    points["volume"] = pd.to_numeric(data[chart.volume], errors="coerce")
    points["indicator"] = pd.to_numeric(data[chart.indicator], errors="coerce")
    points = points.dropna(subset=["volume", "indicator"])
    alerted = {tuple(a.finding.subjects.get(k) for k in keys) for a in alerts} if keys else set()
    hits = [tuple(r) in alerted for r in points[keys].astype(object).itertuples(index=False)]
    points["status"] = ["alert" if hit else "no alert" for hit in hits]
    return points, sum(hits)


def _dots(points: pd.DataFrame, chart: Chart, y_scale: alt.Scale) -> alt.Chart:
    described = [c for c in points.columns if c in SUBJECTS or c == "office_code"]
    tooltip = [alt.Tooltip(f"{c}:N", title=SUBJECT_LABELS.get(c, "Office")) for c in described]
    tooltip += [
        alt.Tooltip("volume:Q", title=chart.volume_label, format=",.4~g"),
        alt.Tooltip("indicator:Q", title=chart.indicator_label, format=",.4~g"),
    ]
    return (
        alt.Chart(points)
        .mark_circle(opacity=0.8, clip=True)
        .encode(
            x=alt.X("volume:Q", title=chart.volume_label),
            y=alt.Y("indicator:Q", title=chart.indicator_label, scale=y_scale),
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(domain=["no alert", "alert"], range=[OTHER_COLOR, ALERT_COLOR]),
            ),
            size=alt.when(alt.datum.status == "alert").then(alt.value(80)).otherwise(alt.value(30)),
            order=alt.Order("status:N", sort="ascending"),  # alerts drawn last, on top
            tooltip=tooltip,
        )
    )


def _thin(points: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """At most MAX_FUNNEL_POINTS dots: every alert, and a fixed random sample of the rest;
    with the sentence the caption adds when it samples."""
    if len(points) <= MAX_FUNNEL_POINTS:
        return points, ""
    alerts, others = points[points["status"] == "alert"], points[points["status"] != "alert"]
    keep = max(0, MAX_FUNNEL_POINTS - len(alerts))
    note = (
        f" For legibility, {keep:,} of the {len(others):,} grey dots, drawn at random, are shown."
    )
    return pd.concat([others.sample(n=keep, random_state=0), alerts]), note


def _limit_words(chart: Chart) -> str:
    """' (95% solid, 99.8% dashed)': which line is which, as the legend draws them."""
    frame = _limit_frame(chart)
    levels = [] if frame is None else [level for level in _level_order(frame) if level]
    if len(levels) == 2:
        return f" ({levels[0]} solid, {levels[1]} dashed)"
    return f" ({', '.join(levels)})" if levels else ""


def _limit_frame(chart: Chart) -> pd.DataFrame | None:
    """The limits in long form: volume, level (as a number), limits (its label), side, value."""
    limits = chart.limits
    if limits is None or limits.empty:
        return None
    volume = chart.volume if chart.volume in limits.columns else "volume"
    frame = pd.DataFrame(
        {
            "volume": pd.to_numeric(limits[volume], errors="coerce"),
            "level": pd.to_numeric(limits.get("level", float("nan")), errors="coerce"),
            "lower": pd.to_numeric(limits["lower"], errors="coerce"),
            "upper": pd.to_numeric(limits["upper"], errors="coerce"),
        }
    )
    frame["limits"] = ["" if pd.isna(level) else f"{100 * level:.4g}%" for level in frame["level"]]
    long = frame.melt(["volume", "level", "limits"], ["lower", "upper"], var_name="side")
    return long.dropna(subset=["volume", "value"]).sort_values("volume")


def _level_order(frame: pd.DataFrame) -> list[str]:
    """The limit labels from the narrowest level to the widest (solid first, then dashed)."""
    return frame.sort_values("level")["limits"].drop_duplicates().tolist()


def _limit_lines(chart: Chart, y_scale: alt.Scale) -> list[alt.Chart]:
    frame = _limit_frame(chart)
    if frame is None:
        return []
    order = _level_order(frame)
    return [
        alt.Chart(frame.drop(columns="level"))
        .mark_line(color=LIMIT_COLOR, strokeWidth=1.2, clip=True)
        .encode(
            x="volume:Q",
            y=alt.Y("value:Q", scale=y_scale),
            detail="side:N",
            strokeDash=alt.StrokeDash("limits:N", title="Control limits", sort=order),
        )
    ]


# --- one alert -----------------------------------------------------------------------------


def _alert_view(alert: Alert, with_chart: bool) -> AlertView:
    row = alert.row()
    rounded = json.loads(row["evidence"])  # as alerts.csv has it, but in the detector's order
    evidence = {str(k): rounded[str(k)] for k in alert.finding.evidence if str(k) in rounded}
    scalars, tables = flatten_evidence(evidence)
    subjects = [(SUBJECT_LABELS[s], row[s]) for s in SUBJECTS if row[s]]
    facts = [
        ("Alert id", row["alert_id"]),
        *subjects,
        ("Office", alert.finding.office_code or "–"),
        ("Period", period_text(row["period_start"], row["period_end"])),
        ("Score", f"{format_value(row['score'])} (compare only with this detector's alerts)"),
    ]
    if row["p_value"] is not None:
        p = row["p_value"]
        facts.append(("p and q", f"{p_text(p)} (by chance {chance_text(p)}), {_q(row['q_value'])}"))
    return AlertView(
        alert_id=row["alert_id"],
        detector=row["detector"],
        heading=" · ".join(f"{name} {value}" for name, value in subjects) or row["alert_id"],
        summary=row["summary"],
        score=format_value(row["score"]),
        facts=facts,
        evidence=[{"label": k, "value": v} for k, v in scalars],
        evidence_tables=[
            {
                "label": name,
                "rows": rows,
                "columns": [Col(c, c) for c in dict.fromkeys(k for r in rows for k in r)],
            }
            for name, rows in tables
        ],
        figure=_evidence_figure(evidence) if with_chart else None,
        network=network_figure(
            network_edges(evidence),
            "How the declarations behind this alert link its subjects to enforcement cases.",
        )
        if with_chart
        else None,
    )


def _q(q: float | None) -> str:
    return "no q" if q is None else q_text(q)


def _evidence_figure(evidence: dict) -> Markup | None:
    pairs = comparisons(evidence)
    if not pairs:
        return None
    frame = pd.DataFrame(
        [
            {"figure": what, "which": which, "value": value}
            for what, observed, expected in pairs
            for which, value in (("observed", observed), ("expected from peers", expected))
        ]
    )
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=None),
            y=alt.Y("which:N", title=None, sort=["observed", "expected from peers"]),
            color=alt.Color(
                "which:N",
                legend=None,
                scale=alt.Scale(
                    domain=["observed", "expected from peers"], range=[ALERT_COLOR, OTHER_COLOR]
                ),
            ),
            tooltip=[
                alt.Tooltip("figure:N", title="Figure"),
                alt.Tooltip("which:N", title="Which"),
                alt.Tooltip("value:Q", title="Value", format=",.4~g"),
            ],
        )
        .properties(width=360, height=alt.Step(18))
        .facet(row=alt.Row("figure:N", title=None, header=alt.Header(labelAngle=0)))
        .resolve_scale(x="independent")
    )
    caption = (
        "Observed against expected, from the evidence: the expected figure is what the work "
        "of comparable peers predicts for the same volume. "
        + "; ".join(
            f"{what}: observed {format_value(o)}, expected {format_value(e)}"
            for what, o, e in pairs
        )
        + "."
    )
    return figure(bars, caption)
