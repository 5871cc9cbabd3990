"""Heatmaps whose coloured cells sit exactly under their numbers: the R matrix and others.

Both axes are categorical with the caller's labels in the caller's order, so labels such as
"1", "2", "3" stay rows (Plotly would otherwise read them as numbers, put "b" at NaN and shift
every cell). Each cell's text is given explicitly; a missing or NaN cell is drawn empty, with
no text and no hover, never as "NaN".

    r_matrix(baseline, rows, tasks=["task 1: PER", ...], stages=["before", "after task 1", ...])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from engine.figures.style import SCORE_SCALE, finish

Cell = float | int | None


def clean(value: Any) -> Cell:
    """None for a missing or NaN cell (JSON has no NaN), else the value unchanged."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def cell_text(value: Cell, number: str) -> str:
    return "" if value is None else format(value, number)


def categorical(labels: Sequence[str], **axis: Any) -> dict[str, Any]:
    """An axis that shows exactly `labels`, in order, as categories."""
    names = [str(x) for x in labels]
    return {"type": "category", "categoryorder": "array", "categoryarray": names, **axis}


def heatmap(
    z: Sequence[Sequence[Any]],
    x: Sequence[str],
    y: Sequence[str],
    *,
    title: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    zmin: float | None = 0.0,
    zmax: float | None = 1.0,
    colorscale: str = SCORE_SCALE,
    number: str = ".2f",
    hover: str = "%{y}, %{x}: %{z:.3f}",
    show_scale: bool = True,
    height: int | None = None,
) -> go.Figure:
    """z[i][j] drawn at (x[j], y[i]), rows top to bottom; raises when the shapes disagree."""
    rows = [[clean(v) for v in row] for row in z]
    if len(rows) != len(y) or any(len(row) != len(x) for row in rows):
        shape = [len(row) for row in rows]
        raise ValueError(f"a {len(y)} x {len(x)} heatmap got rows of lengths {shape}")
    figure = go.Figure(
        go.Heatmap(
            z=rows,
            x=[str(v) for v in x],
            y=[str(v) for v in y],
            text=[[cell_text(v, number) for v in row] for row in rows],
            texttemplate="%{text}",
            hovertemplate=hover + "<extra></extra>",
            hoverongaps=False,
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            showscale=show_scale,
            xgap=1,
            ygap=1,
        )
    )
    return finish(
        figure,
        title=title,
        height=height or (60 if title else 30) + 90 + 40 * len(y),
        xaxis=categorical(x, title=x_title),
        yaxis=categorical(y, title=y_title, autorange="reversed"),
    )


def r_matrix(
    baseline: Sequence[float | None],
    rows: Sequence[Sequence[float | None]],
    tasks: Sequence[str],
    stages: Sequence[str],
    *,
    title: str | None = None,
    x_title: str | None = None,
    small: bool = False,
    height: int | None = None,
) -> go.Figure:
    """The accuracy matrix: the baseline row (before any task), then R[i][j] after task i on
    task j's test data. `stages` names those rows, `tasks` the columns; `small` draws a race
    thumbnail (no colour bar, tighter rows)."""
    figure = heatmap(
        [list(baseline), *(list(r) for r in rows)],
        tasks,
        stages,
        title=title,
        x_title=x_title,
        show_scale=not small,
        height=height or ((50 if title else 20) + 50 + 34 * len(stages) if small else None),
    )
    if small:
        figure.update_traces(textfont={"size": 11})
    return figure
