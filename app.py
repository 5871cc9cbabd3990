"""Lifelong NER Lab dashboard (entry point: `streamlit run app.py`).

Routes to the pages in `pages/` with st.navigation. Pages import `storage`, `engine.jobs` and
`engine.config` only: no torch or transformers at import time, so every page renders in well
under a second. Each rerun also lets the launcher start queued jobs and mark lost ones
(throttled to once every few seconds, see pages.ui.reconcile_jobs).
"""

from __future__ import annotations

import streamlit as st

from pages import ui

st.set_page_config(page_title="Lifelong NER Lab", page_icon="🧠", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/data.py", title="Data", icon="📚"),
    st.Page("pages/train.py", title="Train", icon="🚀"),
    st.Page("pages/runs.py", title="Runs", icon="📈"),
    st.Page("pages/forgetting.py", title="Forgetting", icon="🧠"),
    st.Page("pages/compare.py", title="Compare", icon="⚖️"),
]

# Our own sidebar links, and st.navigation hidden: with a `pages/` folder beside app.py,
# Streamlit's first run in a fresh server would otherwise draw its old folder-based menu
# (file names, helper modules included) instead of these titles (.streamlit/config.toml hides it).
page = st.navigation(PAGES, position="hidden")
with st.sidebar:
    for entry in PAGES:
        st.page_link(entry, label=entry.title, icon=entry.icon)
ui.reconcile_jobs()
page.run()
