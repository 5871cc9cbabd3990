"""Grouped bars, and the per-entity-type precision/recall/F1 of one evaluation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from engine.figures.style import SCORE_RANGE, colour, finish

SCORES = {"precision": "precision", "recall": "recall", "f1": "F1"}  # key -> English label


def grouped_bars(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str | None = None,
    y_title: str | None = None,
    score: bool = False,
    height: int = 340,
) -> go.Figure:
    """One bar per category for each named series, side by side; `score`: y on [0, 1]."""
    figure = go.Figure()
    for i, (name, values) in enumerate(series.items()):
        figure.add_bar(x=list(categories), y=list(values), name=name, marker_color=colour(i))
    yaxis: dict[str, object] = {"title": y_title}
    if score:
        yaxis["range"] = SCORE_RANGE
    return finish(
        figure,
        title=title,
        height=height,
        barmode="group",
        yaxis=yaxis,
        xaxis={"type": "category"},
    )


def per_type_bars(
    per_type: Mapping[str, Mapping[str, float | int | None]],
    *,
    metrics: Mapping[str, str] = SCORES,
    title: str | None = None,
    height: int = 320,
) -> go.Figure:
    """Per entity type (sorted), one bar for each of `metrics` (key -> legend label)."""
    types = sorted(per_type)
    series = {label: [per_type[x].get(key) for x in types] for key, label in metrics.items()}
    return grouped_bars(types, series, title=title, score=True, height=height)
