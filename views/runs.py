"""Runs: the table of runs with filters, and one run's page (`?run=ID`).

A run's page: status, device and error; live loss and dev-F1 curves (a fragment that reruns
every 2 s while the run is PENDING or RUNNING: no background thread touches st.*); per-type
precision/recall/F1 of the final test evaluation, else the last dev one (views.parts.run_scores);
the log tail; Cancel; downloads of the config, every metric point as CSV, and the checkpoint as
a zip (built only when the button is clicked).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine import api
from engine.figures import confusion as figures_confusion
from engine.figures import curves as figures_curves
from storage import continual as continual_store
from storage import queries
from storage.models import RunStatus
from views.parts import bundle_ui, calls, downloads, fmt, highlight, settings
from views.parts.i18n import t
from views.parts.pickers import no_runs_yet
from views.parts.run_scores import per_type_section

LIVE_EVERY_S = 2
CURVES = ("train_loss", "dev_f1")


# ---- the list ---------------------------------------------------------------------------------


def run_list() -> None:
    st.title(t("runs.title"))
    rows = calls.read(queries.list_runs, limit=500)
    kinds = sorted({r.kind for r in rows})
    left, right = st.columns([3, 1])
    values = [s.value for s in RunStatus]
    statuses = left.multiselect(
        t("runs.status_filter"),
        values,
        key="runs_status_filter",
        placeholder=t("runs.any_status"),
        format_func=fmt.label_lookup(values, fmt.status_text),
    )
    kind = right.selectbox(
        t("runs.strategy"),
        ["any", *kinds],
        key="runs_kind_filter",
        format_func=fmt.label_lookup(["any"], lambda _: t("common.any")),
    )
    rows = [
        r
        for r in rows
        if (not statuses or r.status.value in statuses) and (kind == "any" or r.kind == kind)
    ]
    hint = t("runs.no_match") if statuses or kind != "any" else t("runs.no_runs")
    if no_runs_yet(rows, hint, t("runs.start_one")):
        return
    configs = calls.read(queries.run_configs, [r.id for r in rows])
    names = {d.path: d.name for d in calls.read(queries.list_datasets) if d.path}
    table = pd.DataFrame([_table_row(r, configs.get(r.id, {}), names) for r in rows])
    event = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="runs_table",
        on_select="rerun",
        selection_mode="single-row",
        column_config=fmt.run_table_columns(),
    )
    selected = event.selection.rows if event is not None else []
    if selected:
        open_run(int(table.iloc[selected[0]]["id"]))
    labels = {r.id: fmt.run_label(r) for r in rows}
    st.selectbox(
        t("runs.open"),
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        key="runs_open",
        placeholder=t("runs.open_placeholder"),
        on_change=_open_from_select,
    )


def _open_from_select() -> None:
    run_id = st.session_state.get("runs_open")
    if run_id is not None:
        st.query_params["run"] = str(run_id)


def open_run(run_id: int) -> None:
    st.query_params["run"] = str(run_id)
    st.rerun()


def _table_row(
    row: queries.RunRow, config: dict[str, Any], names: dict[str, str]
) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "status": fmt.status_label(row.status),
        "strategy": f"{row.kind}/{row.method}",
        "data": fmt.data_label(settings.config_value(config, "data.train"), names),
        "backbone": settings.config_value(config, "backbone"),
        "best dev F1": fmt.score_cell(row.summary.dev_f1),
        "test F1": fmt.score_cell(row.summary.test_f1),
        "duration": fmt.format_duration(fmt.duration_s(row.started_at, row.finished_at)),
        "created": fmt.format_time(row.created_at),
    }


# ---- one run ----------------------------------------------------------------------------------


def run_page(run_id: int) -> None:
    if st.button(t("runs.back"), key="runs_back"):
        st.query_params.clear()
        st.rerun()
    detail = calls.read(queries.get_run, run_id)
    if detail is None:
        st.error(t("runs.no_such_run", run_id=run_id))
        return
    active = detail.status in fmt.ACTIVE_STATES
    live = st.fragment(run_every=LIVE_EVERY_S if active else None)(live_panel)
    live(run_id, active)
    if detail.kind == "continual":
        st.page_link(
            "views/forgetting.py",
            label=t("runs.forgetting_link"),
            icon="🧠",
            query_params={"run": str(run_id)},
        )
    if detail.kind == "meta":
        st.page_link(
            "views/meta.py", label=t("runs.meta_link"), icon="🎯", query_params={"run": str(run_id)}
        )
    lineage(detail)
    if detail.summary.mapping:
        st.page_link(
            "views/embeddings.py",
            label=t("nav.embeddings"),
            icon="🗺️",
            query_params={"run": str(run_id)},
        )
    with calls.friendly(t("errors.per_type")):
        per_type_section(run_id)
    with calls.friendly(t("errors.confusion")):
        confusion_section(run_id)
    with calls.friendly(t("errors.downloads")):
        downloads.row(detail)
    bundle_ui.run_share(detail.id, detail.status)


def backbone_run(config: dict[str, Any]) -> int | None:
    """The run whose checkpoint a config starts from (`backbone: run:ID`), else None."""
    text = str(config.get("backbone") or "")
    digits = text.removeprefix(api.RUN_PREFIX).strip()
    return int(digits) if text.startswith(api.RUN_PREFIX) and digits.isdigit() else None


def lineage(detail: queries.RunDetail) -> None:
    """One line: the runs this one grew from (backbone run:ID, followed back) and its children."""
    chain, config, seen = [], detail.config, {detail.id}
    while (parent := backbone_run(config)) is not None and parent not in seen and len(chain) < 10:
        seen.add(parent)
        row = calls.read(queries.get_run, parent)
        chain.insert(0, f"#{parent} {row.kind}" if row else f"#{parent}")
        config = row.config if row else {}
    recent = calls.read(queries.list_runs, limit=500)
    configs = calls.read(queries.run_configs, [r.id for r in recent])
    children = [f"#{r.id} {r.kind}" for r in reversed(recent)
                if backbone_run(configs.get(r.id, {})) == detail.id]  # fmt: skip
    if chain or children:
        parts = [*chain, f"**#{detail.id} {detail.kind}**"]
        if children:
            parts.append(", ".join(children))
        st.markdown("🧬 " + " → ".join(parts))


def confusion_section(run_id: int) -> None:
    """Word-level gold type x predicted type on the test set (logged by the final evaluation)."""
    found = calls.read(continual_store.records, run_id, kind="confusion")
    if not found:
        return
    payload = found[-1].payload
    labels, matrix = payload["labels"], payload["matrix"]
    st.subheader(t("runs.confusion_title"))
    gold, predicted = t("runs.gold"), t("runs.predicted")
    fig = figures_confusion.confusion(labels, matrix, gold=gold, predicted=predicted)
    st.plotly_chart(fig, key="run_confusion")


def live_panel(run_id: int, was_active: bool) -> None:
    """Header, curves and log: reruns alone every LIVE_EVERY_S while the run is active."""
    calls.reconcile_jobs()  # a fragment rerun skips app.py: keep the queue moving from here too
    detail = calls.read(queries.get_run, run_id)
    if detail is None:
        st.error(t("runs.deleted", run_id=run_id))
        return
    if was_active and detail.status not in fmt.ACTIVE_STATES:
        st.rerun(scope="app")  # finished: redraw everything once (final scores, no Cancel)
    header(detail)
    if detail.status in fmt.ACTIVE_STATES and st.button(t("runs.cancel"), key="run_cancel"):
        with calls.friendly(t("errors.cancel_run")):
            if api.cancel(run_id):
                st.toast(t("runs.stopping", run_id=run_id))
            else:
                st.warning(t("runs.already_finished", run_id=run_id))
    with calls.friendly(t("errors.curves")):
        curves(run_id)
    with calls.friendly(t("errors.read_log")):
        tail = api.log_tail(run_id, lines=200)
        with st.expander(t("runs.log"), expanded=detail.status == RunStatus.FAILED):
            st.code(tail or t("runs.log_empty"), language=None)


def header(detail: queries.RunDetail) -> None:
    st.title(t("runs.title_one", run_id=detail.id, name=detail.name))
    duration = fmt.format_duration(fmt.duration_s(detail.started_at, detail.finished_at))
    st.markdown(
        t(
            "runs.header",
            badge=fmt.status_badge(detail.status),
            strategy=f"{detail.kind}/{detail.method}",
            device=highlight.escape_text(detail.device or t("runs.not_chosen")),
            data=highlight.escape_text(str(settings.config_value(detail.config, "data.train"))),
            backbone=highlight.escape_text(str(settings.config_value(detail.config, "backbone"))),
            duration=duration,
        )
    )
    st.caption(
        t(
            "runs.times",
            created=fmt.format_time(detail.created_at),
            started=fmt.format_time(detail.started_at),
            finished=fmt.format_time(detail.finished_at),
        )
        + " · "
        + t("runs.job", where=highlight.escape_text(api.job_location(detail)))  # backend and where
    )
    if detail.error:
        st.error(f"**{fmt.status_text(detail.status)}**: {detail.error}")
    summary = detail.summary
    live = live_numbers(detail.id)
    # The summary is written at the end; until then (and for a run stopped before it) the
    # cards come from the metric points. A dev F1 with no dev evaluation behind it (a
    # cancelled run's 0.0) is not a score.
    best = live.best_dev_f1 if summary.dev_f1 is None else summary.dev_f1
    best = None if live.best_dev_f1 is None else best
    rate = summary.train_tokens_per_s or live.tokens_per_s
    steps = summary.steps if summary.steps is not None else live.steps
    cols = st.columns(4)
    cols[0].metric(t("runs.best_dev_f1"), fmt.format_score(best))
    cols[1].metric(t("runs.test_f1"), fmt.format_score(summary.test_f1))
    cols[2].metric(t("runs.tokens_per_s"), "-" if rate is None else f"{rate:,.0f}")
    cols[3].metric(t("runs.steps"), "-" if steps is None else f"{steps:,}")


class LiveNumbers(NamedTuple):
    best_dev_f1: float | None
    tokens_per_s: float | None  # the latest logged
    steps: int | None  # the latest logged training step


def live_numbers(run_id: int) -> LiveNumbers:
    """The metric cards' numbers as the metric points say them now."""

    def points(key: str) -> list[tuple[int, float]]:
        found = calls.read(queries.metric_series, run_id, key, max_points=2000)
        return [(step, value) for step, value, _ in found if not math.isnan(value)]

    dev = [value for _, value in points("dev_f1")]
    rate = max(points("tokens_per_s"), default=None)  # the highest step: the latest rate
    losses = points("train_loss") or points("meta_train_loss")
    return LiveNumbers(
        max(dev) if dev else None,
        rate[1] if rate else None,
        max(step for step, _ in losses) if losses else None,
    )


def curves(run_id: int) -> None:
    keys = set(calls.read(queries.metric_keys, run_id))
    shown = ("train_loss", "heldout_perplexity") if "heldout_perplexity" in keys else CURVES
    if not keys & set(shown):
        st.caption(t("runs.no_curves"))
        return
    a, b, c = st.columns(3)
    smoothing = a.slider(
        t("runs.smoothing"), 0.0, 0.99, 0.6, step=0.01, key="run_smoothing",
        help=t("runs.smoothing_help"),
    )  # fmt: skip
    log_y = b.toggle(t("runs.log_scale"), value=False, key="run_logy")
    x_axis = c.radio(
        t("common.x_axis"),
        ["step", "time"],
        horizontal=True,
        key="run_xaxis",
        format_func=fmt.label_lookup(["step", "time"], fmt.axis_text),
    )
    columns = st.columns(len(shown))
    for column, key in zip(columns, shown, strict=True):
        title = fmt.curve_title(key)
        series = calls.read(queries.metric_series, run_id, key, max_points=2000)
        if not series:
            column.caption(t("runs.no_points", title=title))
            continue
        column.plotly_chart(
            curve_figure(series, key, smoothing, log_y, x_axis), key=f"run_curve_{key}"
        )


def curve_figure(
    series: list[tuple[int, float, float]], key: str, smoothing: float, log_y: bool, x_axis: str
) -> go.Figure:
    """The loss raw and smoothed (engine.figures.curves), or dev F1 on [0, 1], or another key."""
    steps, values, walls = zip(*series, strict=True)
    x = list(steps) if x_axis == "step" else [w - walls[0] for w in walls]
    smooth = key == "train_loss"
    return figures_curves.metric_curve(
        x,
        values,
        title=fmt.curve_title(key),
        x_title=t("common.step") if x_axis == "step" else t("common.seconds_since_first"),
        smoothing=smoothing if smooth else 0.0,
        raw_name=t("runs.raw"),
        smoothed_name=t("runs.smoothed"),
        log_y=log_y and smooth,
        score=key == "dev_f1",
    )


with calls.friendly(t("errors.show_runs")):
    chosen = calls.query_int("run")
    if chosen is None:
        run_list()
        bundle_ui.import_section()
    else:
        run_page(chosen)
