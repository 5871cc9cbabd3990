"""Runs: the table of runs with filters, and one run's page (`?run=ID`).

A run's page: status, device and error; live loss and dev-F1 curves (a fragment that reruns
every 2 s while the run is PENDING or RUNNING: no background thread touches st.*); per-type
precision/recall/F1 of the final test evaluation (else the last dev one); the log tail; Cancel;
downloads of the config, every metric point as CSV, and the checkpoint as a zip (built only
when the button is clicked).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import jobs
from pages import ui
from storage import continual as continual_store
from storage import queries
from storage.models import RunStatus

LIVE_EVERY_S = 2
CURVES = (("train_loss", "Training loss"), ("dev_f1", "Dev F1"))


# ---- the list ---------------------------------------------------------------------------------


def run_list() -> None:
    st.title("Runs")
    rows = ui.read(queries.list_runs, limit=500)
    kinds = sorted({r.kind for r in rows})
    left, right = st.columns([3, 1])
    statuses = left.multiselect(
        "Status", [s.value for s in RunStatus], key="runs_status_filter", placeholder="any status"
    )
    kind = right.selectbox("Strategy", ["any", *kinds], key="runs_kind_filter")
    rows = [
        r
        for r in rows
        if (not statuses or r.status.value in statuses) and (kind == "any" or r.kind == kind)
    ]
    if not rows:
        st.info("No runs match." if statuses or kind != "any" else "No runs yet.")
        st.page_link("pages/train.py", label="Start one on the Train page", icon="🚀")
        return
    configs = ui.read(queries.run_configs, [r.id for r in rows])
    table = pd.DataFrame([_table_row(r, configs.get(r.id, {})) for r in rows])
    event = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="runs_table",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "best dev F1": st.column_config.NumberColumn(format="%.3f"),
            "test F1": st.column_config.NumberColumn(format="%.3f"),
        },
    )
    selected = event.selection.rows if event is not None else []
    if selected:
        open_run(int(table.iloc[selected[0]]["id"]))
    labels = {r.id: ui.run_label(r) for r in rows}
    st.selectbox(
        "Open a run",
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        key="runs_open",
        placeholder="choose a run (or click a row above)",
        on_change=_open_from_select,
    )


def _open_from_select() -> None:
    run_id = st.session_state.get("runs_open")
    if run_id is not None:
        st.query_params["run"] = str(run_id)


def open_run(run_id: int) -> None:
    st.query_params["run"] = str(run_id)
    st.rerun()


def _table_row(row: queries.RunRow, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "status": ui.status_label(row.status),
        "strategy": f"{row.kind}/{row.method}",
        "data": ui.config_value(config, "data.train"),
        "backbone": ui.config_value(config, "backbone"),
        "best dev F1": row.summary.get("dev_f1"),
        "test F1": row.summary.get("test_f1"),
        "duration": ui.format_duration(ui.duration_s(row.started_at, row.finished_at)),
        "created": ui.format_time(row.created_at),
    }


# ---- one run ----------------------------------------------------------------------------------


def run_page(run_id: int) -> None:
    if st.button("← All runs", key="runs_back"):
        st.query_params.clear()
        st.rerun()
    detail = ui.read(queries.get_run, run_id)
    if detail is None:
        st.error(f"There is no run {run_id}.")
        return
    active = detail.status in ui.ACTIVE_STATES
    live = st.fragment(run_every=LIVE_EVERY_S if active else None)(live_panel)
    live(run_id, active)
    if detail.kind == "continual":
        st.page_link(
            "pages/forgetting.py",
            label="Forgetting: the accuracy matrix, curves and forgotten examples",
            icon="🧠",
            query_params={"run": str(run_id)},
        )
    with ui.friendly("show the per-type scores"):
        per_type_section(run_id)
    with ui.friendly("draw the confusion matrix"):
        confusion_section(run_id)
    with ui.friendly("prepare the downloads"):
        downloads(detail)


def confusion_section(run_id: int) -> None:
    """Word-level gold type x predicted type on the test set (logged by the final evaluation)."""
    found = ui.read(continual_store.records, run_id, kind="confusion")
    if not found:
        return
    payload = found[-1].payload
    labels, matrix = payload["labels"], payload["matrix"]
    st.subheader("Which type each word became (test set)")
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=labels,
            y=labels,
            colorscale="Blues",
            text=matrix,
            texttemplate="%{text}",
            hovertemplate="gold %{y} -> predicted %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis_title="predicted",
        yaxis_title="gold",
        yaxis_autorange="reversed",
        height=120 + 40 * len(labels),
        margin={"t": 10},
    )
    st.plotly_chart(fig, key="run_confusion")


def live_panel(run_id: int, was_active: bool) -> None:
    """Header, curves and log: reruns alone every LIVE_EVERY_S while the run is active."""
    ui.reconcile_jobs()  # a fragment rerun skips app.py: keep the queue moving from here too
    detail = ui.read(queries.get_run, run_id)
    if detail is None:
        st.error(f"Run {run_id} was deleted.")
        return
    if was_active and detail.status not in ui.ACTIVE_STATES:
        st.rerun(scope="app")  # finished: redraw everything once (final scores, no Cancel)
    header(detail)
    if detail.status in ui.ACTIVE_STATES and st.button("⏹ Cancel run", key="run_cancel"):
        with ui.friendly("cancel the run"):
            if jobs.cancel(run_id):
                st.toast(f"Run {run_id} is being stopped.")
            else:
                st.warning(f"Run {run_id} had already finished.")
    with ui.friendly("draw the curves"):
        curves(run_id)
    with ui.friendly("read the log"):
        tail = jobs.log_tail(run_id, lines=200)
        with st.expander("Log (last 200 lines)", expanded=detail.status == RunStatus.FAILED):
            st.code(tail or "(empty)", language=None)


def header(detail: queries.RunDetail) -> None:
    st.title(f"Run {detail.id}: {detail.name}")
    duration = ui.format_duration(ui.duration_s(detail.started_at, detail.finished_at))
    st.markdown(
        f"{ui.status_badge(detail.status)} · **{detail.kind}/{detail.method}** · "
        f"device: {ui.escape_text(detail.device or 'not chosen yet')} · "
        f"data: {ui.escape_text(str(ui.config_value(detail.config, 'data.train')))} · "
        f"backbone: {ui.escape_text(str(ui.config_value(detail.config, 'backbone')))} · "
        f"duration: {duration}"
    )
    st.caption(
        f"created {ui.format_time(detail.created_at)} · started {ui.format_time(detail.started_at)}"
        f" · finished {ui.format_time(detail.finished_at)}"
    )
    if detail.error:
        st.error(f"**{detail.status.value}**: {detail.error}")
    summary = detail.summary
    cols = st.columns(4)
    cols[0].metric("Best dev F1", _score(summary.get("dev_f1")))
    cols[1].metric("Test F1", _score(summary.get("test_f1")))
    rate = summary.get("train_tokens_per_s")
    cols[2].metric("Tokens/s", "-" if rate is None else f"{rate:,.0f}")
    cols[3].metric("Steps", summary.get("steps", "-"))


def curves(run_id: int) -> None:
    keys = set(ui.read(queries.metric_keys, run_id))
    if not keys & {k for k, _ in CURVES}:
        st.caption("No curves yet: the first points appear after the first logging step.")
        return
    a, b, c = st.columns(3)
    smoothing = a.slider(
        "Smoothing (EMA)", 0.0, 0.99, 0.6, step=0.01, key="run_smoothing",
        help="Exponential moving average of the loss; 0 shows the raw points",
    )  # fmt: skip
    log_y = b.toggle("Log scale (loss)", value=False, key="run_logy")
    x_axis = c.radio("x axis", ["step", "time"], horizontal=True, key="run_xaxis")
    columns = st.columns(len(CURVES))
    for column, (key, title) in zip(columns, CURVES, strict=True):
        series = ui.read(queries.metric_series, run_id, key, max_points=2000)
        if not series:
            column.caption(f"{title}: no points yet")
            continue
        column.plotly_chart(
            curve_figure(series, title, key == "train_loss", smoothing, log_y, x_axis),
            key=f"run_curve_{key}",
        )


def curve_figure(
    series: list[tuple[int, float, float]],
    title: str,
    smooth: bool,
    smoothing: float,
    log_y: bool,
    x_axis: str,
) -> go.Figure:
    steps, values, walls = zip(*series, strict=True)
    x = list(steps) if x_axis == "step" else [w - walls[0] for w in walls]
    figure = go.Figure()
    if smooth and smoothing > 0:
        figure.add_scatter(x=x, y=values, mode="lines", name="raw", opacity=0.3)
        figure.add_scatter(x=x, y=ui.ema(values, smoothing), mode="lines", name="smoothed")
    else:
        figure.add_scatter(x=x, y=values, mode="lines+markers", name=title)
    figure.update_layout(
        title=title,
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title="step" if x_axis == "step" else "seconds since the first point",
        yaxis_type="log" if log_y and smooth else "linear",
        showlegend=smooth and smoothing > 0,
    )
    return figure


def per_type_section(run_id: int) -> None:
    evaluations = ui.read(queries.evaluations, run_id)
    tests = [e for e in evaluations if e.split == "test"]
    devs = [e for e in evaluations if e.split == "dev"]
    chosen = tests[-1] if tests else (devs[-1] if devs else None)
    st.subheader("Per entity type")
    if chosen is None:
        st.caption("No evaluation yet.")
        return
    where = f"{chosen.split} set, {chosen.stage}" + (
        f", step {chosen.step}" if chosen.step is not None else ""
    )
    st.caption(f"From the {'final test' if tests else 'latest dev'} evaluation ({where}).")
    rows = [
        {"type": t, "precision": s["precision"], "recall": s["recall"], "f1": s["f1"],
         "support": s["support"]}
        for t, s in sorted(chosen.per_type.items())
    ]  # fmt: skip
    rows.append(
        {
            "type": "overall (micro)",
            "precision": chosen.precision,
            "recall": chosen.recall,
            "f1": chosen.f1,
            "support": chosen.support,
        }
    )
    table = pd.DataFrame(rows)
    left, right = st.columns([2, 3])
    left.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="run_per_type",
        column_config={
            k: st.column_config.NumberColumn(format="%.3f") for k in ("precision", "recall", "f1")
        },
    )
    figure = go.Figure()
    per_type = table.iloc[:-1]
    for metric in ("precision", "recall", "f1"):
        figure.add_bar(x=per_type["type"], y=per_type[metric], name=metric)
    figure.update_layout(
        barmode="group",
        height=320,
        yaxis_range=[0, 1],
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
    right.plotly_chart(figure, key="run_per_type_chart")


def downloads(detail: queries.RunDetail) -> None:
    st.subheader("Downloads")
    a, b, c = st.columns(3)
    a.download_button(
        "Config (YAML)",
        data=ui.config_yaml(detail.config),
        file_name=f"run-{detail.id}-config.yaml",
        mime="application/x-yaml",
        key="run_download_config",
        on_click="ignore",
    )
    b.download_button(
        "Metrics (CSV)",
        data=lambda: ui.metrics_csv(detail.id),
        file_name=f"run-{detail.id}-metrics.csv",
        mime="text/csv",
        key="run_download_metrics",
        on_click="ignore",
    )
    checkpoint = ui.checkpoint_path(detail)
    if checkpoint is None:
        c.caption("No checkpoint" + (" yet." if detail.status in ui.ACTIVE_STATES else "."))
    else:
        c.download_button(
            "Checkpoint (zip)",
            data=lambda: ui.zip_folder(checkpoint),
            file_name=f"run-{detail.id}-checkpoint.zip",
            mime="application/zip",
            key="run_download_checkpoint",
            on_click="ignore",
            help="Hugging Face format: transformers.pipeline('token-classification', model=DIR)",
        )


def _score(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


with ui.friendly("show the runs"):
    chosen = ui.query_int("run")
    if chosen is None:
        run_list()
    else:
        run_page(chosen)
