"""Compare: overlay the curves of several runs and list the settings that differ between them.

Configs are flattened to dotted keys (train.lr, strategy.mode, ...); only keys whose values
differ across the chosen runs are shown, next to each run's final metrics. A pretraining
run's training loss is a masked-LM loss (about 10 at the start: ln of a 30k sub-word vocabulary), a
tagging run's a tag cross-entropy (about 1-2): one axis for both flattens the tagging curves,
so the masked-LM losses get a chart of their own. An imported
dataset is shown by its name (views.parts.data_names), its file only under "Files on disk";
a missing value is "-", never "None".
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from engine.figures import curves
from storage import queries
from views.parts import calls, data_names, fmt, settings
from views.parts.curve_axis import x_axis_choice, x_title, x_values
from views.parts.i18n import t

# (chart, metric key, whose points it draws: pretraining runs (True), the others (False), all)
CHARTS = (
    ("train_loss", "train_loss", False),
    ("mlm_loss", "train_loss", True),
    ("dev_f1", "dev_f1", None),
)


def comparison_table(
    rows: list[queries.RunRow], configs: dict[int, dict[str, Any]], names: dict[str, str]
) -> pd.DataFrame:
    """One row per run: the differing settings (imported data by name), then its results.

    A missing value is "-", never a null (st.dataframe draws it as "None"); a setting whose
    every value is a number stays a number, so it sorts as one."""
    keys = settings.differing_settings(configs)
    flat = {row.id: settings.flatten(configs.get(row.id, {})) for row in rows}
    columns = {k: _setting_cells([flat[row.id].get(k) for row in rows], names) for k in keys}
    records = []
    for i, row in enumerate(rows):
        record: dict[str, Any] = {
            "run": f"#{row.id} {row.name}",
            "status": fmt.status_text(row.status),
        }
        record.update({k: cells[i] for k, cells in columns.items()})
        record.update(result_cells(row.summary))
        records.append(record)
    return pd.DataFrame(records)


def result_cells(summary: dict[str, Any]) -> dict[str, str]:
    """A run's final numbers as text cells: 3-decimal scores, tokens/s, a duration, or "-"."""
    rate = summary.get("train_tokens_per_s")
    return {
        "dev_f1": fmt.score_cell(summary.get("dev_f1")),
        "test_f1": fmt.score_cell(summary.get("test_f1")),
        "train_tokens_per_s": "-" if rate is None else f"{rate:,.0f}",
        "train_seconds": fmt.format_duration(summary.get("train_seconds")),
    }


def _setting_cells(values: list[Any], names: dict[str, str]) -> list[Any]:
    """One setting across the runs: numbers as they are when all are numbers, else text."""
    shown = [data_names.named(value, names) for value in values]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in shown):
        return shown
    return [_text(value) for value in shown]


def _text(value: Any) -> str:
    """A setting as one cell's text: "-" for none, lists and mappings as JSON."""
    if value is None:
        return "-"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else str(value)


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
    return fmt.column_labels(labels)  # results arrive as text cells (result_cells)


def overlay(runs: list[queries.RunRow]) -> None:
    x_axis = x_axis_choice("compare_xaxis")
    drawn = [
        (chart, key, [r for r in runs if whose in (None, r.kind == "pretrain")])
        for chart, key, whose in CHARTS
    ]
    drawn = [c for c in drawn if c[2]]  # a chart none of the chosen runs belongs to is left out
    for column, (chart, key, chosen) in zip(st.columns(len(drawn)), drawn, strict=True):
        _draw(column, chart, key, {r.id: f"#{r.id} {r.name}" for r in chosen}, x_axis)


def _draw(column: Any, chart: str, key: str, names: dict[int, str], x_axis: str) -> None:
    """One chart: a line per run that recorded `key`, the others named under it."""
    lines, without = {}, []
    for run_id, name in names.items():
        series = calls.read(queries.metric_series, run_id, key, max_points=1000)
        if series:
            steps, values, walls = zip(*series, strict=True)
            lines[name] = (x_values(steps, walls, x_axis), list(values))
        else:
            without.append(name)
    title = t("compare.mlm_loss") if chart == "mlm_loss" else fmt.curve_title(key)
    if not lines:  # empty axes would read as "nothing happened", not "not recorded"
        column.markdown(f"**{title}**")
        column.caption(t("compare.no_points"))
        return
    figure = curves.overlay(lines, title=title, x_title=x_title(x_axis), score=key == "dev_f1")
    figure.update_traces(showlegend=True)  # plotly hides a lone line's name: say whose it is
    # below the plot, not beside it: three charts share the row
    figure.update_layout(legend={"orientation": "h", "x": 0, "y": -0.3, "yanchor": "top"})
    column.plotly_chart(figure, key=f"compare_curve_{chart}")
    if without:
        column.caption(t("compare.some_without", runs=", ".join(without)))


def data_paths(configs: dict[int, dict[str, Any]]) -> list[str]:
    """Every string value of the chosen runs' configs (files_on_disk keeps the datasets')."""
    values = [v for cfg in configs.values() for v in settings.flatten(cfg).values()]
    flat = [x for v in values for x in (v if isinstance(v, list) else [v])]
    return [x for x in flat if isinstance(x, str)]


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
            overlay(rows)
            st.subheader(t("compare.differ"))
            if not settings.differing_settings(configs):
                st.caption(t("compare.same"))
            names = data_names.dataset_names()
            st.dataframe(
                comparison_table(rows, configs, names),
                hide_index=True,
                width="stretch",
                key="compare_table",
                column_config=table_labels(),
            )
            data_names.files_on_disk(data_paths(configs), names)
