"""A static HTML report of one run or a strategy race: a summary table and the Plotly charts.

plotly.js is embedded inline once, so the file opens from a USB stick on a laptop with no
network and no server. The charts come from `RunData` (engine.runs.run_data), the same whether the
runs are read from this lab's database or from an imported bundle, and are drawn by
engine.figures, as the dashboard draws them (English labels here).

    html = render_report([collect_run(3), collect_run(4)])
    charts = report_figures(runs)      # [(slug, title, figure)] for PNG export
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go

from engine.figures import bars, curves, matrix, methods
from engine.runs.run_data import RunData

Chart = tuple[str, str, go.Figure]  # slug (a file name), title, figure
SUMMARY_KEYS = ("acc", "bwt", "fwt", "forgetting")
LOSS_SMOOTHING = 0.6  # the run page's default


def _layout(fig: go.Figure, title: str, height: int | None = None) -> go.Figure:
    """The report's frame around a shared figure (engine.figures): title, room for axes."""
    fig.update_layout(
        title=title,
        height=height or fig.layout.height or 340,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
        template="plotly_white",
    )
    return fig


def task_label(j: int) -> str:
    return f"task {j + 1}"  # 1-based, as the Forgetting page counts


def stage_labels(tasks: int) -> list[str]:
    return ["before training", *(f"after task {i + 1}" for i in range(tasks))]


def curve_chart(run: RunData, key: str, title: str) -> go.Figure | None:
    points = [(step, value, task) for step, k, value, task, _ in run.metrics if k == key]
    if not points:
        return None
    tasks = sorted({t for _, _, t in points}, key=lambda t: -1 if t is None else t)
    score = key == "dev_f1"
    if tasks == [None]:  # one series: the loss raw and smoothed, as on the run's page
        steps, values = [s for s, _, _ in points], [v for _, v, _ in points]
        smoothing = 0.0 if score else LOSS_SMOOTHING
        fig = curves.metric_curve(
            steps, values, title=title, x_title="step", name=key, smoothing=smoothing, score=score
        )
    else:
        series = {
            key if task is None else task_label(task): (
                [s for s, _, t in points if t == task],
                [v for _, v, t in points if t == task],
            )
            for task in tasks
        }
        fig = curves.overlay(series, title=title, x_title="step", score=score)
    return _layout(fig, title)


def per_type_chart(run: RunData) -> go.Figure | None:
    tests = [e for e in run.evaluations if e.split == "test" and e.per_type]
    finals = [e for e in tests if e.stage in ("final", "best")]
    final = (finals or tests or [None])[-1]  # the run's own final scores, else its last ones
    if final is None:
        return None
    title = f"Per entity type, test set ({final.stage})"
    return _layout(bars.per_type_bars(final.per_type, title=title), title)


def matrix_chart(run: RunData) -> go.Figure | None:
    found = run.matrix("f1")
    if found is None:
        return None
    baseline, rows = found
    title = "Accuracy matrix R[i][j]: F1 on task j after task i"
    fig = matrix.r_matrix(
        baseline,
        rows,
        [task_label(j) for j in range(len(baseline))],
        stage_labels(len(rows)),
        title=title,
        x_title="scored on",
    )
    return _layout(fig, title)


def run_charts(run: RunData) -> list[Chart]:
    found = [
        (f"run{run.id}-loss", curve_chart(run, "train_loss", f"Run {run.id}: training loss")),
        (f"run{run.id}-dev-f1", curve_chart(run, "dev_f1", f"Run {run.id}: dev F1")),
        (f"run{run.id}-per-type", per_type_chart(run)),
        (f"run{run.id}-matrix", matrix_chart(run)),
    ]
    return _named(found)


def _named(found: list[tuple[str, go.Figure | None]]) -> list[Chart]:
    return [(slug, fig.layout.title.text, fig) for slug, fig in found if fig is not None]


def race_charts(runs: list[RunData]) -> list[Chart]:
    """Side-by-side summary and first-task forgetting curves of the continual runs."""
    racers = [r for r in runs if r.summary.continual]
    if len(racers) < 2:
        return []
    names = [f"#{r.id} {r.method}" for r in racers]
    values = {
        name: [
            r.summary.continual.get(key) if r.summary.continual else None for key in SUMMARY_KEYS
        ]
        for name, r in zip(names, racers, strict=True)
    }
    summary = methods.race_summary([k.upper() for k in SUMMARY_KEYS], values)
    first: dict[str, tuple[list[str], list[float | None]]] = {}
    for name, run in zip(names, racers, strict=True):
        found = run.matrix("f1")
        if found is not None:
            baseline, rows = found
            first[name] = (stage_labels(len(rows)), [baseline[0]] + [row[0] for row in rows])
    first_task = curves.overlay(first, x_title="stage", y_title="F1 on task 1", score=True)
    return _named(
        [
            ("race-summary", _layout(summary, "Strategy race: ACC, BWT, FWT, forgetting")),
            ("race-first-task", _layout(first_task, "F1 on the first task after each task")),
        ]
    )


def report_figures(runs: list[RunData]) -> list[Chart]:
    charts = race_charts(runs)
    for run in runs:
        charts += run_charts(run)
    return charts


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else html.escape(str(value))


def summary_table(runs: list[RunData]) -> str:
    head = ["run", "name", "strategy", "status", "backbone", "data", "dev F1", "test F1"]
    head += [k.upper() for k in SUMMARY_KEYS]
    rows = []
    for r in runs:
        continual = r.summary.continual
        cells = [
            r.id, r.name, f"{r.kind}/{r.method}", r.status, r.config.get("backbone"),
            (r.config.get("data") or {}).get("train"), r.summary.dev_f1, r.summary.test_f1,
            *[continual.get(k) if continual else None for k in SUMMARY_KEYS],
        ]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 12px 0 24px; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; }
th { background: #f4f4f4; }
.chart { margin: 8px 0 24px; }
.note { color: #666; font-size: 13px; }
"""


def render_report(runs: list[RunData], title: str | None = None) -> str:
    """One self-contained HTML page (plotly.js inline) with the runs' table and charts."""
    if not runs:
        raise ValueError("a report needs at least one run")
    title = title or (
        f"Run {runs[0].id}: {runs[0].name}" if len(runs) == 1 else f"{len(runs)} runs"
    )
    parts = []
    for i, (_, _, fig) in enumerate(report_figures(runs)):
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=i == 0,  # the whole library once, inline: no network needed
            div_id=f"chart-{i}",
            config={"displaylogo": False, "responsive": True},
        )
        parts.append(f'<div class="chart">{div}</div>')
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="note">Lifelong NER Lab report, made {made}. It needs no server and no '
        "network: the charts are interactive (hover, zoom) and plotly.js is inside the file.</p>"
        f"{summary_table(runs)}{''.join(parts)}</body></html>"
    )
