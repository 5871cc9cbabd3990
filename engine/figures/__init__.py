"""Every chart of the lab, drawn once: the dashboard's pages and the static HTML report (and
its PNG export) call the same functions, so a matrix or a curve looks the same everywhere.

style       margins, the one score colour scale, curve colours
matrix      heatmaps with categorical axes and a number in each cell (R matrix, CKA)
curves      metric curves (raw and smoothed loss, dev F1 on [0, 1]), overlays, `ema`
forgetting  forgetting curves (each task's F1 over the stream) and where old types went
bars        grouped bars and per-type precision/recall/F1
confusion   gold type x predicted type counts
methods     methods side by side: race summaries, mean ± CI bars, adaptation curves
embeddings  the token map per stage (scatter, animation, arrows)
embedding_stats  how the map changed (silhouette, CKA, centroid shift); the prototype map

The lesson charts are made from these same modules (views.parts.lesson_charts binds labels).
Every title, axis name, stage and legend text is passed in by the caller, so a figure is in
the caller's language; the defaults are English for the static report.

May import: plotly, numpy, pandas. Nothing of torch, storage or streamlit: pages import this
package, and it must stay cheap and pure (functions of plain values returning go.Figure).
"""
