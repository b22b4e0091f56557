import json
import math
import re

import altair as alt
import pandas as pd
import pytest

from arusha.report import Col, environment, figure, fmt, vega_javascript
from arusha.report.formatting import counted
from tests.report.html_tables import tables

HOSTILE = "</script><script>alert(1)</script>"

PAGE = """{% extends "base.html.j2" %}
{% from "macros.html.j2" import table %}
{% block content %}{{ chart }}{{ chart }}{{ table(rows, columns) }}{% endblock %}"""


def render_page(**context) -> str:
    context = {"title": "T", "generated_at": "now", "with_charts": True, "chart": "", **context}
    context.setdefault("rows", [])
    context.setdefault("columns", [])
    return environment().from_string(PAGE).render(**context)


def bar_chart(label: str) -> alt.Chart:
    return (
        alt.Chart(pd.DataFrame({"office": [label], "n": [3]}))
        .mark_bar()
        .encode(x="n:Q", y="office:N")
    )


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (1234567, "int", "1,234,567"),
        (0.1234, "pct", "12.3%"),
        (0.5, "hours", "30 min"),
        (5.2, "hours", "5.2 h"),
        (72, "hours", "3.0 days"),
        (pd.Timestamp("2025-03-04 09:15"), "date", "2025-03-04"),
        (pd.Timestamp("2025-03-04 09:15"), "datetime", "2025-03-04 09:15"),
        (None, "int", "–"),
        (math.nan, "pct", "–"),
        (pd.NaT, "date", "–"),
        ("", "text", "–"),
    ],
)
def test_formats(value, kind, text):
    assert fmt(value, kind) == text


def test_counted_uses_the_right_form():
    assert counted(1, "problem") == "1 problem"
    assert counted(1204, "problem") == "1,204 problems"
    assert counted(2, "party", "parties") == "2 parties"


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown format"):
        Col("n", "N", "money")


def test_figure_keeps_hostile_data_inside_its_json():
    html = str(figure(bar_chart(HOSTILE), caption=f"caption {HOSTILE}"))
    assert "<script>alert" not in html
    spec_text = re.search(r'class="vega-spec">(.*?)</script>', html, re.S).group(1)
    spec = json.loads(spec_text)
    assert HOSTILE in json.dumps(spec["datasets"])
    assert spec["description"] == f"caption {HOSTILE}"
    assert "$schema" not in spec


def test_page_inlines_vega_once_and_loads_nothing_remote():
    html = render_page(chart=figure(bar_chart("ALPHA"), caption="Bars."))
    assert html.count(str(vega_javascript())) == 1
    assert html.count('class="vega-spec"') == 2
    assert "<figcaption>Bars.</figcaption>" in html
    assert not re.search(r"<script[^>]*\ssrc=", html)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "default-src 'none'" in html  # the page may not reach the network either


def test_page_without_charts_has_no_javascript():
    html = render_page(with_charts=False)
    assert "<script" not in html


def test_autoescape_in_layout_and_tables():
    html = render_page(
        title=HOSTILE,
        with_charts=False,
        rows=[{"name": HOSTILE, "n": 0.5}],
        columns=[Col("name", "Name"), Col("n", "Share", "pct")],
    )
    assert "<script>alert" not in html
    assert tables(html)[0] == [["Name", "Share"], [HOSTILE, "50.0%"]]
