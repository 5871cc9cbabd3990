"""Lifelong NER Lab dashboard (entry point: `streamlit run app.py`).

Routes to the page scripts in `views/` with st.navigation. Pages import `storage`, `engine.api` and
`engine.config` only: no torch or transformers at import time, so every page renders in well
under a second. Each rerun also lets the launcher start queued jobs and mark lost ones
(throttled to once every few seconds, see views.parts.calls.reconcile_jobs).
"""

from __future__ import annotations

import streamlit as st

from views.parts import calls, i18n
from views.parts.i18n import t

st.set_page_config(page_title="Lifelong NER Lab", page_icon="🧠", layout="wide")
i18n.sync()  # the language (session, or ?lang= on a first visit) before any text is made

PAGES = [
    st.Page("views/home.py", title=t("nav.home"), icon="🏠", default=True),
    st.Page("views/data.py", title=t("nav.data"), icon="📚"),
    st.Page("views/train.py", title=t("nav.train"), icon="🚀"),
    st.Page("views/runs.py", title=t("nav.runs"), icon="📈"),
    st.Page("views/forgetting.py", title=t("nav.forgetting"), icon="🧠"),
    st.Page("views/meta.py", title=t("nav.meta"), icon="🎯"),
    st.Page("views/compare.py", title=t("nav.compare"), icon="⚖️"),
    st.Page("views/embeddings.py", title=t("nav.embeddings"), icon="🗺️"),
    st.Page("views/playground.py", title=t("nav.playground"), icon="🔍"),
    st.Page("views/lessons.py", title=t("nav.lessons"), icon="🎓"),
    st.Page("views/benchmarks.py", title=t("nav.benchmarks"), icon="🏆"),
]

# The page scripts live in views/, never in a folder named `pages/`: beside app.py that name
# turns on Streamlit's old folder-based pages, and a fresh server then ran a deep link
# (/runs?run=3) as that bare script, without app.py: no sidebar, no language, no reconcile.
# Our own sidebar links, and st.navigation hidden (.streamlit/config.toml hides its menu too).
page = st.navigation(PAGES, position="hidden")
with st.sidebar:
    for entry in PAGES:
        st.page_link(entry, label=entry.title, icon=entry.icon)
    st.divider()
    i18n.language_switch()
calls.reconcile_jobs()
page.run()
