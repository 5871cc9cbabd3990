"""Compare: overlay the curves of several runs and list the settings that differ between them.

Configs are flattened to dotted keys (train.lr, strategy.mode, ...); only keys whose values
differ across the chosen runs are shown, next to each run's final metrics.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from engine.figures import curves
from pages.parts import calls, fmt, settings
from pages.parts.i18n import t
from storage import queries

CURVES = ("train_loss", "dev_f1")
FINAL_METRICS = ("dev_f1", "test_f1", "train_tokens_per_s", "train_seconds")


def comparison_table(
    rows: list[queries.RunRow], configs: dict[int, dict[str, Any]]
) -> pd.DataFrame:
    keys = settings.differing_settings(configs)
    records = []
    for row in rows:
        flat = settings.flatten(configs.get(row.id, {}))
        record: dict[str, Any] = {
            "run": f"#{row.id} {row.name}",
            "status": fmt.status_text(row.status),
        }
        record.update({k: _cell(flat.get(k)) for k in keys})
        record.update({m: row.summary.get(m) for m in FINAL_METRICS})
        records.append(record)
    return pd.DataFrame(records)


def table_labels() -> dict[str, Any]:
    """Translated headers for the fixed columns; config keys (train.lr) are shown as they are."""
    labels = {
        "run": t("compare.col.run"),
        "status": t("compare.col.status"),
        "dev_f1": t("compare.col.dev_f1"),
        "test_f1": t("compare.col.test_f1"),
        "train_tokens_per_s": t("compare.col.tokens_per_s"),
        "train_seconds": t("compare.col.seconds"),
    }
    return fmt.column_labels(labels, scores=("dev_f1", "test_f1"))


def _cell(value: Any) -> Any:
    """Lists and mappings as text, so one column holds one type."""
    return json.dumps(value) if isinstance(value, list | dict) else value


def overlay(run_ids: list[int], names: dict[int, str]) -> None:
    x_axis = st.radio(
        t("common.x_axis"),
        ["step", "time"],
        horizontal=True,
        key="compare_xaxis",
        format_func=fmt.label_lookup(["step", "time"], fmt.axis_text),
    )
    columns = st.columns(len(CURVES))
    for column, key in zip(columns, CURVES, strict=True):
        lines = {}
        for run_id in run_ids:
            series = calls.read(queries.metric_series, run_id, key, max_points=1000)
            if series:
                steps, values, walls = zip(*series, strict=True)
                x = list(steps) if x_axis == "step" else [w - walls[0] for w in walls]
                lines[names[run_id]] = (x, list(values))
        figure = curves.overlay(
            lines,
            title=fmt.curve_title(key),
            x_title=t("common.step") if x_axis == "step" else t("common.seconds_since_first"),
            score=key == "dev_f1",
        )
        column.plotly_chart(figure, key=f"compare_curve_{key}")


st.title(t("compare.title"))
with calls.friendly(t("errors.compare")):
    runs = calls.read(queries.list_runs, limit=500)
    if len(runs) < 2:
        st.info(t("compare.need_two"))
    else:
        labels = {r.id: fmt.run_label(r) for r in runs}
        chosen = st.multiselect(
            t("compare.runs"),
            list(labels),
            format_func=labels.__getitem__,
            key="compare_runs",
            placeholder=t("compare.placeholder"),
        )
        if len(chosen) < 2:
            st.caption(t("compare.choose_two"))
        else:
            by_id = {r.id: r for r in runs}
            rows = [by_id[i] for i in chosen]
            configs = calls.read(queries.run_configs, chosen)
            overlay(chosen, {r.id: f"#{r.id} {r.name}" for r in rows})
            st.subheader(t("compare.differ"))
            if not settings.differing_settings(configs):
                st.caption(t("compare.same"))
            st.dataframe(
                comparison_table(rows, configs),
                hide_index=True,
                width="stretch",
                key="compare_table",
                column_config=table_labels(),
            )
