"""Compare: overlay the curves of several runs and list the settings that differ between them.

Configs are flattened to dotted keys (train.lr, strategy.mode, ...); only keys whose values
differ across the chosen runs are shown, next to each run's final metrics.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages import ui
from storage import queries

CURVES = (("train_loss", "Training loss"), ("dev_f1", "Dev F1"))
FINAL_METRICS = ("dev_f1", "test_f1", "train_tokens_per_s", "train_seconds")


def comparison_table(
    rows: list[queries.RunRow], configs: dict[int, dict[str, Any]]
) -> pd.DataFrame:
    keys = ui.differing_settings(configs)
    records = []
    for row in rows:
        flat = ui.flatten(configs.get(row.id, {}))
        record: dict[str, Any] = {"run": f"#{row.id} {row.name}", "status": row.status.value}
        record.update({k: _cell(flat.get(k)) for k in keys})
        record.update({m: row.summary.get(m) for m in FINAL_METRICS})
        records.append(record)
    return pd.DataFrame(records)


def _cell(value: Any) -> Any:
    """Lists and mappings as text, so one column holds one type."""
    return json.dumps(value) if isinstance(value, list | dict) else value


def overlay(run_ids: list[int], names: dict[int, str]) -> None:
    x_axis = st.radio("x axis", ["step", "time"], horizontal=True, key="compare_xaxis")
    columns = st.columns(len(CURVES))
    for column, (key, title) in zip(columns, CURVES, strict=True):
        figure = go.Figure()
        for run_id in run_ids:
            series = ui.read(queries.metric_series, run_id, key, max_points=1000)
            if not series:
                continue
            steps, values, walls = zip(*series, strict=True)
            x = list(steps) if x_axis == "step" else [w - walls[0] for w in walls]
            figure.add_scatter(x=x, y=values, mode="lines", name=names[run_id])
        figure.update_layout(
            title=title,
            height=340,
            margin={"l": 10, "r": 10, "t": 40, "b": 10},
            xaxis_title="step" if x_axis == "step" else "seconds since the first point",
        )
        column.plotly_chart(figure, key=f"compare_curve_{key}")


st.title("Compare runs")
with ui.friendly("compare the runs"):
    runs = ui.read(queries.list_runs, limit=500)
    if len(runs) < 2:
        st.info("Compare needs at least two runs; start some on the Train page.")
    else:
        labels = {r.id: ui.run_label(r) for r in runs}
        chosen = st.multiselect(
            "Runs",
            list(labels),
            format_func=labels.__getitem__,
            key="compare_runs",
            placeholder="choose two or more runs",
        )
        if len(chosen) < 2:
            st.caption("Choose at least two runs.")
        else:
            by_id = {r.id: r for r in runs}
            rows = [by_id[i] for i in chosen]
            configs = ui.read(queries.run_configs, chosen)
            overlay(chosen, {r.id: f"#{r.id} {r.name}" for r in rows})
            st.subheader("Settings that differ, and results")
            if not ui.differing_settings(configs):
                st.caption("These runs have the same config.")
            st.dataframe(
                comparison_table(rows, configs),
                hide_index=True,
                width="stretch",
                key="compare_table",
                column_config={
                    m: st.column_config.NumberColumn(format="%.3f") for m in ("dev_f1", "test_f1")
                },
            )
