"""Forgetting: what a continual run learned and lost, task by task (`?run=ID` or `?group=NAME`).

One run: ACC/BWT/FWT/forgetting, the R matrix (rows: before any task, after task 1..T; columns:
each task's test data) overall and per entity type, the forgetting curves (each task's F1 over
the stream), forgotten test sentences (gold vs predicted entities at each stage), and where
old-type tokens went after each task (drift), and for a pseudo-label run how many O words its
rule gave an old type in each task's data (its method_facts records). A strategy race (runs
sharing a group_name, as the Train wizard launches them) adds the runs side by side: metrics as
grouped bars and their matrices in a row. Everything is read from storage.continual and the
run summary.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from engine.figures import forgetting as figures_forgetting
from engine.figures import matrix as figures_matrix
from engine.figures import methods
from storage import continual as continual_store
from storage import queries
from storage.summary import RunSummary
from views.parts import bundle_ui, calls, fmt, highlight
from views.parts.i18n import t
from views.parts.pickers import pick_run

METRICS = ("acc", "bwt", "fwt", "forgetting")
RACE_COLUMNS = 4
NO_GROUP = ""
MAX_RUNS = 1000  # how many continual runs (newest first) the page offers; also a race's cap


# ---- small pure helpers -------------------------------------------------------------------------


def metric_text(key: str) -> tuple[str, str]:
    """(label, help) of a summary metric, in the user's language."""
    texts = {
        "acc": (t("forgetting.acc"), t("forgetting.acc_help")),
        "bwt": (t("forgetting.bwt"), t("forgetting.bwt_help")),
        "fwt": (t("forgetting.fwt"), t("forgetting.fwt_help")),
        "forgetting": (t("forgetting.forgetting"), t("forgetting.forgetting_help")),
    }
    return texts[key]


def task_labels(summary: RunSummary, count: int) -> list[str]:
    """'task 1: LOC' per task (1-based), from the summary's task list when there is one."""
    tasks = summary.continual.tasks if summary.continual else []
    labels = []
    for j in range(count):
        types = tasks[j].types if j < len(tasks) else None
        labels.append(
            t("forgetting.task_types", n=j + 1, types=", ".join(types))
            if types
            else t("forgetting.task", n=j + 1)
        )
    return labels


def stage_labels(count: int) -> list[str]:
    return [t("forgetting.before"), *(t("forgetting.after_task", n=i + 1) for i in range(count))]


def matrix_rows(matrix: continual_store.ScoreMatrix) -> list[list[float | None]]:
    """The baseline row, then R[0..T-1]: what the heatmap shows."""
    return [list(matrix.baseline), *(list(row) for row in matrix.values)]


def span_runs(tokens: list[str], spans: list[list[Any]]) -> list[tuple[str, str | None]]:
    """Words and [type, start, end) spans as the (text, type) runs that
    highlight.highlighted_html draws."""
    starts = {int(s[1]): (str(s[0]), int(s[2])) for s in spans if len(s) >= 3}
    runs: list[tuple[str, str | None]] = []
    i = 0
    while i < len(tokens):
        if i in starts and starts[i][1] > i:
            kind, end = starts[i]
            runs.append((" ".join(tokens[i:end]), kind))
            i = end
        else:
            runs.append((tokens[i], None))
            i += 1
    return runs


def matrix_figure(
    matrix: continual_store.ScoreMatrix, x: list[str], y: list[str], small: bool = False
) -> go.Figure:
    """The shared R matrix heatmap (engine.figures.matrix): categorical axes, one number per
    cell, empty cells for tasks not scored yet."""
    return figures_matrix.r_matrix(
        matrix.baseline,
        matrix.values,
        x,
        y,
        x_title=None if small else t("forgetting.scored_on"),
        small=small,
    )


# ---- choosing what to show ------------------------------------------------------------------


def choose(runs: list[queries.RunRow]) -> tuple[queries.RunRow, list[queries.RunRow]]:
    """The run to show, and the runs of its race group (empty when it has none)."""
    by_id = {r.id: r for r in runs}
    groups = sorted({r.group_name for r in runs if r.group_name})
    wanted_run = calls.query_int("run")
    wanted_group = st.query_params.get("group")
    if wanted_run is not None and wanted_run not in by_id:
        detail = calls.read(queries.get_run, wanted_run)
        if detail is None:
            st.info(t("forgetting.no_such_run", run_id=wanted_run))
        else:
            strategy = (
                f"{highlight.escape_text(detail.kind)}/{highlight.escape_text(detail.method)}"
            )
            st.info(t("forgetting.not_continual", run_id=wanted_run, strategy=strategy))
        wanted_run = None
    if wanted_group is None and wanted_run is not None:
        wanted_group = by_id[wanted_run].group_name
    options = [NO_GROUP, *groups]
    left, right = st.columns(2)
    group = left.selectbox(
        t("forgetting.race"),
        options,
        index=options.index(wanted_group) if wanted_group in options else 0,
        key="forget_group",
        format_func=fmt.label_lookup(options, lambda g: g or t("forgetting.no_race")),
        help=t("forgetting.race_help"),
    )
    members = race(group)
    by_id.update((r.id, r) for r in members)  # a race may reach back past the newest MAX_RUNS
    candidates = members or runs
    labels = {r.id: fmt.run_label(r) for r in candidates}
    run_id = pick_run(t("forgetting.run"), labels, wanted_run, "forget_run", where=right)
    chosen = by_id[run_id]
    if not members:
        members = race(chosen.group_name)
    return chosen, sorted(members, key=lambda r: r.id)


def race(group: str | None) -> list[queries.RunRow]:
    """The continual runs of one race group, newest first (none without a group)."""
    if not group:
        return []
    return calls.read(queries.list_runs, kind="continual", group_name=group, limit=MAX_RUNS)


# ---- sections -------------------------------------------------------------------------------


def metrics_section(row: queries.RunRow) -> None:
    stats = row.summary.continual
    cols = st.columns(len(METRICS))
    for col, key in zip(cols, METRICS, strict=True):
        label, help_text = metric_text(key)
        col.metric(label, fmt.format_score(stats.get(key) if stats else None), help=help_text)
    if not stats:
        st.caption(t("forgetting.metrics_later"))


def matrix_section(row: queries.RunRow) -> continual_store.ScoreMatrix | None:
    matrix = calls.read(continual_store.score_matrix, row.id, "f1")
    st.subheader(t("forgetting.matrix"))
    if matrix is None:
        st.info(t("forgetting.no_scores"))
        return None
    x = task_labels(row.summary, matrix.tasks)
    y = stage_labels(matrix.tasks)
    st.caption(t("forgetting.matrix_caption"))
    left, right = st.columns(2)
    left.plotly_chart(matrix_figure(matrix, x, y), key="forget_matrix")
    right.plotly_chart(curves_figure(matrix, x, y), key="forget_curves")
    kinds = [
        k for k in calls.read(continual_store.matrix_kinds, row.id) if k.startswith("type_f1:")
    ]
    if kinds:
        kind = st.selectbox(
            t("forgetting.per_type"),
            kinds,
            key="forget_type",
            format_func=lambda k: k.removeprefix("type_f1:"),
            help=t("forgetting.per_type_help"),
        )
        typed = calls.read(continual_store.score_matrix, row.id, kind)
        if typed is not None:
            st.plotly_chart(
                matrix_figure(typed, x, stage_labels(typed.tasks)), key="forget_type_matrix"
            )
    return matrix


def curves_figure(matrix: continual_store.ScoreMatrix, x: list[str], y: list[str]) -> go.Figure:
    """The forgetting curves: one line per task, its F1 before and after each task."""
    return figures_forgetting.forgetting_curves(matrix_rows(matrix), x, y)


def race_section(members: list[queries.RunRow]) -> None:
    st.subheader(
        t("forgetting.race_title", name=highlight.escape_text(members[0].group_name or ""))
    )
    finished = [r for r in members if r.summary.continual]
    if len(finished) < len(members):  # the bars fill in run by run; say so instead of empty axes
        st.info(t("forgetting.race_later", done=len(finished), total=len(members)))
    if finished:
        values = {
            f"#{r.id} {r.method}": [r.summary.continual.get(key) for key in METRICS]
            for r in finished
            if r.summary.continual
        }
        figure = methods.race_summary([metric_text(key)[0] for key in METRICS], values)
        st.plotly_chart(figure, key="forget_race_bars")
    for start in range(0, len(members), RACE_COLUMNS):
        cols = st.columns(RACE_COLUMNS)
        for col, r in zip(cols, members[start : start + RACE_COLUMNS], strict=False):
            matrix = calls.read(continual_store.score_matrix, r.id, "f1")
            col.markdown(
                f"**#{r.id} {highlight.escape_text(r.method)}** · {fmt.status_badge(r.status)}"
            )
            col.caption(t("forgetting.race_axes"))
            if matrix is None:
                col.caption(t("forgetting.no_matrix"))
                continue
            # short labels: "1".."T" are category names here, not numbers (engine.figures.matrix)
            x = [f"t{j + 1}" for j in range(matrix.tasks)]
            y = ["b", *(f"{i + 1}" for i in range(matrix.tasks))]
            col.plotly_chart(
                matrix_figure(matrix, x, y, small=True), key=f"forget_race_matrix_{r.id}"
            )


def forgotten_section(row: queries.RunRow) -> None:
    st.subheader(t("forgetting.forgotten"))
    found = calls.read(continual_store.records, row.id, kind="forgotten")
    payloads = [r.payload for r in found if r.payload.get("examples")]
    if not payloads:
        st.caption(t("forgetting.none_forgotten"))
        return
    by_task = {int(p["task"]): p for p in payloads}
    left, right = st.columns(2)
    task = left.selectbox(
        t("forgetting.task_label"),
        sorted(by_task),
        key="forget_task",
        format_func=fmt.label_lookup(
            sorted(by_task),
            lambda j: t(
                "forgetting.task_forgotten",
                n=j + 1,
                types=", ".join(by_task[j].get("types", [])),
                count=len(by_task[j]["examples"]),
            ),
        ),
    )
    examples = by_task[task]["examples"]
    index = right.selectbox(
        t("forgetting.example"),
        range(len(examples)),
        key="forget_example",
        format_func=lambda k: " ".join(examples[k]["tokens"])[:80],
    )
    example = examples[index if index is not None and index < len(examples) else 0]
    tokens = [str(word) for word in example["tokens"]]
    gold = example.get("gold", [])
    predicted = example.get("predicted", {})
    types = {s[0] for s in gold} | {s[0] for spans in predicted.values() for s in spans}
    colours = highlight.entity_colours(sorted(types))
    task_types = set(by_task[task].get("types", []))
    lines = [(t("forgetting.gold"), gold, None)]
    for stage in sorted(predicted, key=int):
        spans = predicted[stage]
        mine = sorted(tuple(s) for s in spans if s[0] in task_types)
        ok = mine == sorted(tuple(s) for s in gold)
        lines.append((t("forgetting.after_task", n=int(stage) + 1), spans, ok))
    body = "".join(
        f'<div style="margin:0.3em 0;line-height:1.9"><b>{highlight.escape_text(label)}</b>'
        f"{'' if ok is None else (' ✅' if ok else ' ❌')}: "
        f"{highlight.highlighted_html(span_runs(tokens, spans), colours)}</div>"
        for label, spans, ok in lines
    )
    st.markdown(body, unsafe_allow_html=True)
    st.caption(t("forgetting.check_legend"))


def drift_section(row: queries.RunRow) -> None:
    st.subheader(t("forgetting.drift"))
    found = calls.read(continual_store.records, row.id, kind="drift")
    stages = sorted(
        (r.payload for r in found if isinstance(r.payload.get("types"), dict)),
        key=lambda p: int(p.get("after_task", 0)),
    )
    types = sorted({kind for p in stages for kind in p["types"]})
    if not types:
        st.caption(t("forgetting.no_drift"))
        return
    kind = st.selectbox(
        t("forgetting.entity_type"),
        types,
        key="forget_drift_type",
        help=t("forgetting.drift_help"),
    )
    x, same, to_o, others = [], [], [], {}
    for p in stages:
        counts = p["types"].get(kind)
        if not counts:
            continue
        x.append(t("forgetting.after_task", n=int(p.get("after_task", 0)) + 1))
        same.append(counts.get("same", 0))
        to_o.append(counts.get("O", 0))
        for other, n in (counts.get("other") or {}).items():
            others.setdefault(other, {})[x[-1]] = n
    figure = figures_forgetting.drift_bars(
        x,
        same,
        to_o,
        {
            t("forgetting.as_other", other=other): [values.get(s, 0) for s in x]
            for other, values in sorted(others.items())
        },
        kept_name=t("forgetting.kept", kind=kind),
        background_name=t("forgetting.background"),
        y_title=t("forgetting.test_words"),
    )
    st.plotly_chart(figure, key="forget_drift_chart")


def pseudo_label_section(row: queries.RunRow) -> None:
    """Per task, how many O words the pseudo-label rule gave an old type (method_facts)."""
    found = calls.read(continual_store.records, row.id, kind="method_facts")
    facts = [r.payload for r in found if "relabelled" in r.payload]
    if not facts:
        return
    st.markdown(f"**{t('forgetting.pseudo_title')}**")
    lines = []
    for fact in facts:
        line = t(
            "forgetting.pseudo_facts",
            n=int(fact["task"]) + 1,
            relabelled=f"{int(fact['relabelled']):,}",
            o_words=f"{int(fact['o_words']):,}",
        )
        lowered = fact.get("thresholds") or {}
        if lowered:
            listed = ", ".join(f"{label} {v:.2f}" for label, v in lowered.items())
            line += t("forgetting.pseudo_thresholds", thresholds=listed)
        elif "threshold" in fact:
            line += t("forgetting.pseudo_fixed", threshold=fact["threshold"])
        lines.append(f"- {highlight.escape_text(line)}")
    st.markdown("\n".join(lines))


# ---- the page -------------------------------------------------------------------------------


def page() -> None:
    st.title(t("forgetting.title"))
    runs = calls.read(queries.list_runs, kind="continual", limit=MAX_RUNS)
    if not runs:
        wanted = calls.query_int("run")
        if wanted is not None:
            st.info(t("forgetting.not_continual_short", run_id=wanted))
        st.info(t("forgetting.no_continual"))
        st.page_link("views/train.py", label=t("forgetting.go_to_train"), icon="🚀")
        return
    chosen, members = choose(runs)
    st.markdown(
        t(
            "forgetting.chosen",
            badge=fmt.status_badge(chosen.status),
            name=highlight.escape_text(chosen.name),
            method=highlight.escape_text(chosen.method),
        )
    )
    with calls.friendly(t("errors.summary_metrics")):
        metrics_section(chosen)
    with calls.friendly(t("errors.matrix")):
        matrix_section(chosen)
    if members:
        with calls.friendly(t("errors.race")):
            race_section(members)
            bundle_ui.race_share(members)
    with calls.friendly(t("errors.forgotten")):
        forgotten_section(chosen)
    with calls.friendly(t("errors.drift")):
        drift_section(chosen)
        pseudo_label_section(chosen)


page()
