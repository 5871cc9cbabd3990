"""The Downloads row of a run's page: its config (YAML), every metric point (CSV) and its
checkpoint (zip). The CSV and the zip are built only when their button is clicked.

Not a page (app.py does not register it); pages/runs.py draws it."""

from __future__ import annotations

import streamlit as st

from pages import ui
from pages.i18n import t
from storage import queries


def downloads(detail: queries.RunDetail) -> None:
    st.subheader(t("runs.downloads"))
    a, b, c = st.columns(3)
    a.download_button(
        t("runs.dl_config"),
        data=ui.config_yaml(detail.config),
        file_name=f"run-{detail.id}-config.yaml",
        mime="application/x-yaml",
        key="run_download_config",
        on_click="ignore",
    )
    b.download_button(
        t("runs.dl_metrics"),
        data=lambda: ui.metrics_csv(detail.id),
        file_name=f"run-{detail.id}-metrics.csv",
        mime="text/csv",
        key="run_download_metrics",
        on_click="ignore",
    )
    checkpoint = ui.checkpoint_path(detail)
    if checkpoint is None:
        active = detail.status in ui.ACTIVE_STATES
        c.caption(t("runs.no_checkpoint_yet") if active else t("runs.no_checkpoint"))
    else:
        c.download_button(
            t("runs.dl_checkpoint"),
            data=lambda: ui.zip_folder(checkpoint),
            file_name=f"run-{detail.id}-checkpoint.zip",
            mime="application/zip",
            key="run_download_checkpoint",
            on_click="ignore",
            help=t("runs.checkpoint_help"),
        )
