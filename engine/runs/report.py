"""A static HTML report of one run or a strategy race: a summary table and the Plotly charts.

plotly.js is embedded inline once, so the file opens from a USB stick on a laptop with no
network and no server. The charts come from `RunData` (engine.runs.run_data), the same whether the
runs are read from this lab's database or from an imported bundle.

    html = render_report([collect_run(3), collect_run(4)])
    charts = report_figures(runs)      # [(slug, title, figure)] for PNG export
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go

from engine.runs.run_data import RunData

Chart = tuple[str, str, go.Figure]  # slug (a file name), title, figure
SUMMARY_KEYS = ("acc", "bwt", "fwt", "forgetting")


def _layout(fig: go.Figure, title: str, height: int = 340) -> go.Figure:
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
        template="plotly_white",
    )
    return fig


def curve_chart(run: RunData, key: str, title: str) -> go.Figure | None:
    points = [(step, value, task) for step, k, value, task, _ in run.metrics if k == key]
    if not points:
        return None
    fig = go.Figure()
    for task in sorted({t for _, _, t in points}, key=lambda t: -1 if t is None else t):
        mine = [(s, v) for s, v, t in points if t == task]
        name = key if task is None else f"task {task}"
        mode = "lines" if len(mine) > 30 else "lines+markers"  # a lone point must show
        fig.add_scatter(x=[s for s, _ in mine], y=[v for _, v in mine], mode=mode, name=name)
    fig.update_xaxes(title="step")
    return _layout(fig, title)


def per_type_chart(run: RunData) -> go.Figure | None:
    tests = [e for e in run.evaluations if e.split == "test" and e.per_type]
    finals = [e for e in tests if e.stage in ("final", "best")]
    final = (finals or tests or [None])[-1]  # the run's own final scores, else its last ones
    if final is None:
        return None
    types = sorted(final.per_type)
    fig = go.Figure()
    for metric in ("precision", "recall", "f1"):
        fig.add_bar(x=types, y=[final.per_type[t][metric] for t in types], name=metric)
    fig.update_layout(barmode="group", yaxis_range=[0, 1])
    return _layout(fig, f"Per entity type, test set ({final.stage})")


def matrix_chart(run: RunData) -> go.Figure | None:
    found = run.matrix("f1")
    if found is None:
        return None
    baseline, rows = found
    z = [baseline, *rows]
    x = [f"task {j}" for j in range(len(baseline))]
    y = ["before training"] + [f"after task {i}" for i in range(len(rows))]
    text = [["" if v is None else f"{v:.2f}" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=x, y=y, text=text, texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Accuracy matrix R[i][j]: F1 on task j after task i", 120 + 45 * len(y))


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
    racers = [r for r in runs if isinstance(r.summary.get("continual"), dict)]
    if len(racers) < 2:
        return []
    names = [f"#{r.id} {r.method}" for r in racers]
    bars = go.Figure()
    for key in SUMMARY_KEYS:
        bars.add_bar(x=names, y=[r.summary["continual"].get(key) for r in racers], name=key.upper())
    bars.update_layout(barmode="group")
    curves = go.Figure()
    for name, run in zip(names, racers, strict=True):
        found = run.matrix("f1")
        if found is None:
            continue
        baseline, rows = found
        y = [baseline[0]] + [row[0] for row in rows]
        curves.add_scatter(x=list(range(-1, len(rows))), y=y, mode="lines+markers", name=name)
    curves.update_xaxes(title="after task (-1: before training)", dtick=1)
    curves.update_yaxes(range=[0, 1])
    return _named(
        [
            ("race-summary", _layout(bars, "Strategy race: ACC, BWT, FWT, forgetting")),
            ("race-first-task", _layout(curves, "F1 on the first task after each task")),
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
        continual = (
            r.summary.get("continual") if isinstance(r.summary.get("continual"), dict) else {}
        )
        cells = [
            r.id, r.name, f"{r.kind}/{r.method}", r.status, r.config.get("backbone"),
            (r.config.get("data") or {}).get("train"), r.summary.get("dev_f1"),
            r.summary.get("test_f1"), *[continual.get(k) for k in SUMMARY_KEYS],
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
