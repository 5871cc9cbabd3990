"""What a continual run keeps and loses: each task's F1 over the stream, and where the test
words of old types went after each task (kept, to O, to another type)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from engine.figures.curves import overlay
from engine.figures.style import finish


def forgetting_curves(
    rows: Sequence[Sequence[float | None]],
    tasks: Sequence[str],
    stages: Sequence[str],
    *,
    title: str | None = None,
    y_title: str | None = "F1",
    height: int | None = None,
) -> go.Figure:
    """One line per task j (named tasks[j]): rows[i][j] at stage i; a line that falls is
    forgetting. The stages are categories in the given order."""
    series = {name: (list(stages), [row[j] for row in rows]) for j, name in enumerate(tasks)}
    figure = overlay(
        series, title=title, y_title=y_title, score=True, height=height or 120 + 45 * len(stages)
    )
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=list(stages))
    return figure


def drift_bars(
    stages: Sequence[str],
    kept: Sequence[int],
    background: Sequence[int],
    others: Mapping[str, Sequence[int]],
    *,
    kept_name: str,
    background_name: str,
    y_title: str | None = None,
    height: int = 340,
) -> go.Figure:
    """Stacked bars per stage: the type's test words still predicted as it, predicted O, and
    predicted as each other type (`others`: legend name -> counts per stage)."""
    figure = go.Figure()
    figure.add_bar(x=list(stages), y=list(kept), name=kept_name)
    figure.add_bar(x=list(stages), y=list(background), name=background_name)
    for name, counts in others.items():
        figure.add_bar(x=list(stages), y=list(counts), name=name)
    return finish(
        figure,
        height=height,
        barmode="stack",
        yaxis_title=y_title,
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": list(stages)},
    )
