"""Methods side by side: a strategy race's summary metrics, mean F1 with its 95% interval per
method, and few-shot adaptation curves. The Forgetting and Meta pages, the lessons and the
report draw their comparisons with these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from engine.figures.bars import grouped_bars
from engine.figures.curves import overlay
from engine.figures.style import CHOSEN, OTHER, colour, finish


def race_summary(
    metrics: Sequence[str],
    runs: Mapping[str, Sequence[float | None]],
    *,
    title: str | None = None,
    height: int = 340,
) -> go.Figure:
    """One group per metric (ACC, BWT, ...), one bar per run (`runs`: name -> values)."""
    return grouped_bars(metrics, runs, title=title, height=height)


def ci_bars(
    names: Sequence[str],
    means: Sequence[float | None],
    cis: Sequence[float | None],
    *,
    chosen: int | None = None,
    title: str | None = None,
    y_title: str | None = None,
    height: int = 340,
) -> go.Figure:
    """Mean ± 95% CI per method; `chosen` (an index) stands out, else each bar has a colour."""
    colours = [
        (CHOSEN if i == chosen else OTHER) if chosen is not None else colour(i)
        for i in range(len(names))
    ]
    figure = go.Figure(
        go.Bar(
            x=list(names),
            y=list(means),
            error_y={"type": "data", "array": [c or 0 for c in cis]},
            marker_color=colours,
        )
    )
    return finish(
        figure, title=title, height=height, yaxis_title=y_title, xaxis={"type": "category"}
    )


def adaptation_curves(
    curves: Mapping[str, tuple[Sequence[int], Sequence[float], Sequence[float | None]]],
    *,
    x_title: str | None = None,
    y_title: str | None = None,
    height: int = 340,
) -> go.Figure:
    """Query F1 after 0..k adaptation steps (name -> steps, means, CI half-widths)."""
    series = {name: (steps, means) for name, (steps, means, _) in curves.items()}
    errors = {name: cis for name, (_, _, cis) in curves.items() if cis}
    return overlay(
        series, x_title=x_title, y_title=y_title, score=True, error_y=errors, height=height
    )
