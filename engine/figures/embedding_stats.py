"""How a run's token mapping changed, as figures of its stored statistics (engine.probe), and
a meta run's prototype map: query tokens and class prototypes of one episode in 2-D."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from engine.figures.matrix import heatmap
from engine.figures.style import DISTANCE_SCALE, MARGIN, SCORE_RANGE, colour, finish

SILHOUETTE_SERIES = {
    "silhouette": "all types (with O)",
    "silhouette_entities": "entity types only",
    "type_accuracy": "type accuracy",
}
# Under the title, placed from the top of the figure (not the plot) so that, wrapped into
# several rows in a narrow column, it still covers neither the title nor the stage names.
TOP_LEGEND = {
    "orientation": "h", "x": 0.0, "xanchor": "left",
    "yref": "container", "y": 0.88, "yanchor": "top",
}  # fmt: skip


def silhouette_figure(
    stats: dict[str, Any],
    *,
    names: Mapping[str, str] = SILHOUETTE_SERIES,
    title: str = "Separation by gold type",
    stage_names: Mapping[str, str] | None = None,
) -> go.Figure:
    """Silhouette by gold type (with and without O) and type accuracy, per stage."""
    stages = stats["stages"]
    shown = [(stage_names or {}).get(s, s) for s in stages]
    figure = go.Figure()
    for i, (key, label) in enumerate(names.items()):
        values = [(stats.get(key) or {}).get(s) for s in stages]
        if any(v is not None for v in values):
            figure.add_scatter(
                x=shown, y=values, mode="lines+markers", name=label, line={"color": colour(i)}
            )
    return finish(
        figure,
        title=title,
        height=400,
        margin={**MARGIN, "t": 120},  # the title, then up to three legend rows
        title_y=0.97,
        title_yanchor="top",
        legend=TOP_LEGEND,
        xaxis={"type": "category"},
        yaxis={"range": [min(-0.1, *_values(stats, names)), SCORE_RANGE[1]]},
    )


def _values(stats: dict[str, Any], names: Mapping[str, str]) -> list[float]:
    found = [v for key in names for v in (stats.get(key) or {}).values() if v is not None]
    return [min(found)] if found else [0.0]


def cka_figure(
    stats: dict[str, Any],
    *,
    title: str = "Linear CKA between stages",
    hover: str = "%{y} vs %{x}: CKA %{z:.3f}",
    stage_names: Mapping[str, str] | None = None,
) -> go.Figure:
    stages = [(stage_names or {}).get(s, s) for s in stats["stages"]]
    return heatmap(stats["cka"], stages, stages, title=title, hover=hover, height=300)


def shift_figure(
    stats: dict[str, Any],
    key: str = "centroid_shift_from_first",
    *,
    title: str = "Centroid shift (cosine distance)",
    hover: str = "%{x} at %{y}: moved %{z:.3f}",
    stage_names: Mapping[str, str] | None = None,
) -> go.Figure:
    """Cosine distance each type's centroid moved, stage x type."""
    shifts = stats.get(key) or {}
    stages = [s for s in stats["stages"] if s in shifts]
    types = sorted({x for s in stages for x in shifts[s]}, key=lambda x: (x == "O", x))
    z = [[shifts[s].get(x) for x in types] for s in stages]
    shown = [(stage_names or {}).get(s, s) for s in stages]
    return heatmap(
        z,
        types,
        shown,
        title=title,
        hover=hover,
        zmax=None,
        colorscale=DISTANCE_SCALE,
        height=150 + 34 * len(stages),
    )


def prototype_map(
    payload: dict[str, Any],
    colours: Mapping[str, str],
    *,
    prototype_name: str = "prototype {name}",
    pc1: str = "PC1",
    pc2: str = "PC2",
) -> go.Figure:
    """Query tokens coloured by gold type (one trace per type, named by it) and a star per
    class prototype labelled with its type (`prototype_name`: its hidden trace name)."""
    names = list(payload.get("types", []))
    query, protos = payload.get("query", {}), payload.get("prototypes", {})
    figure = go.Figure()
    for c, name in enumerate(names):
        mine = [i for i, g in enumerate(query.get("gold", [])) if g == c]
        if mine:
            figure.add_scatter(
                x=[query["x"][i] for i in mine],
                y=[query["y"][i] for i in mine],
                mode="markers",
                name=name,
                marker={"color": colours.get(name), "size": 7, "line": {"width": 0.5}},
                text=[f"{query['word'][i]} → {names[query['predicted'][i]]}" for i in mine],
                hovertemplate="%{text}<extra>" + name + "</extra>",
            )
    for x, y, c in zip(
        protos.get("x", []), protos.get("y", []), protos.get("label", []), strict=False
    ):
        figure.add_scatter(
            x=[x], y=[y], mode="markers+text", text=[names[c]], textposition="top center",
            name=prototype_name.replace("{name}", names[c]),
            marker={"symbol": "star", "size": 18, "color": colours.get(names[c]),
                    "line": {"width": 1.5, "color": "#222"}},
            showlegend=False,
        )  # fmt: skip
    return finish(figure, height=480, margin=MARGIN, xaxis_title=pc1, yaxis_title=pc2)
