"""Home: what the lab is for, the machine it runs on, running and recent jobs, and "Try it"."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import jobs
from engine.config import parse_config
from pages import ui
from storage import queries
from storage.models import RunStatus

# examples/tiny_quick.yaml: a 2-layer BERT from scratch on 600 built-in news sentences.
TRY_IT_CONFIG = {
    "name": "try-it",
    "data": {"train": "builtin:news", "max_train_sentences": 600},
    "backbone": "tiny",
    "train": {"epochs": 4, "batch_size": 32, "lr": 3.0e-3},
}

st.title("Lifelong NER Lab")
st.markdown(
    "Train named-entity recognisers and watch what happens. A model is a **mapping** from "
    "tokens to a representation space; fine-tuning, meta-learning and continual learning are "
    "different ways to move that mapping, and *forgetting* is what happens to old inputs when "
    "it moves. Import data on **Data**, build a run on **Train**, follow it on **Runs**, "
    "watch continual runs forget on **Forgetting**, and put runs side by side on **Compare**."
)

left, right = st.columns([2, 1])
with left:
    st.subheader("Try it")
    st.write(
        "One click trains a tiny 2-layer BERT from scratch on 600 built-in (synthetic) news "
        "sentences: about 15 s on a laptop CPU, enough to see the loss fall and F1 rise."
    )
    if st.button("▶ Try it: train a tiny model", key="home_try_it", type="primary"):
        run_id = None
        with ui.friendly("start the example run"):
            run_id = jobs.submit(parse_config(TRY_IT_CONFIG))
        if run_id is not None:
            st.switch_page("pages/runs.py", query_params={"run": str(run_id)})

with right:
    st.subheader("This machine")
    with ui.friendly("read the machine's details"):
        info = ui.machine()
        gpus = info.get("gpus") or []
        st.metric("CPU cores", info.get("cpu_count") or "?")
        st.caption(f"Memory: {ui.format_memory(info)}")
        if gpus:
            st.caption("GPU: " + ", ".join(ui.gpu_label(g) for g in gpus))
        else:
            st.caption("GPU: none (training runs on the CPU)")
        st.caption(f"Jobs at once: {info.get('max_concurrent_jobs', '?')}")

with ui.friendly("load the runs"):
    runs = ui.read(queries.list_runs, limit=50)
    active = [r for r in runs if r.status in ui.ACTIVE_STATES]
    st.subheader(f"Running and queued ({len(active)})")
    if not active:
        st.caption("Nothing is running.")
    for row in active:
        st.markdown(
            f"{ui.status_badge(row.status)} **#{row.id} {ui.escape_text(row.name)}** · "
            f"{row.kind}/{row.method} · {row.device or 'device not chosen yet'} · "
            f"{ui.format_duration(ui.duration_s(row.started_at, row.finished_at))}"
        )

    st.subheader("Recent runs")
    if not runs:
        st.info("No runs yet: press **Try it** above, or build one on the **Train** page.")
    else:
        table = pd.DataFrame(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "status": ui.status_label(r.status),
                    "strategy": f"{r.kind}/{r.method}",
                    "dev F1": r.summary.get("dev_f1"),
                    "test F1": r.summary.get("test_f1"),
                    "duration": ui.format_duration(ui.duration_s(r.started_at, r.finished_at)),
                    "created": ui.format_time(r.created_at),
                }
                for r in runs[:10]
            ]
        )
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            key="home_recent",
            column_config={
                "dev F1": st.column_config.NumberColumn(format="%.3f"),
                "test F1": st.column_config.NumberColumn(format="%.3f"),
            },
        )
        failed = sum(r.status == RunStatus.FAILED for r in runs)
        if failed:
            st.caption(f"{failed} of the last {len(runs)} runs failed: see **Runs** for why.")
        st.page_link("pages/runs.py", label="All runs →", icon="📈")
