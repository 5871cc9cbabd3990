"""What a run's Downloads offer: the metrics CSV, its checkpoint as a zip (only a folder inside
LAB_HOME), and the Downloads row of a run's page.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import streamlit as st

from storage import exports, queries
from storage.paths import lab_home
from views.parts import fmt, settings
from views.parts.calls import read
from views.parts.i18n import t


def zip_folder(folder: str | Path) -> bytes:
    """A folder (a checkpoint) as an in-memory zip, paths relative to the folder."""
    root = Path(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.write(path, Path(root.name) / path.relative_to(root))
    return buffer.getvalue()


def metrics_csv(run_id: int) -> str:
    """Every metric point of a run (not downsampled), in the lab's one metrics CSV format."""
    return exports.metrics_csv(read(queries.metric_points, run_id))


def checkpoint_path(detail: queries.RunDetail) -> str | None:
    """The run's checkpoint folder (summary, else its newest checkpoint artifact), if on disk."""
    candidates = [detail.summary.checkpoint]
    candidates += [a.path for a in reversed(read(queries.artifacts, detail.id, "checkpoint"))]
    for path in candidates:
        if path and inside_lab_home(path) and Path(path).is_dir():
            return str(path)
    return None


def inside_lab_home(path: str | Path) -> bool:
    """True for a path inside LAB_HOME: the dashboard only serves files the lab wrote there."""
    try:
        return Path(path).resolve().is_relative_to(lab_home())
    except (OSError, ValueError):
        return False


def row(detail: queries.RunDetail) -> None:
    st.subheader(t("runs.downloads"))
    a, b, c = st.columns(3)
    a.download_button(
        t("runs.dl_config"),
        data=settings.config_yaml(detail.config),
        file_name=f"run-{detail.id}-config.yaml",
        mime="application/x-yaml",
        key="run_download_config",
        on_click="ignore",
    )
    b.download_button(
        t("runs.dl_metrics"),
        data=lambda: metrics_csv(detail.id),
        file_name=f"run-{detail.id}-metrics.csv",
        mime="text/csv",
        key="run_download_metrics",
        on_click="ignore",
    )
    checkpoint = checkpoint_path(detail)
    if checkpoint is None:
        active = detail.status in fmt.ACTIVE_STATES
        c.caption(t("runs.no_checkpoint_yet") if active else t("runs.no_checkpoint"))
    else:
        c.download_button(
            t("runs.dl_checkpoint"),
            data=lambda: zip_folder(checkpoint),
            file_name=f"run-{detail.id}-checkpoint.zip",
            mime="application/zip",
            key="run_download_checkpoint",
            on_click="ignore",
            help=t("runs.checkpoint_help"),
        )
