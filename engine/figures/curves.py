"""Metric curves: a run's loss (raw and smoothed) or dev F1, and several series overlaid.

Raw and smoothed loss are told apart by colour, width and order (thin grey raw behind, bold
red smoothed in front). A score (F1) always gets the y range [0, 1], so one dev point does not
sit in an axis running from -0.5 to 1.

    metric_curve(steps, losses, title="Training loss", x_title="step", smoothing=0.6)
    overlay({"#3 naive": (steps, f1), "#4 ewc": (steps, f1)}, title="Dev F1", score=True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from engine.figures.style import LINE, RAW, SCORE_RANGE, SMOOTHED, colour, finish, mode

Series = tuple[Sequence[float | str], Sequence[float | None]]  # (x, y)


def ema(values: Sequence[float], alpha: float) -> list[float]:
    """Exponential moving average, debiased as TensorBoard does; NaN points are skipped."""
    out, last, weight = [], 0.0, 0.0
    for value in values:
        if not math.isnan(value):
            last = alpha * last + (1 - alpha) * value
            weight = alpha * weight + (1 - alpha)
        out.append(last / weight if weight else math.nan)
    return out


def _finish_axes(
    figure: go.Figure, title: str | None, height: int, x_title: str | None, y_title: str | None,
    score: bool, log_y: bool, **layout: object,
) -> go.Figure:  # fmt: skip
    """The layout every curve chart shares: its titles, and a y axis that is [0, 1] for a
    score (a log scale would hide 0), else linear or log."""
    if score:
        y_axis = {"range": SCORE_RANGE, "title": y_title}
    else:
        y_axis = {"type": "log" if log_y else "linear", "title": y_title}
    return finish(figure, title=title, height=height, xaxis_title=x_title, yaxis=y_axis, **layout)


def metric_curve(
    x: Sequence[float],
    values: Sequence[float],
    *,
    title: str | None,
    x_title: str,
    name: str | None = None,
    smoothing: float = 0.0,
    raw_name: str = "raw",
    smoothed_name: str = "smoothed",
    log_y: bool = False,
    score: bool = False,
    y_title: str | None = None,
    height: int = 320,
) -> go.Figure:
    """One metric of one run. With `smoothing` in (0, 1) and more than one point: the raw
    points and their EMA, labelled `raw_name` and `smoothed_name`; else one line."""
    figure = go.Figure()
    smooth = 0 < smoothing < 1 and len(values) > 1
    if smooth:
        figure.add_scatter(
            x=list(x), y=list(values), mode="lines", name=raw_name,
            line={"color": RAW, "width": 1}, opacity=0.8,
        )  # fmt: skip
        figure.add_scatter(
            x=list(x), y=ema(values, smoothing), mode="lines", name=smoothed_name,
            line={"color": SMOOTHED, "width": 2.5},
        )  # fmt: skip
    else:
        figure.add_scatter(
            x=list(x), y=list(values), mode=mode(len(values)), name=name or title or "",
            line={"color": LINE}, cliponaxis=False,
        )  # fmt: skip
    legend = {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"}
    return _finish_axes(
        figure, title, height, x_title, y_title, score, log_y, showlegend=smooth, legend=legend
    )


def overlay(
    series: Mapping[str, Series],
    *,
    title: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    score: bool = False,
    log_y: bool = False,
    error_y: Mapping[str, Sequence[float | None]] | None = None,
    height: int = 340,
) -> go.Figure:
    """One line per named series, in order, each its own colour (markers while few points);
    `error_y` adds error bars to the series it names."""
    figure = go.Figure()
    for i, (name, (x, y)) in enumerate(series.items()):
        errors = (error_y or {}).get(name)
        figure.add_scatter(
            x=list(x), y=list(y), mode=mode(len(y)), name=name, cliponaxis=False,
            line={"color": colour(i)},
            error_y={"type": "data", "array": [e or 0.0 for e in errors]} if errors else None,
        )  # fmt: skip
    return _finish_axes(figure, title, height, x_title, y_title, score, log_y)
