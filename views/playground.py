"""Playground: type a sentence, tag it with one or two checkpoints, see the entities side by side.

Any finished run with a checkpoint, at any stage a continual run kept (after task 0, 1, ...),
so a class can watch one sentence forget: PER found after task 0, gone after task 2. Tagging
runs in a subprocess (`engine.api.predict_text` -> `python -m engine predict`), never torch in
this process; results are cached per (run, stage, text). `?run=ID` preselects a run; otherwise
the newest run whose checkpoint can tag entities (not a meta run's encoder, which knows only O).
Below, a whole file is pre-annotated and downloaded (views/parts/pre_annotate.py).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from engine import api
from storage import queries
from storage.models import RunStatus
from views.parts import calls, fmt, highlight, pre_annotate
from views.parts import playground_view as view
from views.parts.i18n import t
from views.parts.pickers import no_runs_yet, pick_run
from views.parts.stages import stage_label

EXAMPLES = {
    "en": "Angela Merkel met John Smith of Reuters in Paris on Monday .",
    "zh": "王小明昨天在北京会见了华星科技公司的代表。",
}
SIDES = ("a", "b")
FINISHED = (RunStatus.SUCCEEDED, RunStatus.STOPPED)
UNTAGGED_KINDS = ("pretrain",)  # a masked-LM checkpoint has no entity head to tag with
NO_ENTITY_HEAD_KINDS = ("meta",)  # listed, but never the default: its head knows only O


@st.cache_data(max_entries=256, show_spinner=False)
def tagged(run_id: int, stage: str, text: str) -> dict[str, Any]:
    return api.predict_text(run_id, stage, text)


@st.cache_data(ttl=15, show_spinner=False)
def runs_with_checkpoints() -> list[view.RunChoice]:
    """Finished runs that kept a checkpoint, newest first."""
    rows = [r for s in FINISHED for r in calls.read(queries.list_runs, status=s, limit=200)]
    found = []
    for row in sorted(rows, key=lambda r: r.id, reverse=True):
        if row.kind in UNTAGGED_KINDS:
            continue
        stages = api.checkpoint_stages(row.id)
        if stages:
            label = f"#{row.id} {row.name} ({row.kind}/{row.method})"
            tags = row.kind not in NO_ENTITY_HEAD_KINDS and api.can_tag(stages[-1].path)
            found.append(view.RunChoice(row.id, label, [s.name for s in stages], tags))
    return found


def default_run_id(runs: list[view.RunChoice]) -> int:
    """`?run=ID`, else the newest run that can tag entities, else the newest."""
    wanted = calls.query_int("run")
    if wanted is not None:
        return wanted
    return next((run.id for run in runs if run.can_tag), runs[0].id)


def _set_example(lang: str) -> None:
    st.session_state["pg_text"] = EXAMPLES[lang]


def picker(side: str, runs: list[view.RunChoice], default_run: int, last: bool):
    """A run and one of its stages; the default stage is the first (side a) or the last."""
    labels = {run.id: run.label for run in runs}
    run_id = pick_run(t("playground.run"), labels, default_run, f"pg_run_{side}")
    stages = next(run.stages for run in runs if run.id == run_id)
    stage = st.selectbox(
        t("playground.stage"),
        stages,
        index=len(stages) - 1 if last else 0,
        format_func=fmt.label_lookup(stages, stage_label),
        key=f"pg_stage_{side}_{run_id}",  # per run: another run's stages are other options
    )
    return run_id, stage


def result_panel(run_id: int, stage: str, result: dict[str, Any], colours: dict[str, str]):
    st.markdown(f"**{t('playground.side_title', run_id=run_id, stage=stage_label(stage))}**")
    st.markdown(
        '<div style="font-size:1.15em;line-height:2.2;padding:8px 12px;border:1px solid #ddd;'
        f'border-radius:6px">{view.highlighted(result, colours)}</div>',
        unsafe_allow_html=True,
    )
    if result["entities"]:
        st.dataframe(
            pd.DataFrame(view.entity_rows(result["entities"])),
            hide_index=True,
            width="stretch",
            column_config={"confidence": st.column_config.NumberColumn(format="%.2f")},
        )
    else:
        st.caption(t("playground.no_entities"))
    with st.expander(t("playground.every_word")):
        st.dataframe(pd.DataFrame(view.word_rows(result)), hide_index=True, width="stretch")


def changes(results: list[tuple[int, str, dict[str, Any]]]) -> None:
    (run_a, stage_a, a), (run_b, stage_b, b) = results
    gone, added, kept = view.entity_changes(a, b)
    st.subheader(t("playground.changes"))
    st.caption(
        t(
            "playground.changes_caption",
            a=stage_label(stage_a),
            b=stage_label(stage_b),
            kept=len(kept),
        )
    )
    left, right = st.columns(2)
    left.markdown(f"**{t('playground.only_in', side=stage_label(stage_a))}**")
    left.write(", ".join(f"{e['text']} ({e['type']})" for e in gone) or "-")
    right.markdown(f"**{t('playground.only_in', side=stage_label(stage_b))}**")
    right.write(", ".join(f"{e['text']} ({e['type']})" for e in added) or "-")


def page() -> None:
    st.title(t("playground.title"))
    st.caption(t("playground.intro"))
    runs = runs_with_checkpoints()
    if no_runs_yet(runs, t("playground.no_runs"), t("playground.go_train")):
        return
    st.session_state.setdefault("pg_text", EXAMPLES["en"])
    st.text_area(t("playground.text"), key="pg_text", height=90, max_chars=2000)
    a, b, _ = st.columns(3)
    a.button(t("playground.example_en"), key="pg_example_en", on_click=_set_example, args=("en",))
    b.button(t("playground.example_zh"), key="pg_example_zh", on_click=_set_example, args=("zh",))
    default_run = default_run_id(runs)
    compare = st.toggle(t("playground.compare"), value=True, key="pg_compare")
    pickers = st.columns(2 if compare else 1)
    chosen = []
    for side, column in zip(SIDES, pickers, strict=False):
        with column:
            chosen.append(picker(side, runs, default_run, last=side == "b"))
    if st.button(t("playground.tag"), type="primary", key="pg_tag"):
        st.session_state["pg_go"] = True
    text = st.session_state.get("pg_text", "").strip()
    if st.session_state.get("pg_go") and text:
        tag_sentence(chosen, text)
    pre_annotate.section(runs, default_run, stage_label)


def tag_sentence(chosen: list[tuple[int, str]], text: str) -> None:
    """Tag `text` with each chosen (run, stage), side by side, and what changed between them."""
    columns = st.columns(len(chosen))  # below the button: results read top to bottom
    results: list[tuple[int, str, dict[str, Any]] | None] = []
    for (run_id, stage), column in zip(chosen, columns, strict=True):
        with column, st.spinner(t("playground.tagging")):
            try:
                results.append((run_id, stage, tagged(run_id, stage, text)))
            except api.PredictError as err:
                st.error(t("playground.error", reason=str(err)))
                results.append(None)
    done = [r for r in results if r is not None]
    colours = highlight.entity_colours(view.entity_types(*(r for _, _, r in done)))
    for found, column in zip(results, columns, strict=True):
        if found is not None:
            with column:
                result_panel(*found, colours)
    if len(done) == 2:
        changes(done)


with calls.friendly(t("playground.show")):
    page()
