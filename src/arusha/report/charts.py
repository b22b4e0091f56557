"""Altair charts embedded in a page that works offline.

The Vega, Vega-Lite and vega-embed JavaScript comes from `vl-convert-python`, which ships it
inside the wheel: no network at build time or when the page is opened. A page includes that
bundle once (see `base.html.j2`); each chart is a `<figure>` holding its Vega-Lite spec as inert
JSON, an element to draw into and a caption that is also its text alternative.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import altair as alt
from markupsafe import Markup

from arusha.contract.schema import CHANNELS

# Colours that read as the channel names do, dark enough to be told apart in grey print.
CHANNEL_COLORS = ("#3b8a3e", "#2f6db5", "#e3b021", "#c23b30")

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"

CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "view": {"stroke": None, "continuousWidth": 560, "continuousHeight": 260},
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal"},
    "header": {"labelFontSize": 13, "titleFontSize": 13},
    "title": {"fontSize": 14, "anchor": "start"},
}

EMBED_OPTIONS = {"mode": "vega-lite", "actions": False, "renderer": "svg"}


@alt.theme.register("arusha", enable=False)
def _theme() -> alt.theme.ThemeConfig:
    return {"config": CONFIG}


def channel_scale() -> alt.Scale:
    """The colour scale every chart uses for risk channels, in order of strictness."""
    return alt.Scale(domain=list(CHANNELS), range=list(CHANNEL_COLORS))


@functools.cache
def vega_javascript() -> Markup:
    """Vega, Vega-Lite (the version Altair writes) and vega-embed as one inline script body."""
    import vl_convert  # imported here: only pages with charts pay for it

    wanted = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]  # "v6.4.1" -> "6.4"
    known = wanted in vl_convert.get_vegalite_versions()
    js = vl_convert.javascript_bundle(vl_version=wanted if known else None)
    # The bundle never closes a script element today; make sure it never can.
    return Markup(js.replace("</script", "<\\/script"))


def spec_json(chart: alt.TopLevelMixin, description: str) -> str:
    """The chart's Vega-Lite spec as JSON that is safe inside a `<script>` element."""
    with alt.theme.enable("arusha"):
        spec = chart.to_dict()
    spec.pop("$schema", None)
    spec["description"] = description
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), default=str)
    # Data come from untrusted files: no '<' may end the script element early.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figure(chart: alt.TopLevelMixin, caption: str) -> Markup:
    """A chart as an accessible `<figure>`; `caption` says in words what the chart shows."""
    return Markup(
        '<figure class="chart-figure">'
        '<div class="chart" role="img" aria-label="{caption}"></div>'
        '<script type="application/json" class="vega-spec">{spec}</script>'
        "<figcaption>{caption}</figcaption>"
        "</figure>"
    ).format(caption=caption, spec=Markup(spec_json(chart, caption)))
