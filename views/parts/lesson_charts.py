"""The charts a lesson step shows for its runs (engine.lessons.presets chart ids), read from
storage.

Not a page (app.py does not register it). `draw(chart, group)` draws one chart for the runs of
one press of Run; the figures are engine.figures' (the same as the pages' and the report's),
given this session's texts, so tests call them alone. The token maps reuse the Embeddings
page's figures (views.parts.embedding_figures).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from engine import api
from engine.figures import bars, curves, forgetting, methods
from engine.figures import matrix as figures_matrix
from storage import continual as continual_store
from storage import queries
from views.parts import calls, fmt
from views.parts.embedding_figures import load_view, scatter_figure
from views.parts.i18n import t
from views.parts.lesson_runs import LessonGroup

RACE_METRICS = ("acc", "bwt", "forgetting")
RACE_COLUMNS = 3  # small matrices per row


def method_label(run: queries.RunRow) -> str:
    return f"#{run.id} {run.method}"


# ---- figures (engine.figures, with this lesson's texts) -----------------------------------


def curve_figure(
    series: dict[str, list[tuple[int, float, float]]], title: str, score: bool = False
) -> go.Figure:
    """One line per named series of (step, value, wall time) points; `score`: y on [0, 1]."""
    lines = {
        name: ([p[0] for p in points], [p[1] for p in points])
        for name, points in series.items()
        if points
    }
    return curves.overlay(lines, title=title, x_title=t("common.step"), score=score, height=300)


def per_type_figure(per_runs: dict[str, dict[str, dict[str, Any]]], title: str) -> go.Figure:
    """F1 per entity type, one bar group per run ({run label: {type: scores}})."""
    kinds = sorted({kind for per_type in per_runs.values() for kind in per_type})
    series = {
        label: [(per_type.get(k) or {}).get("f1") for k in kinds]
        for label, per_type in per_runs.items()
    }
    return bars.grouped_bars(kinds, series, title=title, score=True, height=320)


def matrix_figure(
    matrix: continual_store.ScoreMatrix,
    tasks: list[str],
    short: bool = False,
    title: str | None = None,
) -> go.Figure:
    """The R matrix: rows before any task and after each task, columns each task's test data
    (`short`: rows "b", "1", ... and no colour bar, for the small matrices of a race)."""
    if short:
        stages = ["b", *(str(i + 1) for i in range(len(matrix.values)))]
    else:
        after = [t("lessons.chart.after", n=i + 1) for i in range(len(matrix.values))]
        stages = [t("lessons.chart.before"), *after]
    return figures_matrix.r_matrix(
        matrix.baseline,
        matrix.values,
        tasks,
        stages,
        title=title or (None if short else t("lessons.chart.matrix")),
        small=short,
    )


def forgetting_figure(matrix: continual_store.ScoreMatrix, tasks: list[str]) -> go.Figure:
    """Each task's F1 after every task so far (only once it was taught): the line that falls
    is forgetting."""
    done = [i for i, row in enumerate(matrix.values) if any(v is not None for v in row)]
    rows = [[v if i >= j else None for j, v in enumerate(matrix.values[i])] for i in done]
    stages = [t("lessons.chart.after", n=i + 1) for i in done]
    return forgetting.forgetting_curves(
        rows, tasks, stages, title=t("lessons.chart.curves"), height=340
    )


def race_figure(runs: list[queries.RunRow]) -> go.Figure:
    """ACC, BWT and forgetting of each method, side by side."""
    names = {"acc": "ACC", "bwt": "BWT", "forgetting": t("lessons.chart.forgetting")}
    values = {}
    for run in runs:
        stats = run.summary.continual
        values[method_label(run)] = [stats.get(k) if stats else None for k in RACE_METRICS]
    metrics = [names[k] for k in RACE_METRICS]
    return methods.race_summary(metrics, values, title=t("lessons.chart.race"), height=360)


def meta_figure(runs: list[queries.RunRow]) -> go.Figure:
    """Mean F1 over the test episodes with its 95% confidence interval, per method."""
    metas = [run.summary.meta for run in runs]
    return methods.ci_bars(
        [method_label(r) for r in runs],
        [m.f1_mean if m else None for m in metas],
        [m.f1_ci95 if m else None for m in metas],
        title=t("lessons.chart.meta"),
        y_title="F1",
        height=360,
    )


# ---- reading and drawing ------------------------------------------------------------------


def final_per_type(run_id: int) -> dict[str, dict[str, Any]]:
    tests = calls.read(queries.evaluations, run_id, split="test")
    return tests[-1].per_type if tests else {}


def task_names(run: queries.RunRow, count: int) -> list[str]:
    tasks = run.summary.continual.tasks if run.summary.continual else []
    names = [", ".join(x.types) for x in tasks]
    return [names[j] if j < len(names) and names[j] else f"task {j + 1}" for j in range(count)]


def curve_title(key: str) -> str:
    return t("lessons.chart.perplexity") if key == "heldout_perplexity" else fmt.curve_title(key)


def draw_embeddings(run: queries.RunRow) -> None:
    view = calls.read(load_view, run.id)
    if view is None:
        st.caption(t("lessons.chart.no_map"))
        return
    shown = [view.stages[0], view.stages[-1]] if len(view.stages) > 1 else view.stages
    for col, stage in zip(st.columns(len(shown)), shown, strict=True):
        figure = scatter_figure(view, stage, "gold type", show_o=True)
        figure.update_layout(height=420, title=t("lessons.chart.stage", stage=stage))
        col.plotly_chart(figure, key=f"lesson_map_{run.id}_{stage}")
    silhouette = view.stats.get("silhouette") or {}
    if silhouette:
        values = [f"{s}: {silhouette.get(s):.2f}" for s in shown if silhouette.get(s) is not None]
        st.caption(t("lessons.chart.silhouette", values=" → ".join(values)))


def draw_curves(run: queries.RunRow, keys: tuple[str, ...]) -> None:
    series = {k: calls.read(queries.metric_series, run.id, k) for k in keys}
    if not any(series.values()):
        st.caption(t("lessons.chart.no_points"))
        return
    cols = st.columns(len(series))
    for col, (key, points) in zip(cols, series.items(), strict=True):
        title = curve_title(key)
        figure = curve_figure({title: points}, title, score=key == "dev_f1")
        col.plotly_chart(figure, key=f"lesson_curve_{run.id}_{title}")


def draw_matrix(run: queries.RunRow) -> None:
    matrix = calls.read(continual_store.score_matrix, run.id, "f1")
    if matrix is None:
        st.caption(t("lessons.chart.no_matrix"))
        return
    tasks = task_names(run, matrix.tasks)
    left, right = st.columns(2)
    left.plotly_chart(matrix_figure(matrix, tasks), key=f"lesson_matrix_{run.id}")
    right.plotly_chart(forgetting_figure(matrix, tasks), key=f"lesson_forget_{run.id}")


def draw(chart: str, group: LessonGroup) -> None:
    """One chart of engine.lessons.presets for the runs of `group`."""
    runs = list(group.runs)
    lessons = api.lessons
    if chart == lessons.EMBEDDINGS:
        draw_embeddings(runs[0])
    elif chart == lessons.PER_TYPE:
        per_type = final_per_type(runs[0].id)
        if per_type:
            figure = per_type_figure({method_label(runs[0]): per_type}, t("lessons.chart.per_type"))
            st.plotly_chart(figure, key=f"lesson_per_type_{runs[0].id}")
    elif chart == lessons.CURVES:
        draw_curves(runs[0], ("train_loss", "dev_f1"))
    elif chart == lessons.MLM:
        draw_curves(runs[0], ("train_loss", "heldout_perplexity"))
    elif chart == lessons.MATRIX:
        draw_matrix(runs[0])
    elif chart == lessons.RACE:
        st.plotly_chart(race_figure(runs), key=f"lesson_race_{group.newest_id}")
        st.caption(t("lessons.chart.race_axes"))
        for start in range(0, len(runs), RACE_COLUMNS):
            cols = st.columns(RACE_COLUMNS)
            for col, run in zip(cols, runs[start : start + RACE_COLUMNS], strict=False):
                matrix = calls.read(continual_store.score_matrix, run.id, "f1")
                if matrix is not None:
                    tasks = [f"t{j + 1}" for j in range(matrix.tasks)]
                    small = matrix_figure(matrix, tasks, short=True, title=run.method)
                    col.plotly_chart(small, key=f"lesson_race_matrix_{run.id}")
    elif chart == lessons.META:
        st.plotly_chart(meta_figure(runs), key=f"lesson_meta_{group.newest_id}")
    elif chart == lessons.COMPARE:
        per_runs = {f"#{r.id} {r.name}": final_per_type(r.id) for r in runs}
        figure = per_type_figure(per_runs, t("lessons.chart.compare"))
        st.plotly_chart(figure, key=f"lesson_compare_{group.newest_id}")
        for col, run in zip(st.columns(len(runs)), runs, strict=True):
            shown = fmt.format_score(run.summary.test_f1)
            col.metric(run.name, shown, help=t("lessons.chart.test_f1"))
