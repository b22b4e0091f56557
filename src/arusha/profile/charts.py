"""The profile's charts: one builder per section, each from the small frame its query returns."""

from __future__ import annotations

import altair as alt
import pandas as pd

from arusha.contract.schema import CHANNELS
from arusha.report import channel_scale

VOLUMES_CAPTION = (
    "Declarations lodged per office (rows) and month (columns); darker cells are busier months. "
    "Pale red cells are months in which an office lodged no declaration: a gap in the export, "
    "or an office that was closed."
)
CHANNELS_CAPTION = (
    "Share of each office's declarations per channel, as given by the risk engine (left) and as "
    "finally processed (right). Green: released without control; blue: post-clearance; yellow: "
    "documentary control; red: physical examination. Bars that shrink in yellow and red from "
    "left to right mean declarations were moved to a less strict channel."
)
RELEASE_CAPTION = (
    "Hours from lodgement to release per {group}, on a logarithmic scale (each gridline ten "
    "times the previous). The thin line spans the 10th to the 90th percentile, the bar the "
    "middle half of declarations, the black mark the median. Declarations not yet released are "
    "left out here and counted in the table."
)


def volumes(df: pd.DataFrame) -> alt.Chart:
    """Heatmap of declarations per office and month (columns office_code, month, declarations)."""
    empty = alt.datum.declarations == 0
    return (
        alt.Chart(df)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("month:O", title="Month of lodgement", axis=alt.Axis(labelAngle=-60)),
            y=alt.Y("office_code:N", title="Office"),
            color=alt.when(empty)
            .then(alt.value("#f6d5d1"))
            .otherwise(
                alt.Color("declarations:Q", title="Declarations", scale=alt.Scale(scheme="blues"))
            ),
            tooltip=[
                alt.Tooltip("office_code:N", title="Office"),
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("declarations:Q", title="Declarations", format=","),
            ],
        )
        .properties(width=alt.Step(16), height=alt.Step(20))
    )


def channels(df: pd.DataFrame) -> alt.Chart:
    """Stacked shares per office (columns office_code, stage, channel, strictness, n, share)."""
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X(
                "share:Q",
                stack="normalize",
                title="Share of declarations",
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("office_code:N", title="Office"),
            color=alt.Color(
                "channel:N", title="Channel", scale=channel_scale(), sort=list(CHANNELS)
            ),
            order=alt.Order("strictness:Q"),
            column=alt.Column("stage:N", title=None, sort=["Risk engine", "Final"]),
            tooltip=[
                alt.Tooltip("office_code:N", title="Office"),
                alt.Tooltip("stage:N", title="Stage"),
                alt.Tooltip("channel:N", title="Channel"),
                alt.Tooltip("n:Q", title="Declarations", format=","),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
        .properties(width=280, height=alt.Step(22))
    )


def release(df: pd.DataFrame, label: str) -> alt.LayerChart:
    """Quantile box per group (columns grp, released, p10, p25, p50, p75, p90), log hours."""
    y = alt.Y("grp:N", title=label, sort=list(df["grp"]))
    x = alt.X(
        "p10:Q",
        title="Hours from lodgement to release (log scale)",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(format="~g"),
    )
    color = (
        alt.Color("grp:N", scale=channel_scale(), legend=None)
        if set(df["grp"]) <= set(CHANNELS)
        else alt.value("#5b87b5")
    )
    tooltip = [
        alt.Tooltip("grp:N", title=label),
        alt.Tooltip("released:Q", title="Declarations released", format=","),
        *(
            alt.Tooltip(f"{q}:Q", title=f"{title} released within (hours)", format=".1f")
            for q, title in (
                ("p10", "10%"),
                ("p25", "25%"),
                ("p50", "Half"),
                ("p75", "75%"),
                ("p90", "90%"),
            )
        ),
    ]
    base = alt.Chart(df).encode(y=y, tooltip=tooltip)
    whisker = base.mark_rule(color="#56606b").encode(x=x, x2="p90:Q")
    box = base.mark_bar(height=14).encode(x="p25:Q", x2="p75:Q", color=color)
    median = base.mark_tick(color="black", thickness=3, size=18).encode(x="p50:Q")
    return (whisker + box + median).properties(width=560, height=alt.Step(26))
