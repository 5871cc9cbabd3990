"""What the dashboard's pages share; none of it is a page (app.py registers only views/*.py).

calls       storage reads and engine.api calls: friendly errors, cached reads, job upkeep
fmt         status badges, durations, scores, translated labels
settings    a run's config as a person reads it (YAML, differing settings)
highlight   entities coloured on their text
downloads   metrics CSV, checkpoint zip, a run's Downloads row
i18n        the language switch and `t(key)` over locales/*.yaml
wizard_*    the Train wizard's parts; lesson_* the Lessons page's; the rest one part each

May import: streamlit, storage, engine.api and engine.config (torch-free), and each other.
"""

# Imported here, before any page draws, on purpose: plotly looks pandas up in sys.modules
# without importing it, so on a fresh server a page in one session could see the half-imported
# pandas of another session's thread ("partially initialized module 'pandas'"). An explicit
# import blocks until pandas is complete.
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
