"""The Playground's "pre-annotate a file": upload text or JSONL, tag it, download predictions.

Tagging runs in a subprocess (engine.api.predict_file -> `python -m engine predict --input`),
never torch in the dashboard; the result is cached per (run, stage, file). Any download format
is rendered from that one result (engine.api.render_predictions), so changing the format does
not run the model again. Closes the loop annotate -> train -> pre-annotate -> correct -> retrain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from engine import api
from views.parts import fmt, highlight
from views.parts import playground_view as view
from views.parts.i18n import t
from views.parts.pickers import pick_run
from views.parts.uploader import file_uploader

SHOWN_DOCUMENTS = 5
SUFFIXES = {"labelstudio": "json", "conll": "conll"}  # the others are JSON Lines
MIME = {"json": "application/json", "conll": "text/plain", "jsonl": "application/jsonl"}


@st.cache_data(max_entries=16, show_spinner=False)
def tagged_file(run_id: int, stage: str, name: str, data: bytes) -> api.PredictedFile:
    return api.predict_file(run_id, stage, name, data)


def section(
    runs: Sequence[view.RunChoice], default_run: int, stage_label: Callable[[str], str]
) -> None:
    """Upload, choose run / stage / format, tag, and show and offer the predictions."""
    st.divider()
    st.subheader(t("playground.file.heading"))
    st.caption(t("playground.file.intro"))
    uploaded = file_uploader(
        t("playground.file.label"), key="pg_file", help=t("playground.file.help")
    )
    if uploaded is None:
        return
    labels = {run.id: run.label for run in runs}
    left, middle, right = st.columns(3)
    run_id = pick_run(t("playground.run"), labels, default_run, "pg_file_run", where=left)
    stages = next(run.stages for run in runs if run.id == run_id)
    stage = middle.selectbox(
        t("playground.stage"),
        stages,
        index=len(stages) - 1,
        format_func=fmt.label_lookup(stages, stage_label),
        key=f"pg_file_stage_{run_id}",
    )
    formats = list(api.PREDICTION_FORMATS)
    chosen = right.selectbox(
        t("playground.file.format"),
        formats,
        format_func=fmt.label_lookup(formats, lambda key: t(f"playground.file.fmt.{key}")),
        key="pg_file_format",
    )
    if st.button(t("playground.file.tag"), type="primary", key="pg_file_tag"):
        st.session_state["pg_file_go"] = uploaded.file_id
    if st.session_state.get("pg_file_go") != uploaded.file_id:
        return
    with st.spinner(t("playground.file.tagging")):
        try:
            done = tagged_file(run_id, stage, uploaded.name, uploaded.getvalue())
        except api.PredictError as err:
            st.error(t("playground.error", reason=str(err)))
            return
    show(done, chosen)


def show(done: api.PredictedFile, chosen: str) -> None:
    rows = view.file_entity_rows(done.predictions)
    st.caption(
        t(
            "playground.file.summary",
            docs=len(done.predictions),
            tokens=f"{done.tokens:,}",
            entities=len(rows),
            seconds=done.seconds,
        )
    )
    colours = highlight.entity_colours(sorted({row["type"] for row in rows}))
    shown = done.predictions[:SHOWN_DOCUMENTS]
    st.markdown(t("playground.file.shown", n=len(shown)))
    body = "".join(
        '<div style="line-height:2.1;padding:4px 10px;margin:4px 0;border:1px solid #ddd;'
        f'border-radius:6px">{view.highlighted(view.as_result(p), colours)}</div>'
        for p in shown
    )
    st.markdown(body, unsafe_allow_html=True)
    if rows:
        columns = ("document", "type", "text", "start", "end", "confidence")
        names = {c: t(f"playground.file.col.{c}") for c in columns}
        config = fmt.column_labels(names)
        config["confidence"] = st.column_config.NumberColumn(names["confidence"], format="%.2f")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config=config)
    else:
        st.caption(t("playground.file.none"))
    suffix = SUFFIXES.get(chosen, "jsonl")
    st.download_button(
        t("playground.file.download"),
        api.render_predictions(done.predictions, chosen, model_version=done.model_version),
        file_name=f"predictions-run{done.run_id}-{done.stage}.{suffix}",
        mime=MIME[suffix],
        key="pg_file_download",
        icon="⬇️",
    )
