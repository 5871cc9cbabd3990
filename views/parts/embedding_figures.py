"""The Embeddings page's figures in the user's language, over engine.figures.embeddings.

Not a page (app.py does not register it). `load_view` reads what engine.probe.report stored for
one run into a `MappingView`; the figure functions bind this session's translated texts to the
shared, torch-free figures (the lessons' token maps use the same ones).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go

from engine.figures import embedding_stats
from engine.figures import embeddings as maps
from engine.figures.embeddings import MappingView
from storage import continual as continual_store
from views.parts.i18n import t
from views.parts.stages import stage_label


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


def stage_names(stages: list[str]) -> dict[str, str]:
    """Stored stage -> the name every page shows (views.parts.stages)."""
    return {stage: stage_label(stage) for stage in stages}


def labels(stages: list[str] = ()) -> maps.MapLabels:
    """The token map's texts now, in this session's language (placeholders left to fill)."""
    return maps.MapLabels(
        stage_names=stage_names(list(stages)),
        hover_gold=t("embeddings.hover_gold", gold="{gold}"),
        hover_predicted=t("embeddings.hover_predicted", pred="{pred}"),
        correct=t("embeddings.correct"),
        wrong=t("embeddings.wrong"),
        stage_title=t("embeddings.stage_title", stage="{stage}"),
        stage_prefix=t("embeddings.stage_prefix"),
        play=t("embeddings.play"),
        pause=t("embeddings.pause"),
    )


def scatter_figure(view: MappingView, stage: str, colour_by: str, show_o: bool) -> go.Figure:
    return maps.scatter_figure(view, stage, colour_by, show_o, labels(view.stages))


def animated_figure(view: MappingView, colour_by: str, show_o: bool) -> go.Figure:
    return maps.animated_figure(view, colour_by, show_o, labels(view.stages))


def silhouette_figure(stats: dict[str, Any]) -> go.Figure:
    names = {key: t(f"embeddings.series_{key}") for key in embedding_stats.SILHOUETTE_SERIES}
    return embedding_stats.silhouette_figure(
        stats,
        names=names,
        title=t("embeddings.silhouette_title"),
        stage_names=stage_names(stats.get("stages", [])),
    )


def cka_figure(stats: dict[str, Any]) -> go.Figure:
    hover = t("embeddings.cka_hover", row="%{y}", col="%{x}", value="%{z:.3f}")
    return _stage_heatmap(embedding_stats.cka_figure, stats, t("embeddings.cka_title"), hover)


def shift_figure(stats: dict[str, Any]) -> go.Figure:
    hover = t("embeddings.shift_hover", type="%{x}", stage="%{y}", value="%{z:.3f}")
    return _stage_heatmap(embedding_stats.shift_figure, stats, t("embeddings.shift_title"), hover)


def _stage_heatmap(
    draw: Callable[..., go.Figure], stats: dict[str, Any], title: str, hover: str
) -> go.Figure:
    """A heatmap over the stats' stages (CKA, type shift), its stages named as pages name them."""
    return draw(stats, title=title, hover=hover, stage_names=stage_names(stats.get("stages", [])))
