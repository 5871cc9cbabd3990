"""How the dashboard writes things: run status badges and colours, durations, times, scores,
GPU and memory text, translated column and axis labels. (Curve smoothing, `ema`, lives with
the curves in engine.figures.curves.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from engine.figures.curves import ema  # noqa: F401  (moved; kept importable for old callers)
from storage.models import RunStatus
from views.parts.i18n import t

ACTIVE_STATES = frozenset({RunStatus.PENDING, RunStatus.RUNNING})


STATUS_COLOURS = {
    RunStatus.PENDING: "gray",
    RunStatus.RUNNING: "blue",
    RunStatus.SUCCEEDED: "green",
    RunStatus.FAILED: "red",
    RunStatus.STOPPED: "orange",
}


STATUS_ICONS = {
    RunStatus.PENDING: "⏳",
    RunStatus.RUNNING: "🔵",
    RunStatus.SUCCEEDED: "✅",
    RunStatus.FAILED: "❌",
    RunStatus.STOPPED: "⏹️",
}


def has_gpu(info: dict[str, Any]) -> bool:
    return bool(info.get("gpus"))


def format_memory(info: dict[str, Any]) -> str:
    """machine_info's total memory (`memory_gb`, or `memory` in bytes) as text."""
    gb = info.get("memory_gb")
    if isinstance(gb, int | float):
        return f"{gb:.1f} GB"
    size = info.get("memory")
    if isinstance(size, int | float) and size > 0:
        return f"{size / 1e9:.1f} GB"
    return t("common.unknown")


def gpu_label(gpu: Any) -> str:
    """One entry of machine_info's gpus: a name, or a mapping with name and memory_gb."""
    if not isinstance(gpu, dict):
        return str(gpu)
    name = str(gpu.get("name") or "GPU")
    memory = gpu.get("memory_gb")
    return f"{name} ({memory:.0f} GB)" if isinstance(memory, int | float) else name


def status_text(status: RunStatus | str) -> str:
    """A status in the user's language (SUCCEEDED, 成功)."""
    status = RunStatus(status)
    return t(f"common.status.{status.value}")


def status_badge(status: RunStatus | str) -> str:
    """Markdown for a coloured status badge."""
    status = RunStatus(status)
    return f":{STATUS_COLOURS[status]}-badge[{STATUS_ICONS[status]} {status_text(status)}]"


def status_label(status: RunStatus | str) -> str:
    """Plain text with an icon, for tables."""
    status = RunStatus(status)
    return f"{STATUS_ICONS[status]} {status_text(status)}"


def duration_s(started: datetime | None, finished: datetime | None) -> float | None:
    """Seconds from start to finish (or to now while running); None before the start."""
    if started is None:
        return None
    end = finished or datetime.now(UTC)
    return max(0.0, (end - started).total_seconds())


def format_duration(seconds: float | None) -> str:
    if seconds is None or math.isnan(seconds):
        return "-"
    seconds = round(seconds)
    if seconds < 60:
        return t("common.duration_s", s=seconds)
    if seconds < 3600:
        return t("common.duration_min", m=seconds // 60, s=seconds % 60)
    return t("common.duration_h", h=seconds // 3600, m=seconds % 3600 // 60)


def format_time(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_score(value: float | None) -> str:
    """A score (F1, precision, a forgetting metric) with 3 decimals; "-" when there is none."""
    return "-" if value is None else f"{value:.3f}"


def run_label(row: Any) -> str:
    """How a run is named in select boxes: '#3 tiny-quick · finetune/full · SUCCEEDED'."""
    return f"#{row.id} {row.name} · {row.kind}/{row.method} · {status_text(row.status)}"


def column_labels(labels: dict[str, str], scores: Sequence[str] = ()) -> dict[str, Any]:
    """st.dataframe column_config showing each column under a (translated) label; the frame
    keeps its own column names, which code and tests use. Score columns get 3 decimals."""
    return {
        name: st.column_config.NumberColumn(label, format="%.3f")
        if name in scores
        else st.column_config.Column(label)
        for name, label in labels.items()
    }


def score_cell(value: float | None) -> str:
    """A score as a table cell: "0.417", or "-" for none yet (st.dataframe would draw a null
    as the word "None"). Fixed width, so the text column still sorts by value."""
    return format_score(value)


def data_label(spec: str | None, names: dict[str, str]) -> str:
    """The data a run trained on as a person named it: an imported dataset's name (`names`
    maps stored path -> name), a built-in corpus's name, else the file's name."""
    if not spec:
        return ""
    if spec in names:
        return names[spec]
    if spec.startswith("builtin:"):
        return spec.removeprefix("builtin:")
    return spec.replace("\\", "/").rsplit("/", 1)[-1]


def run_table_columns() -> dict[str, Any]:
    """Headers of the run tables (Home, Runs) in the user's language; scores with 3 decimals."""
    names = ("id", "name", "status", "strategy", "data", "backbone", "dev F1", "best dev F1")
    texts = (t("common.col.id"), t("common.col.name"), t("common.col.status"))
    texts += (t("common.col.strategy"), t("common.col.data"), t("common.col.backbone"))
    texts += (t("common.col.dev_f1"), t("common.col.best_dev_f1"))
    names += ("test F1", "duration", "created")
    texts += (t("common.col.test_f1"), t("common.col.duration"), t("common.col.created"))
    labels = dict(zip(names, texts, strict=True))
    return column_labels(labels)  # scores arrive as text cells (score_cell): no "None"


def label_lookup(options: Sequence[Any], text: Callable[[Any], str]) -> Callable[[Any], str]:
    """A widget's format_func with every label made now, in this run's language.

    Streamlit (and AppTest) may call format_func after the run, where the language is
    unknown; a lookup built during the run always gives the labels the widget was drawn with."""
    labels = {option: text(option) for option in options}
    return lambda option: labels.get(option, str(option))


def curve_title(key: str) -> str:
    """The title of a standard curve (train_loss, dev_f1); other metric keys as they are."""
    titles = {"train_loss": t("common.train_loss"), "dev_f1": t("common.dev_f1")}
    return titles.get(key, key)


def axis_text(axis: str) -> str:
    """An x-axis choice ("step" or "time") in the user's language."""
    return t("common.step") if axis == "step" else t("common.time")
