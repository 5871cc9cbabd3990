"""Home: what the lab is for, the machine it runs on, running and recent jobs, and "Try it"."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine import api
from engine.config import parse_config
from storage import queries
from storage.models import RunStatus
from views.parts import calls, fmt, highlight, wizard_estimate
from views.parts.i18n import t

# examples/tiny_quick.yaml: a 2-layer BERT from scratch on 600 built-in news sentences.
TRY_IT_CONFIG = {
    "name": "try-it",
    "data": {"train": "builtin:news", "max_train_sentences": 600},
    "backbone": "tiny",
    "train": {"epochs": 4, "batch_size": 32, "lr": 3.0e-3},
}

st.title(t("home.title"))
st.markdown(t("home.intro"))

left, right = st.columns([2, 1])
with left:
    st.subheader(t("home.try_it"))
    st.write(t("home.try_it_text"))
    # this machine's estimate, from its earlier runs (engine.runs.estimate), not a fixed number
    estimate = wizard_estimate.estimate(parse_config(TRY_IT_CONFIG))
    label = t("home.try_it_button")
    if estimate is not None:
        label = t("estimate.try_it_button", range=wizard_estimate.range_text(estimate))
    clicked = st.button(label, key="home_try_it", type="primary")
    if estimate is not None:
        basis = wizard_estimate.basis_text(estimate)
        st.caption(t("estimate.line", range=wizard_estimate.range_text(estimate), basis=basis))
    if clicked:
        run_id = None
        with calls.friendly(t("errors.start_example")):
            run_id = api.submit(parse_config(TRY_IT_CONFIG))
        if run_id is not None:
            st.switch_page("views/runs.py", query_params={"run": str(run_id)})

with right:
    st.subheader(t("home.machine"))
    with calls.friendly(t("errors.read_machine")):
        info = calls.machine()
        gpus = info.get("gpus") or []
        st.metric(t("home.cpu_cores"), info.get("cpu_count") or "?")
        st.caption(t("home.memory", memory=fmt.format_memory(info)))
        if gpus:
            st.caption(t("home.gpu", gpus=", ".join(fmt.gpu_label(g) for g in gpus)))
        else:
            st.caption(t("home.no_gpu"))
        st.caption(t("home.jobs_at_once", n=info.get("max_concurrent_jobs", "?")))

with calls.friendly(t("errors.load_runs")):
    runs = calls.read(queries.list_runs, limit=50)
    active = [r for r in runs if r.status in fmt.ACTIVE_STATES]
    st.subheader(t("home.running", n=len(active)))
    if not active:
        st.caption(t("home.nothing_running"))
    for row in active:
        st.markdown(
            f"{fmt.status_badge(row.status)} **#{row.id} {highlight.escape_text(row.name)}** · "
            f"{row.kind}/{row.method} · {row.device or t('home.device_not_chosen')} · "
            f"{fmt.format_duration(fmt.duration_s(row.started_at, row.finished_at))}"
        )

    st.subheader(t("home.recent"))
    if not runs:
        st.info(t("home.no_runs"))
    else:
        table = pd.DataFrame(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "status": fmt.status_label(r.status),
                    "strategy": f"{r.kind}/{r.method}",
                    "dev F1": fmt.score_cell(r.summary.dev_f1),
                    "test F1": fmt.score_cell(r.summary.test_f1),
                    "duration": fmt.format_duration(fmt.duration_s(r.started_at, r.finished_at)),
                    "created": fmt.format_time(r.created_at),
                }
                for r in runs[:10]
            ]
        )
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            key="home_recent",
            column_config=fmt.run_table_columns(),
        )
        failed = sum(r.status == RunStatus.FAILED for r in runs)
        if failed:
            st.caption(t("home.failed", failed=failed, total=len(runs)))
        st.page_link("views/runs.py", label=t("home.all_runs"), icon="📈")
