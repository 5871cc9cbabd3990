"""Figures of the Embeddings page, as pure functions of the stored mapping records.

Not a page (app.py does not register it). `MappingView` is what engine.probe.report stored for
one run: the probe (sentences, each token's sentence/word/gold type), one payload of points per
stage (x, y, predicted types, 2-D type centroids) and the statistics. Everything here returns
Plotly figures or plain lists, so it is tested without Streamlit.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative

from pages.parts.i18n import t
from storage import continual as continual_store

COLOUR_BY = ("gold type", "correctness", "predicted type")
O_COLOUR = "#c8c8c8"
CORRECTNESS_COLOURS = {"correct": "#2ca02c", "wrong": "#d62728"}
CONTEXT_WORDS = 8  # words shown either side of a token in its hover text
MAX_TOKEN_ARROWS = 40


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


def load_view(session: Any, run_id: int) -> MappingView | None:
    """The run's mapping records as one MappingView, or None when it stored none."""
    found = continual_store.records(session, run_id)
    probe = next((r.payload for r in found if r.kind == "embedding_probe"), None)
    stats = next((r.payload for r in found if r.kind == "mapping_stats"), None)
    points = {r.stage: r.payload for r in found if r.kind == "embedding_points" and r.stage}
    if probe is None or not points:
        return None
    stages = sorted(points, key=lambda s: points[s].get("order", 0))
    return MappingView(probe, stages, points, stats or {"stages": stages})


def hover_texts(probe: dict[str, Any]) -> list[str]:
    """Each token in its sentence (a window of words around it), the token in bold."""
    out = []
    for s, w, gold in zip(probe["sentence"], probe["word"], probe["gold"], strict=True):
        words = [html.escape(x) for x in probe["sentences"][s]]
        lo, hi = max(0, w - CONTEXT_WORDS), min(len(words), w + CONTEXT_WORDS + 1)
        words[w] = f"<b>{words[w]}</b>"
        text = ("… " if lo else "") + " ".join(words[lo:hi]) + (" …" if hi < len(words) else "")
        out.append(text + "<br>" + t("embeddings.hover_gold", gold=gold))
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


def colour_map(types: list[str], colour_by: str) -> dict[str, str]:
    if colour_by == "correctness":
        return dict(CORRECTNESS_COLOURS)
    palette = qualitative.Plotly + qualitative.D3
    entity = [x for x in types if x != "O"]
    colours = {x: palette[i % len(palette)] for i, x in enumerate(entity)}
    colours["O"] = O_COLOUR
    return colours


def visible(view: MappingView, show_o: bool) -> list[int]:
    return [i for i, g in enumerate(view.probe["gold"]) if show_o or g != "O"]


def stage_traces(
    view: MappingView, stage: str, colour_by: str, keep: list[int], hover: list[str]
) -> list[go.Scatter]:
    """One trace per colour group (every group, even empty, so animation frames line up)."""
    cats = categories(view, stage, colour_by)
    colours = colour_map(view.types, colour_by)
    pred = view.points[stage].get("pred")
    xs, ys = view.points[stage]["x"], view.points[stage]["y"]
    traces = []
    for name, colour in colours.items():
        idx = [i for i in keep if cats[i] == name]
        text = [hover[i] + predicted_text(pred, i) for i in idx]
        traces.append(
            go.Scatter(
                x=[xs[i] for i in idx],
                y=[ys[i] for i in idx],
                ids=[str(i) for i in idx],
                mode="markers",
                name=t(f"embeddings.{name}") if colour_by == "correctness" else name,
                text=text,
                hovertemplate="%{text}<extra>%{fullData.name}</extra>",
                marker={"color": colour, "size": 6, "opacity": 0.45 if name == "O" else 0.85},
            )
        )
    return traces


def predicted_text(pred: list[str] | None, i: int) -> str:
    return "<br>" + t("embeddings.hover_predicted", pred=pred[i]) if pred else ""


def axis_ranges(view: MappingView) -> tuple[list[float], list[float]]:
    """One frame for every stage, so movement is not hidden by rescaled axes."""
    xs = [v for s in view.stages for v in view.points[s]["x"]] or [0.0]
    ys = [v for s in view.stages for v in view.points[s]["y"]] or [0.0]
    pad = 5.0
    return [min(xs) - pad, max(xs) + pad], [min(ys) - pad, max(ys) + pad]


def scatter_figure(view: MappingView, stage: str, colour_by: str, show_o: bool) -> go.Figure:
    keep, hover = visible(view, show_o), hover_texts(view.probe)
    figure = go.Figure(stage_traces(view, stage, colour_by, keep, hover))
    x_range, y_range = axis_ranges(view)
    figure.update_layout(
        height=560,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"range": x_range, "zeroline": False, "title": None},
        yaxis={"range": y_range, "zeroline": False, "title": None},
        legend={"itemsizing": "constant"},
        title=t("embeddings.stage_title", stage=stage),
    )
    return figure


def animated_figure(view: MappingView, colour_by: str, show_o: bool) -> go.Figure:
    """All stages as Plotly animation frames, with a play button and a stage slider."""
    keep, hover = visible(view, show_o), hover_texts(view.probe)
    first = view.stages[0]
    figure = scatter_figure(view, first, colour_by, show_o)
    figure.frames = [
        go.Frame(data=stage_traces(view, s, colour_by, keep, hover), name=s) for s in view.stages
    ]
    step = {"frame": {"duration": 900, "redraw": True}, "transition": {"duration": 600}}
    figure.update_layout(
        title=None,
        updatemenus=[
            {
                "type": "buttons",
                "showactive": False,
                "x": 0.0,
                "y": -0.05,
                "xanchor": "left",
                "buttons": [
                    {"label": t("embeddings.play"), "method": "animate", "args": [None, step]},
                    {
                        "label": t("embeddings.pause"),
                        "method": "animate",
                        "args": [[None], {"frame": {"duration": 0}, "mode": "immediate"}],
                    },
                ],
            }
        ],
        sliders=[
            {
                "x": 0.15,
                "len": 0.85,
                "y": -0.02,
                "currentvalue": {"prefix": t("embeddings.stage_prefix")},
                "steps": [
                    {"label": s, "method": "animate", "args": [[s], step]} for s in view.stages
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


def silhouette_figure(stats: dict[str, Any]) -> go.Figure:
    stages = stats["stages"]
    figure = go.Figure()
    series = (
        ("silhouette", "series_silhouette"),
        ("silhouette_entities", "series_silhouette_entities"),
        ("type_accuracy", "series_type_accuracy"),
    )
    for key, label in series:
        values = [(stats.get(key) or {}).get(s) for s in stages]
        if any(v is not None for v in values):
            figure.add_scatter(
                x=stages, y=values, mode="lines+markers", name=t(f"embeddings.{label}")
            )
    return compact(figure, t("embeddings.silhouette_title"), 260, legend={"orientation": "h"})


def cka_figure(stats: dict[str, Any]) -> go.Figure:
    stages = stats["stages"]
    figure = go.Figure(
        go.Heatmap(
            z=stats["cka"], x=stages, y=stages, zmin=0, zmax=1, colorscale="Viridis",
            text=stats["cka"], texttemplate="%{text:.2f}",
            hovertemplate=t("embeddings.cka_hover", row="%{y}", col="%{x}", value="%{z:.3f}")
            + "<extra></extra>",
        )
    )  # fmt: skip
    return compact(figure, t("embeddings.cka_title"), 260, yaxis_autorange="reversed")


def shift_figure(stats: dict[str, Any], key: str = "centroid_shift_from_first") -> go.Figure:
    """Cosine distance each type's centroid moved, stage x type."""
    shifts = stats.get(key) or {}
    stages = [s for s in stats["stages"] if s in shifts]
    types = sorted({x for s in stages for x in shifts[s]}, key=lambda x: (x == "O", x))
    z = [[shifts[s].get(x) for x in types] for s in stages]
    figure = go.Figure(
        go.Heatmap(
            z=z, x=types, y=stages, colorscale="Reds", zmin=0,
            hovertemplate=t("embeddings.shift_hover", type="%{x}", stage="%{y}", value="%{z:.3f}")
            + "<extra></extra>",
        )
    )  # fmt: skip
    title = t("embeddings.shift_title")
    return compact(figure, title, 120 + 30 * len(stages), yaxis_autorange="reversed")


def compact(figure: go.Figure, title: str, height: int, **layout: Any) -> go.Figure:
    margin = {"l": 10, "r": 10, "t": 30, "b": 10}
    figure.update_layout(title=title, height=height, margin=margin, **layout)
    return figure
