"""The shared look: margins, colour scales and curve colours every figure uses."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}  # room for a title
TIGHT = {"l": 10, "r": 10, "t": 10, "b": 10}  # no title
SCORE_RANGE = [0.0, 1.0]
# One scale for every score in [0, 1] (R matrices, CKA), so a colour means the same number on
# every page and in the report; counts and distances have their own.
SCORE_SCALE = "Viridis"
COUNT_SCALE = "Blues"
DISTANCE_SCALE = "Reds"
PALETTE = qualitative.Plotly + qualitative.D3
RAW = "#a0a8b4"  # raw loss: thin grey, behind
SMOOTHED = "#d62728"  # smoothed loss: bold red, in front; never two similar blues
LINE = "#1f77b4"  # a lone series
CHOSEN, OTHER = "#1f77b4", "#9ecae1"  # the chosen run among others
MANY_POINTS = 30  # above this a line needs no markers; below, a lone point must still show


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def finish(
    figure: go.Figure,
    *,
    title: str | None = None,
    height: int,
    margin: dict[str, int] | None = None,
    **layout: Any,
) -> go.Figure:
    """Title, height and margins (TIGHT without a title, MARGIN with one), plus `layout`."""
    chosen = margin if margin is not None else (MARGIN if title else TIGHT)
    figure.update_layout(title=title, height=height, margin=chosen, **layout)
    return figure


def mode(points: int) -> str:
    return "lines" if points > MANY_POINTS else "lines+markers"
