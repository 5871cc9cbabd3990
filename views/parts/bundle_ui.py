"""Sharing runs: report (HTML), bundle (zip), charts (PNG) downloads, and importing a bundle.

Not a page: the Runs page calls `run_share` on a run's page and `import_section` under the run
list; the Forgetting page calls `race_share` under a strategy race. Everything goes through the
engine.api facade (engine.runs.bundle, engine.runs.bundle_import, engine.runs.chart_export); the
report and
bundle are built only when their button is clicked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from engine import api
from views.parts import calls
from views.parts.i18n import t
from views.parts.uploader import file_uploader

FINISHED = ("SUCCEEDED", "FAILED", "STOPPED")


def _png_key(slug: str) -> str:
    return f"share_png_{slug}"


def share_buttons(run_ids: list[int], slug: str, file_stem: str) -> None:
    """Report, bundle and PNG charts of `run_ids`; `slug` keeps widget keys unique per place."""
    a, b, c = st.columns(3)
    # (name, label, help, what builds the file when clicked, extension, mime)
    built_on_click = (
        ("report", t("bundle.report"), t("bundle.report_help"),
         lambda: api.report_html(run_ids), "html", "text/html"),
        ("bundle", t("bundle.bundle"), t("bundle.bundle_help"),
         lambda: api.bundle_bytes(run_ids), "zip", "application/zip"),
    )  # fmt: skip
    for column, (name, label, help_text, build, ext, mime) in zip(
        (a, b), built_on_click, strict=True
    ):
        column.download_button(
            label, data=build, file_name=f"{file_stem}-{name}.{ext}", mime=mime,
            key=f"share_{name}_{slug}", on_click="ignore", help=help_text,
        )  # fmt: skip
    ready: Any = st.session_state.get(_png_key(slug))
    if isinstance(ready, bytes):
        c.download_button(
            t("bundle.png_ready"),
            data=ready,
            file_name=f"{file_stem}-charts.zip",
            mime="application/zip",
            key=f"share_png_download_{slug}",
            on_click="ignore",
        )
    elif c.button(t("bundle.png_prepare"), key=f"share_png_prepare_{slug}"):
        with st.spinner(t("bundle.png_drawing")):
            try:
                st.session_state[_png_key(slug)] = api.charts_png_zip(run_ids)
                st.rerun()
            except api.ChartExportError as err:
                st.warning(t("bundle.png_failed", reason=str(err)))


def run_share(run_id: int, status: str) -> None:
    st.subheader(t("bundle.title"))
    if str(status) not in FINISHED:
        st.caption(t("bundle.unfinished"))
        return
    with calls.friendly(t("bundle.error_share")):
        share_buttons([run_id], f"run{run_id}", f"run-{run_id}")


def race_share(members: Sequence[Any]) -> None:
    """The finished runs of a strategy race, as one report / bundle."""
    done = [m.id for m in members if str(m.status) in FINISHED]
    st.markdown(f"**{t('bundle.race_title')}**")
    if len(done) < len(members):
        st.caption(t("bundle.race_partial", done=len(done), total=len(members)))
    if done:
        with calls.friendly(t("bundle.error_share")):
            share_buttons(done, "race", f"race-{done[0]}")


def import_section() -> None:
    with st.expander(t("bundle.import_title")):
        st.caption(t("bundle.import_help"))
        upload = file_uploader(t("bundle.import_file"), types=("zip",), key="bundle_upload")
        if not st.button(t("bundle.import_button"), key="bundle_import", disabled=upload is None):
            return
        try:
            new_ids = api.import_bundle(upload)
        except api.BundleError as err:
            st.error(t("bundle.import_failed", reason=str(err)))
            return
        st.success(t("bundle.imported", count=len(new_ids), ids=", ".join(map(str, new_ids))))
        for run_id in new_ids:
            st.page_link(
                "views/runs.py",
                label=t("bundle.open_run", run_id=run_id),
                query_params={"run": str(run_id)},
            )
