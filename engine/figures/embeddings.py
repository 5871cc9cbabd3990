"""The token map: probe tokens placed in 2-D per stage, coloured by gold type, correctness or
predicted type; one stage, or every stage as animation frames; arrows between stages.

`MappingView` is what engine.probe.report stored for one run (the probe's sentences and each
token's sentence/word/gold type, one payload of points per stage, the statistics); the page
reads it from storage and passes it here. Texts come in `MapLabels` (English by default).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from engine.figures.style import PALETTE

COLOUR_BY = ("gold type", "correctness", "predicted type")
O_COLOUR = "#c8c8c8"
CORRECTNESS_COLOURS = {"correct": "#2ca02c", "wrong": "#d62728"}
CONTEXT_WORDS = 8  # words shown either side of a token in its hover text
MAX_TOKEN_ARROWS = 40
FRAME = {"frame": {"duration": 900, "redraw": True}, "transition": {"duration": 600}}


@dataclass(frozen=True)
class MapLabels:
    """The texts of a token map; `{gold}`, `{pred}` and `{stage}` are filled in here."""

    hover_gold: str = "gold: {gold}"
    hover_predicted: str = "predicted: {pred}"
    correct: str = "correct"
    wrong: str = "wrong"
    stage_title: str = "stage: {stage}"
    stage_prefix: str = "stage: "
    play: str = "▶ Play"
    pause: str = "⏸ Pause"
    stage_names: Mapping[str, str] = field(default_factory=dict)  # stored stage -> shown name

    def stage(self, stage: str) -> str:
        return self.stage_names.get(stage, stage)


ENGLISH = MapLabels()


@dataclass(frozen=True)
class MappingView:
    probe: dict[str, Any]
    stages: list[str]
    points: dict[str, dict[str, Any]]  # stage -> embedding_points payload
    stats: dict[str, Any]

    @property
    def types(self) -> list[str]:
        return list(self.probe.get("types") or sorted(set(self.probe["gold"])))

    @property
    def has_predictions(self) -> bool:
        return any(self.points[s].get("pred") for s in self.stages)

    def tokens(self) -> list[str]:
        sentences = self.probe["sentences"]
        return [
            sentences[s][w] for s, w in zip(self.probe["sentence"], self.probe["word"], strict=True)
        ]


def hover_texts(probe: dict[str, Any], labels: MapLabels = ENGLISH) -> list[str]:
    """Each token in its sentence (a window of words around it), the token in bold."""
    out = []
    for s, w, gold in zip(probe["sentence"], probe["word"], probe["gold"], strict=True):
        words = [html.escape(x) for x in probe["sentences"][s]]
        lo, hi = max(0, w - CONTEXT_WORDS), min(len(words), w + CONTEXT_WORDS + 1)
        words[w] = f"<b>{words[w]}</b>"
        text = ("… " if lo else "") + " ".join(words[lo:hi]) + (" …" if hi < len(words) else "")
        out.append(text + "<br>" + labels.hover_gold.replace("{gold}", html.escape(gold)))
    return out


def categories(view: MappingView, stage: str, colour_by: str) -> list[str]:
    """The colour group of every token at `stage`."""
    gold = view.probe["gold"]
    pred = view.points[stage].get("pred")
    if colour_by == "gold type" or not pred:
        return list(gold)
    if colour_by == "correctness":
        return ["correct" if g == p else "wrong" for g, p in zip(gold, pred, strict=True)]
    return list(pred)


def colour_map(types: Sequence[str], colour_by: str) -> dict[str, str]:
    if colour_by == "correctness":
        return dict(CORRECTNESS_COLOURS)
    entity = [x for x in types if x != "O"]
    colours = {x: PALETTE[i % len(PALETTE)] for i, x in enumerate(entity)}
    colours["O"] = O_COLOUR
    return colours


def visible(view: MappingView, show_o: bool) -> list[int]:
    return [i for i, g in enumerate(view.probe["gold"]) if show_o or g != "O"]


def stage_traces(
    view: MappingView,
    stage: str,
    colour_by: str,
    keep: list[int],
    hover: list[str],
    labels: MapLabels = ENGLISH,
) -> list[go.Scatter]:
    """One trace per colour group (every group, even empty, so animation frames line up)."""
    cats = categories(view, stage, colour_by)
    pred = view.points[stage].get("pred")
    xs, ys = view.points[stage]["x"], view.points[stage]["y"]
    names = {"correct": labels.correct, "wrong": labels.wrong}
    traces = []
    for name, colour in colour_map(view.types, colour_by).items():
        idx = [i for i in keep if cats[i] == name]
        text = [hover[i] + predicted_text(pred, i, labels) for i in idx]
        traces.append(
            go.Scatter(
                x=[xs[i] for i in idx],
                y=[ys[i] for i in idx],
                ids=[str(i) for i in idx],
                mode="markers",
                name=names.get(name, name) if colour_by == "correctness" else name,
                text=text,
                hovertemplate="%{text}<extra>%{fullData.name}</extra>",
                marker={"color": colour, "size": 6, "opacity": 0.45 if name == "O" else 0.85},
            )
        )
    return traces


def predicted_text(pred: list[str] | None, i: int, labels: MapLabels = ENGLISH) -> str:
    return "<br>" + labels.hover_predicted.replace("{pred}", html.escape(pred[i])) if pred else ""


def axis_ranges(view: MappingView) -> tuple[list[float], list[float]]:
    """One frame for every stage, so movement is not hidden by rescaled axes."""
    xs = [v for s in view.stages for v in view.points[s]["x"]] or [0.0]
    ys = [v for s in view.stages for v in view.points[s]["y"]] or [0.0]
    pad = 5.0
    return [min(xs) - pad, max(xs) + pad], [min(ys) - pad, max(ys) + pad]


def scatter_figure(
    view: MappingView, stage: str, colour_by: str, show_o: bool, labels: MapLabels = ENGLISH
) -> go.Figure:
    keep, hover = visible(view, show_o), hover_texts(view.probe, labels)
    figure = go.Figure(stage_traces(view, stage, colour_by, keep, hover, labels))
    x_range, y_range = axis_ranges(view)
    figure.update_layout(
        height=560,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"range": x_range, "zeroline": False, "title": None},
        yaxis={"range": y_range, "zeroline": False, "title": None},
        legend={"itemsizing": "constant"},
        title=labels.stage_title.replace("{stage}", labels.stage(stage)),
    )
    return figure


def animated_figure(
    view: MappingView, colour_by: str, show_o: bool, labels: MapLabels = ENGLISH
) -> go.Figure:
    """All stages as Plotly animation frames: Play/Pause in a row above the plot, the stage
    slider below it over the full width with its current stage at the right end, so the
    controls cover neither each other nor the slider's labels, whatever the column width."""
    keep, hover = visible(view, show_o), hover_texts(view.probe, labels)
    figure = scatter_figure(view, view.stages[0], colour_by, show_o, labels)
    figure.frames = [
        go.Frame(data=stage_traces(view, s, colour_by, keep, hover, labels), name=s)
        for s in view.stages
    ]
    pause = [[None], {"frame": {"duration": 0}, "mode": "immediate"}]
    figure.update_layout(
        title=None,
        height=640,
        margin={"l": 10, "r": 10, "t": 50, "b": 100},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "showactive": False,
                "x": 0.0,
                "xanchor": "left",
                "y": 1.0,
                "yanchor": "bottom",
                "pad": {"b": 8},
                "buttons": [
                    {"label": labels.play, "method": "animate", "args": [None, FRAME]},
                    {"label": labels.pause, "method": "animate", "args": pause},
                ],
            }
        ],
        sliders=[
            {
                "x": 0.0,
                "len": 1.0,
                "xanchor": "left",
                "y": 0.0,
                "yanchor": "top",
                "pad": {"t": 40, "b": 10},
                "currentvalue": {"prefix": labels.stage_prefix, "xanchor": "right"},
                "steps": [
                    {"label": labels.stage(s), "method": "animate", "args": [[s], FRAME]}
                    for s in view.stages
                ],
            }
        ],
    )
    return figure


def add_type_arrows(figure: go.Figure, view: MappingView, a: str, b: str, types: list[str]):
    """An arrow from each type's 2-D centroid at stage a to the one at stage b."""
    colours = colour_map(view.types, "gold type")
    start, end = view.points[a]["centroids"], view.points[b]["centroids"]
    for name in types:
        if name in start and name in end:
            arrow(figure, start[name], end[name], colours.get(name, "#333"), name)


def matching_tokens(view: MappingView, query: str) -> list[int]:
    wanted = query.strip().casefold()
    if not wanted:
        return []
    return [i for i, tok in enumerate(view.tokens()) if tok.casefold() == wanted]


def add_token_arrows(figure: go.Figure, view: MappingView, a: str, b: str, idx: list[int]):
    """An arrow per matching token (at most MAX_TOKEN_ARROWS) from stage a to stage b."""
    pa, pb = view.points[a], view.points[b]
    for i in idx[:MAX_TOKEN_ARROWS]:
        arrow(figure, (pa["x"][i], pa["y"][i]), (pb["x"][i], pb["y"][i]), "#111", None)


def arrow(figure: go.Figure, start, end, colour: str, label: str | None) -> None:
    figure.add_annotation(
        x=end[0], y=end[1], ax=start[0], ay=start[1],
        xref="x", yref="y", axref="x", ayref="y",
        showarrow=True, arrowhead=3, arrowsize=1.4, arrowwidth=2, arrowcolor=colour,
        text=label or "", font={"color": colour},
    )  # fmt: skip
