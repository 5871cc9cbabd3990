"""Lifelong NER Lab dashboard (entry point: `streamlit run app.py`).

Pages import `storage` and `engine.config` only: no torch or transformers at import time, so
every page renders in well under a second.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from storage import queries
from storage.db import read_session

st.set_page_config(page_title="Lifelong NER Lab", page_icon="🧠", layout="wide")
st.title("Lifelong NER Lab")
st.caption(
    "Fine-tune, meta-learn and continually train named-entity recognisers, and watch how the "
    "mapping from tokens to representations changes."
)

with read_session() as session:
    runs = queries.list_runs(session, limit=200)

if not runs:
    st.info(
        "No runs yet. Start one from a terminal: `python -m engine run examples/tiny_quick.yaml`"
    )
else:
    table = pd.DataFrame(
        [
            {
                "id": r.id,
                "name": r.name,
                "strategy": f"{r.kind}/{r.method}",
                "status": str(r.status),
                "device": r.device,
                "dev F1": r.summary.get("dev_f1"),
                "test F1": r.summary.get("test_f1"),
                "created": r.created_at,
            }
            for r in runs
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch", key="runs_table")
