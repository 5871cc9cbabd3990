"""Lifelong NER Lab dashboard (entry point: `streamlit run app.py`).

Routes to the pages in `pages/` with st.navigation. Pages import `storage`, `engine.api` and
`engine.config` only: no torch or transformers at import time, so every page renders in well
under a second. Each rerun also lets the launcher start queued jobs and mark lost ones
(throttled to once every few seconds, see pages.parts.calls.reconcile_jobs).
"""

from __future__ import annotations

import streamlit as st

from pages.parts import calls, i18n
from pages.parts.i18n import t

st.set_page_config(page_title="Lifelong NER Lab", page_icon="🧠", layout="wide")
i18n.sync()  # the language (session, or ?lang= on a first visit) before any text is made

PAGES = [
    st.Page("pages/home.py", title=t("nav.home"), icon="🏠", default=True),
    st.Page("pages/data.py", title=t("nav.data"), icon="📚"),
    st.Page("pages/train.py", title=t("nav.train"), icon="🚀"),
    st.Page("pages/runs.py", title=t("nav.runs"), icon="📈"),
    st.Page("pages/forgetting.py", title=t("nav.forgetting"), icon="🧠"),
    st.Page("pages/meta.py", title=t("nav.meta"), icon="🎯"),
    st.Page("pages/compare.py", title=t("nav.compare"), icon="⚖️"),
    st.Page("pages/embeddings.py", title=t("nav.embeddings"), icon="🗺️"),
    st.Page("pages/playground.py", title=t("nav.playground"), icon="🔍"),
    st.Page("pages/lessons.py", title=t("nav.lessons"), icon="🎓"),
    st.Page("pages/benchmarks.py", title=t("nav.benchmarks"), icon="🏆"),
]

# Our own sidebar links, and st.navigation hidden: with a `pages/` folder beside app.py,
# Streamlit's first run in a fresh server would otherwise draw its old folder-based menu
# (file names, helper modules included) instead of these titles (.streamlit/config.toml hides it).
page = st.navigation(PAGES, position="hidden")
with st.sidebar:
    for entry in PAGES:
        st.page_link(entry, label=entry.title, icon=entry.icon)
    st.divider()
    i18n.language_switch()
calls.reconcile_jobs()
page.run()
