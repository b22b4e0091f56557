"""Who cleared what for whom: a network of officers, brokers, traders and enforcement cases.

A detector whose evidence has `network`, a list of edges

    {"from_role": "officer", "from_id": "OF1", "to_role": "broker", "to_id": "BR2",
     "declarations": 70}

gets it drawn in the report. Roles are columns, left to right in `ROLES` order; a line's width
is its number of declarations. The layout is computed here, not by a force simulation in the
browser, so that the same evidence always gives the same picture, on paper too: officers by
declarations (most first), then each column ordered by the mean position of the nodes it is
linked to in the columns before it (the barycentre heuristic of Sugiyama, Tagawa and Toda
1981, which keeps lines from crossing), ties by id. The edges are in the evidence table as
well, and listed in the caption, which is the figure's text alternative.
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import pandas as pd
from markupsafe import Markup

from arusha.report.charts import figure

ROLES = ("officer", "broker", "trader", "case")
ROLE_TITLES = {"officer": "Officers", "broker": "Brokers", "trader": "Traders",
               "case": "Enforcement cases"}  # fmt: skip
ROLE_COLORS = ("#1f4e79", "#8a96a3", "#b98900", "#c23b30")
EDGE_KEYS = ("from_role", "from_id", "to_role", "to_id", "declarations")
ROW_HEIGHT = 44  # pixels per node in the tallest column
EDGES_IN_CAPTION = 20


def network_edges(evidence: dict) -> list[dict]:
    """The evidence's `network` edges between known roles; [] when it has none."""
    edges = evidence.get("network")
    if not isinstance(edges, list):
        return []
    return [
        e
        for e in edges
        if isinstance(e, dict) and all(k in e for k in EDGE_KEYS)
        and e["from_role"] in ROLES and e["to_role"] in ROLES
    ]  # fmt: skip


def merge_edges(networks: Iterable[list[dict]]) -> list[dict]:
    """Several alerts' networks as one: an edge found in several has their declarations
    summed (an officer's declarations through one broker for two traders, say)."""
    totals: dict[tuple, int] = {}
    for edges in networks:
        for e in edges:
            key = tuple(e[k] for k in EDGE_KEYS[:4])
            totals[key] = totals.get(key, 0) + int(e["declarations"] or 0)
    return [dict(zip(EDGE_KEYS, (*key, n), strict=True)) for key, n in totals.items()]


def layout(edges: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes (role, id, x: column, y: row from the top) and edges with both ends' positions."""
    weight: dict[tuple[str, str], int] = {}
    for e in edges:
        for end in ("from", "to"):
            node = (e[f"{end}_role"], e[f"{end}_id"])
            weight[node] = weight.get(node, 0) + int(e["declarations"] or 0)
    rows: dict[tuple[str, str], float] = {}
    for column, role in enumerate(ROLES):
        nodes = [n for n in weight if n[0] == role]
        if column == 0:
            order = sorted(nodes, key=lambda n: (-weight[n], n[1]))
        else:
            order = sorted(nodes, key=lambda n: (_barycentre(n, edges, rows), n[1]))
        for row, node in enumerate(order):
            rows[node] = row - (len(order) - 1) / 2  # columns centred on one another
    nodes = pd.DataFrame(
        [
            {"role": role, "id": node_id, "title": ROLE_TITLES[role],
             "x": ROLES.index(role), "y": rows[(role, node_id)]}
            for role, node_id in rows
        ]
    )  # fmt: skip
    lines = pd.DataFrame(
        [
            {**e, "x": ROLES.index(e["from_role"]), "y": rows[(e["from_role"], e["from_id"])],
             "x2": ROLES.index(e["to_role"]), "y2": rows[(e["to_role"], e["to_id"])]}
            for e in edges
        ]
    )  # fmt: skip
    return nodes, lines


def _barycentre(node: tuple[str, str], edges: list[dict], rows: dict) -> float:
    """The mean row of the node's neighbours already placed, weighted by declarations (each
    at least 1, so that a case without declarations still pulls); last if it has none."""
    total = weighted = 0.0
    for e in edges:
        ends = ((e["from_role"], e["from_id"]), (e["to_role"], e["to_id"]))
        if node in ends:
            other = ends[1] if ends[0] == node else ends[0]
            if other in rows:
                w = max(int(e["declarations"] or 0), 1)
                total, weighted = total + w, weighted + w * rows[other]
    return weighted / total if total else float("inf")


def network_figure(edges: list[dict], title: str) -> Markup | None:
    """The network as a figure; None without edges. `title` starts the caption."""
    if not edges:
        return None
    nodes, lines = layout(edges)
    tallest = int(nodes["x"].value_counts().max())
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[-0.5, len(ROLES) - 0.5]))
    y_scale = alt.Scale(domain=[-(tallest + 1) / 2, tallest / 2], reverse=True)
    y = alt.Y("y:Q", axis=None, scale=y_scale)
    links = (
        alt.Chart(lines)
        .mark_rule(color="#8a96a3", opacity=0.7)
        .encode(
            x=x, y=y, x2="x2:Q", y2="y2:Q",
            strokeWidth=alt.StrokeWidth(
                "declarations:Q", title="Declarations", scale=alt.Scale(range=[1, 10])
            ),
            tooltip=[
                alt.Tooltip("from_id:N", title="From"),
                alt.Tooltip("to_id:N", title="To"),
                alt.Tooltip("declarations:Q", title="Declarations"),
            ],
        )
    )  # fmt: skip
    color = alt.Color(
        "role:N", title=None, legend=None,
        scale=alt.Scale(domain=list(ROLES), range=list(ROLE_COLORS)),
    )  # fmt: skip
    dots = alt.Chart(nodes).mark_circle(size=220, opacity=1).encode(
        x=x, y=y, color=color,
        tooltip=[alt.Tooltip("title:N", title="Role"), alt.Tooltip("id:N", title="Id")],
    )  # fmt: skip
    names = alt.Chart(nodes).mark_text(dy=-14, fontSize=11).encode(x=x, y=y, text="id:N")
    headings = pd.DataFrame(
        {"x": range(len(ROLES)), "y": -(tallest + 1) / 2, "title": [ROLE_TITLES[r] for r in ROLES]}
    )
    heads = alt.Chart(headings).mark_text(fontWeight="bold", dy=10).encode(x=x, y=y, text="title:N")
    chart = alt.layer(links, dots, names, heads).properties(
        width=600, height=ROW_HEIGHT * (tallest + 1)
    )
    return figure(chart, f"{title} {_in_words(edges)}")


def _in_words(edges: list[dict]) -> str:
    """The edges as sentences: the figure's text alternative."""
    shown = [
        f"{e['from_role']} {e['from_id']} to {e['to_role']} {e['to_id']}: "
        f"{int(e['declarations'] or 0):,} declarations"
        for e in edges[:EDGES_IN_CAPTION]
    ]
    more = len(edges) - len(shown)
    return (
        "Left to right: officers, brokers, traders, enforcement cases; a line's width is the "
        "number of declarations. Links: "
        + "; ".join(shown)
        + (f"; and {more} more (see the evidence table)." if more > 0 else ".")
    )
