"""Which type each word became: gold type (rows) x predicted type (columns), word counts."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from engine.figures.matrix import heatmap
from engine.figures.style import COUNT_SCALE


def confusion(
    labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    gold: str = "gold",
    predicted: str = "predicted",
    title: str | None = None,
) -> go.Figure:
    """counts[i][j]: words of gold type labels[i] predicted as labels[j]."""
    return heatmap(
        counts,
        labels,
        labels,
        title=title,
        x_title=predicted,
        y_title=gold,
        zmin=0,
        zmax=None,
        colorscale=COUNT_SCALE,
        number=".0f",
        hover=f"{gold} %{{y}} -> {predicted} %{{x}}: %{{z}}",
    )
