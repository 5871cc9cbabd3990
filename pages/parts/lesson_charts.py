"""The charts a lesson step shows for its runs (engine.lessons.presets chart ids), read from
storage.

Not a page (app.py does not register it). `draw(chart, group)` draws one chart for the runs of
one press of Run; the figures are pure functions of stored values, so tests call them alone.
The token maps reuse the Embeddings page's figures (pages.parts.embedding_figures).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from engine import api
from pages.parts import calls, fmt
from pages.parts.embedding_figures import load_view, scatter_figure
from pages.parts.i18n import t
from pages.parts.lesson_runs import LessonGroup
from storage import continual as continual_store
from storage import queries

MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
RACE_METRICS = ("acc", "bwt", "forgetting")
RACE_COLUMNS = 3  # small matrices per row


def method_label(run: queries.RunRow) -> str:
    return f"#{run.id} {run.method}"


# ---- figures -------------------------------------------------------------------------------


def curve_figure(series: dict[str, list[tuple[int, float, float]]], title: str) -> go.Figure:
    """One line per named series of (step, value, wall time) points."""
    figure = go.Figure()
    for name, points in series.items():
        if points:
            steps, values, _ = zip(*points, strict=True)
            figure.add_scatter(x=list(steps), y=list(values), mode="lines+markers", name=name)
    figure.update_layout(title=title, height=300, margin=MARGIN, xaxis_title=t("common.step"))
    return figure


def per_type_figure(per_runs: dict[str, dict[str, dict[str, Any]]], title: str) -> go.Figure:
    """F1 per entity type, one bar group per run ({run label: {type: scores}})."""
    figure = go.Figure()
    for label, per_type in per_runs.items():
        kinds = sorted(per_type)
        figure.add_bar(x=kinds, y=[per_type[k].get("f1") for k in kinds], name=label)
    figure.update_layout(
        title=title, barmode="group", height=320, yaxis_range=[0, 1], margin=MARGIN
    )
    return figure


def matrix_figure(
    matrix: continual_store.ScoreMatrix, tasks: list[str], short: bool = False
) -> go.Figure:
    """The R matrix: rows before any task and after each task, columns each task's test data
    (`short`: rows "b", "1", ... for the small matrices of a race)."""
    rows = [list(matrix.baseline), *(list(r) for r in matrix.values)]
    if short:
        stages = ["b", *(str(i + 1) for i in range(len(rows) - 1))]
    else:
        after = [t("lessons.chart.after", n=i + 1) for i in range(len(rows) - 1)]
        stages = [t("lessons.chart.before"), *after]
    text = [["" if v is None else f"{v:.2f}" for v in row] for row in rows]
    figure = go.Figure(
        go.Heatmap(
            z=rows, x=tasks, y=stages, zmin=0.0, zmax=1.0, colorscale="Viridis", text=text,
            texttemplate="%{text}", hovertemplate="%{y}, %{x}: %{z:.3f}<extra></extra>",
        )
    )  # fmt: skip
    figure.update_layout(
        title=t("lessons.chart.matrix"),
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"type": "category"},
        height=160 + 45 * len(stages),
        margin=MARGIN,
    )
    return figure


def forgetting_figure(matrix: continual_store.ScoreMatrix, tasks: list[str]) -> go.Figure:
    """Each task's F1 after every task so far: the line that falls is forgetting."""
    figure = go.Figure()
    done = [i for i, row in enumerate(matrix.values) if any(v is not None for v in row)]
    x = [t("lessons.chart.after", n=i + 1) for i in done]
    for j, name in enumerate(tasks):
        y = [matrix.values[i][j] if i >= j else None for i in done]
        figure.add_scatter(x=x, y=y, mode="lines+markers", name=name)
    figure.update_layout(
        title=t("lessons.chart.curves"), height=340, yaxis_range=[0, 1], margin=MARGIN
    )
    return figure


def race_figure(runs: list[queries.RunRow]) -> go.Figure:
    """ACC, BWT and forgetting of each method, side by side."""
    names = {"acc": "ACC", "bwt": "BWT", "forgetting": t("lessons.chart.forgetting")}
    figure = go.Figure()
    for run in runs:
        stats = run.summary.get("continual") or {}
        figure.add_bar(
            x=[names[k] for k in RACE_METRICS],
            y=[stats.get(k) for k in RACE_METRICS],
            name=method_label(run),
        )
    figure.update_layout(title=t("lessons.chart.race"), barmode="group", height=360, margin=MARGIN)
    return figure


def meta_figure(runs: list[queries.RunRow]) -> go.Figure:
    """Mean F1 over the test episodes with its 95% confidence interval, per method."""
    metas = [run.summary.get("meta") or {} for run in runs]
    figure = go.Figure(
        go.Bar(
            x=[method_label(r) for r in runs],
            y=[m.get("f1_mean") for m in metas],
            error_y={"type": "data", "array": [m.get("f1_ci95") or 0 for m in metas]},
            marker_color=["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"][: len(runs)],
        )
    )
    figure.update_layout(title=t("lessons.chart.meta"), height=360, yaxis_title="F1", margin=MARGIN)
    return figure


# ---- reading and drawing ------------------------------------------------------------------


def final_per_type(run_id: int) -> dict[str, dict[str, Any]]:
    tests = calls.read(queries.evaluations, run_id, split="test")
    return tests[-1].per_type if tests else {}


def task_names(run: queries.RunRow, count: int) -> list[str]:
    tasks = (run.summary.get("continual") or {}).get("tasks") or []
    names = [", ".join(x.get("types", [])) for x in tasks if isinstance(x, dict)]
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
    series = {curve_title(k): calls.read(queries.metric_series, run.id, k) for k in keys}
    if not any(series.values()):
        st.caption(t("lessons.chart.no_points"))
        return
    cols = st.columns(len(series))
    for col, (title, points) in zip(cols, series.items(), strict=True):
        col.plotly_chart(curve_figure({title: points}, title), key=f"lesson_curve_{run.id}_{title}")


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
                    small = matrix_figure(matrix, tasks, short=True)
                    small.update_layout(title=run.method, height=260, showlegend=False)
                    small.update_traces(showscale=False)
                    col.plotly_chart(small, key=f"lesson_race_matrix_{run.id}")
    elif chart == lessons.META:
        st.plotly_chart(meta_figure(runs), key=f"lesson_meta_{group.newest_id}")
    elif chart == lessons.COMPARE:
        per_runs = {f"#{r.id} {r.name}": final_per_type(r.id) for r in runs}
        figure = per_type_figure(per_runs, t("lessons.chart.compare"))
        st.plotly_chart(figure, key=f"lesson_compare_{group.newest_id}")
        for col, run in zip(st.columns(len(runs)), runs, strict=True):
            shown = fmt.format_score(run.summary.get("test_f1"))
            col.metric(run.name, shown, help=t("lessons.chart.test_f1"))
