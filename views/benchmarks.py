"""Benchmarks: race methods on a published protocol and read the lab's numbers beside the papers'.

Launch: a protocol (CL-NER FG-a-PG-b, few-shot N-way K~2K), data (built-in or imported),
methods (the registry's, as checkboxes) and a budget (the protocol's published defaults); one
run per method goes to engine.api.submit as one group (a race). Results, for a chosen group:
the table in the paper's layout, published rows and "this lab" rows with backbone and budget
side by side (`python -m engine bench --table GROUP` prints the same grid), the step-wise
Mi/Ma-F1 curves of a CL-NER race, and the table as Markdown, CSV and LaTeX. A race still
running shows its finished rows and says how many runs are left.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from engine import api
from engine.config import parse_config, registered_methods
from engine.figures import curves
from storage import queries
from views.parts import calls, fmt
from views.parts.i18n import t
from views.parts.wizard_fields import choice_label

PICK = "bench_group_pick"  # the results' group; a launch sets it to the group just queued
KINDS = {"cl-ner": "continual", "few-shot": "meta"}
BACKBONES = ("minilm-l6", "tiny")
FORMATS = {
    "markdown": ("md", "text/markdown"),
    "csv": ("csv", "text/csv"),
    "latex": ("tex", "application/x-tex"),
}
MAX_RUNS = 1000


def protocol_label(c: Any) -> str:
    a, b = c.sizes
    if c.family == "cl-ner":
        return t("bench.protocol_cl", a=a, b=b)
    return t("bench.protocol_fs", n=a, k=b, k2=2 * b)


def published_budget(c: Any) -> str:
    lrs = " / ".join(f"{x:g}" for x in c.published_lr)
    if c.family == "cl-ner":
        return t("bench.published_cl", epochs=c.epochs, lr=lrs, backbone=c.backbone)
    return t(
        "bench.published_fs",
        iterations=f"{c.iterations:,}",
        batch=c.episodes_per_batch,
        lr=lrs,
        backbone=c.backbone,
    )


def data_options() -> dict[str, str]:
    """Spec -> label: the built-in corpora, then the imported datasets."""
    labels = {c["spec"]: t("common.builtin_label", name=c["name"]) for c in calls.builtin_catalog()}
    for d in calls.read(queries.list_datasets):
        if d.path:
            labels[d.path] = t("common.imported_label", name=d.name)
    return labels


def method_inputs(family: str) -> list[str]:
    """One checkbox per registered method of the family's kind; the published leaders first."""
    default = api.BENCH_DEFAULT_METHODS[family]
    registered = list(registered_methods(KINDS[family]))
    names = [m for m in default if m in registered] + [m for m in registered if m not in default]
    cols = st.columns(3)
    chosen = []
    for i, name in enumerate(names):
        label = choice_label("method", name)
        if cols[i % 3].checkbox(label, value=name in default, key=f"bench_method_{name}"):
            chosen.append(name)
    return chosen


def launch_section() -> None:
    st.subheader(t("bench.launch"))
    by_name = {c.name: c for c in api.bench_choices()}
    name = st.selectbox(
        t("bench.protocol"),
        list(by_name),
        key="bench_protocol",
        format_func=fmt.label_lookup(list(by_name), lambda n: protocol_label(by_name[n])),
    )
    c = by_name[name]
    options = data_options()
    a, b = st.columns(2)
    specs = list(options)
    first = specs.index("builtin:news") if "builtin:news" in specs else 0
    train = a.selectbox(
        t("bench.train_data"),
        specs,
        index=first,
        key="bench_train",
        format_func=fmt.label_lookup(specs, options.__getitem__),
    )
    tests = ["", *options]
    test = b.selectbox(
        t("bench.test_data"),
        tests,
        key="bench_test",
        help=t("bench.test_help"),
        format_func=fmt.label_lookup(tests, lambda s: options.get(s) or t("bench.test_default")),
    )
    st.markdown(t("bench.methods"))
    methods = method_inputs(c.family)
    st.markdown(t("bench.budget"))
    cols = st.columns(4)
    backbone = cols[0].selectbox(
        t("bench.backbone"),
        BACKBONES,
        key="bench_backbone",
        format_func=fmt.label_lookup(BACKBONES, lambda b: t(f"bench.backbone_{b.split('-')[0]}")),
    )
    # keyed by family: a CL-NER and a few-shot race have different published learning rates
    lr = cols[1].number_input(
        t("bench.lr"),
        value=c.lr,
        min_value=1e-7,
        max_value=1.0,
        step=1e-5,
        format="%g",
        key=f"bench_lr_{c.family}",
    )
    epochs = episodes = cap = None
    if c.family == "cl-ner":
        epochs = cols[2].number_input(
            t("bench.epochs"), value=c.epochs, min_value=1, step=1, key="bench_epochs"
        )
        cap = cols[3].number_input(
            t("bench.cap"),
            value=None,
            min_value=1,
            step=100,
            key="bench_cap",
            placeholder=t("bench.no_cap"),
        )
    else:
        episodes = cols[2].number_input(
            t("bench.episodes"), value=200, min_value=1, step=100, key="bench_episodes"
        )
    st.caption(t("bench.budget_note", published=published_budget(c)))
    if st.button(
        t("bench.launch_button"), key="bench_launch", type="primary", disabled=not methods
    ):
        with calls.friendly(t("bench.launch_failed")):
            data = api.BenchData(train, None, test or None)
            raw = api.bench_configs(
                name,
                data,
                methods,
                backbone=backbone,
                lr=lr,
                epochs=epochs,
                episodes=episodes,
                max_train_sentences=cap,
            )
            configs = [parse_config(r) for r in raw]  # all checked before any is queued
            group = api.bench_group_name(name)
            ids = [api.submit(cfg, group_name=group) for cfg in configs]
            st.session_state[PICK] = group
            st.success(t("bench.launched", n=len(ids), group=group))


def race_groups() -> list[str]:
    """Groups with a continual or meta run, newest first."""
    rows = calls.read(queries.list_runs, limit=MAX_RUNS)
    groups = [r.group_name for r in rows if r.group_name and r.kind in KINDS.values()]
    return list(dict.fromkeys(groups))


def group_runs(group: str) -> list[Any]:
    rows = calls.read(queries.list_runs, group_name=group, limit=MAX_RUNS)
    configs = calls.read(queries.run_configs, [r.id for r in rows])
    return [
        api.BenchRun(r.id, r.method, str(r.status), configs.get(r.id, {}), r.summary.stored())
        for r in sorted(rows, key=lambda r: r.id)
    ]


def table_frame(grid: Any) -> pd.DataFrame:
    """The grid with its fixed headers and the Rows column in the user's language."""
    fixed = [
        t("bench.col.method"),
        t("bench.col.rows"),
        t("bench.col.backbone"),
        t("bench.col.budget"),
    ]
    kinds = {"published": t("bench.rows_published"), "this lab": t("bench.rows_lab")}
    rows = [[r[0], kinds.get(r[1], r[1]), *r[2:]] for r in grid.rows]
    return pd.DataFrame(rows, columns=[*fixed, *grid.header[4:]])


def step_curves(table: Any) -> None:
    cols = st.columns(2)
    for col, i, key in ((cols[0], 1, "mi"), (cols[1], 2, "ma")):
        series = {m: ([p[0] for p in pts], [p[i] for p in pts]) for m, pts in table.curves.items()}
        figure = curves.overlay(
            series,
            title=t(f"bench.curve_{key}"),
            x_title=t("bench.step"),
            y_title=t(f"bench.curve_{key}"),
            score=True,
        )
        col.plotly_chart(figure, key=f"bench_curve_{key}")


def downloads(grid: Any, group: str) -> None:
    cols = st.columns(len(FORMATS))
    for col, (name, (ext, mime)) in zip(cols, FORMATS.items(), strict=True):
        col.download_button(
            t(f"bench.dl_{name}"),
            data=api.render_bench_table(grid, name),  # type: ignore[arg-type]
            file_name=f"{group}.{ext}",
            mime=mime,
            key=f"bench_download_{name}",
            on_click="ignore",
        )


def results_section() -> None:
    st.subheader(t("bench.results"))
    groups = race_groups()
    if PICK not in st.session_state and st.query_params.get("group"):
        st.session_state[PICK] = st.query_params.get("group")  # ?group=NAME, on arrival
    chosen = st.session_state.get(PICK)
    if chosen and chosen not in groups:
        groups.insert(0, chosen)  # just queued: no run of it may be stored yet
    if not groups:
        st.info(t("bench.no_races"))
        return
    group = st.selectbox(t("bench.group"), groups, key=PICK)
    runs = group_runs(group)
    if not runs:
        st.info(t("bench.group_queued"))
        return
    table = api.bench_table(runs)
    if table.waiting:
        st.info(t("bench.waiting", done=table.finished, total=table.total, left=len(table.waiting)))
    if table.failed:
        st.warning(t("bench.failed", methods=", ".join(table.failed)))
    st.dataframe(table_frame(table.grid), hide_index=True, width="stretch", key="bench_table")
    st.caption(t("bench.caption"))
    if table.curves:
        step_curves(table)
    downloads(table.grid, group)


st.title(t("bench.title"))
st.caption(t("bench.intro"))
with calls.friendly(t("bench.load_failed")):
    launch_section()
with calls.friendly(t("bench.load_failed")):
    results_section()
