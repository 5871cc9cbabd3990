"""What every dashboard page shares: status badges, colours, reads, friendly errors, job upkeep.

Not a page itself (app.py does not register it). Pages stay thin: widgets -> config ->
`engine.api` / `storage.queries`; this module only saves them repeating small pieces.

    from pages import ui
    from pages.i18n import t
    with ui.friendly(t("errors.load_runs")):
        runs = ui.read(queries.list_runs, limit=100)
"""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import math
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

# Imported here, before any page draws, on purpose: plotly looks pandas up in sys.modules
# without importing it, so on a fresh server a page in one session could see the half-imported
# pandas of another session's thread ("partially initialized module 'pandas'"). An explicit
# import blocks until pandas is complete.
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import streamlit as st

from engine import api as jobs
from engine.config import ConfigError, parse_config
from pages.i18n import t
from storage import queries
from storage.db import read_session
from storage.models import RunStatus
from storage.paths import database_url, lab_home

log = logging.getLogger("lab.dashboard")
T = TypeVar("T")

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
# Background colours for entity spans (light enough for dark text), assigned in type order.
ENTITY_PALETTE = (
    "#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6", "#a0c4ff", "#ffadad",
    "#d0f4de", "#e4c1f9", "#fcf6bd", "#b8e0d2",
)  # fmt: skip
RECONCILE_EVERY_S = 3.0

_reconciled_at: dict[str, float] = {}
_reconcile_lock = threading.Lock()
# html.escape for HTML's specials, and numeric entities for what Markdown (and Streamlit's
# :colour[...] and $math$) would read as markup: one pass, so no entity is escaped twice.
_ESCAPES = {ord(c): html.escape(c, quote=True) for c in "&<>\"'"} | {
    ord(c): f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~$:="
}


def reconcile_jobs() -> None:
    """Start queued jobs and mark lost ones, at most every RECONCILE_EVERY_S per database.

    Every rerun of every session calls this; the throttle is process-wide, so a busy
    dashboard still reconciles a few times a minute, not on each click.
    """
    url = database_url()
    now = time.monotonic()
    with _reconcile_lock:
        if now - _reconciled_at.get(url, -math.inf) < RECONCILE_EVERY_S:
            return
        _reconciled_at[url] = now
    try:
        jobs.reconcile()
    except Exception:  # the page still renders; the next rerun tries again
        log.exception("reconciling jobs failed")


@contextmanager
def friendly(what: str) -> Iterator[None]:
    """Show `Could not <what>` instead of a traceback; the traceback goes to the server log.

    `what` is already in the user's language: `ui.friendly(t("errors.load_runs"))`."""
    try:
        yield
    except Exception as err:
        log.exception("dashboard: could not %s", what)
        st.error(t("errors.could_not", what=what, error=one_line(err)))


def one_line(err: BaseException) -> str:
    """The first line of an error's message, or its class name; never a traceback."""
    text = str(err).strip().splitlines()
    return text[0][:500] if text else err.__class__.__name__


def read(query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one storage.queries function in its own read session."""
    with read_session() as session:
        return query(session, *args, **kwargs)


@st.cache_data(ttl=60, show_spinner=False)
def machine() -> dict[str, Any]:
    """engine.api.machine_info() plus the concurrency limit, refreshed every minute."""
    info = dict(jobs.machine_info())
    info["max_concurrent_jobs"] = jobs.max_concurrent_jobs()
    return info


def builtin_catalog() -> list[dict[str, Any]]:
    # the spinner is ours, not cache_data's, so that its text is in the user's language
    with st.spinner(t("common.reading_corpora")):
        return _builtin_catalog()


@st.cache_data(show_spinner=False)
def _builtin_catalog() -> list[dict[str, Any]]:
    return jobs.builtin_catalog()


@st.cache_data(max_entries=32, show_spinner=False)
def dataset_preview(spec: str, n: int) -> list[list[tuple[str, str | None]]]:
    return jobs.dataset_preview(spec, n)


@st.cache_data(max_entries=32, show_spinner=False)
def dataset_stats(spec: str) -> dict[str, Any]:
    return jobs.dataset_stats(spec)


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


def run_table_columns() -> dict[str, Any]:
    """Headers of the run tables (Home, Runs) in the user's language; scores with 3 decimals."""
    names = ("id", "name", "status", "strategy", "data", "backbone", "dev F1", "best dev F1")
    texts = (t("common.col.id"), t("common.col.name"), t("common.col.status"))
    texts += (t("common.col.strategy"), t("common.col.data"), t("common.col.backbone"))
    texts += (t("common.col.dev_f1"), t("common.col.best_dev_f1"))
    names += ("test F1", "duration", "created")
    texts += (t("common.col.test_f1"), t("common.col.duration"), t("common.col.created"))
    labels = dict(zip(names, texts, strict=True))
    return column_labels(labels, scores=("dev F1", "best dev F1", "test F1"))


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


def config_value(config: dict[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"train": {"lr": 0.1}} -> {"train.lr": 0.1}."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def differing_settings(configs: dict[int, dict[str, Any]]) -> list[str]:
    """Dotted config keys whose values are not the same in every run, sorted."""
    flat = [flatten(config) for config in configs.values()]
    keys = sorted({k for f in flat for k in f})
    return [
        k
        for k in keys
        if len({json.dumps(f.get(k, "<missing>"), sort_keys=True, default=str) for f in flat}) > 1
    ]


def ema(values: Sequence[float], alpha: float) -> list[float]:
    """Exponential moving average, debiased as TensorBoard does; NaN points are skipped."""
    out, last, weight = [], 0.0, 0.0
    for value in values:
        if not math.isnan(value):
            last = alpha * last + (1 - alpha) * value
            weight = alpha * weight + (1 - alpha)
        out.append(last / weight if weight else math.nan)
    return out


def config_yaml(config: dict[str, Any]) -> str:
    """A stored config as the YAML the CLI reads (JSON, which YAML also reads, if it fails)."""
    try:
        return parse_config(config).to_yaml()
    except ConfigError:
        return json.dumps(config, indent=2, ensure_ascii=False)


def entity_colours(types: list[str]) -> dict[str, str]:
    return {k: ENTITY_PALETTE[i % len(ENTITY_PALETTE)] for i, k in enumerate(sorted(types))}


def escape_text(text: str) -> str:
    """HTML-escape, and turn Markdown markup characters into entities: text shows as written."""
    return text.translate(_ESCAPES)


def highlighted_html(runs: list[tuple[str, str | None]], colours: dict[str, str]) -> str:
    """One sentence of (text, type) runs as HTML with each entity span on its type's colour."""
    parts = []
    for text, entity in runs:
        if entity is None:
            parts.append(escape_text(text))
            continue
        colour = colours.get(entity, ENTITY_PALETTE[0])
        parts.append(
            f'<span style="background:{colour};color:#111;padding:1px 4px;border-radius:4px">'
            f"{escape_text(text)} "
            f'<span style="font-size:0.7em;font-weight:600">{escape_text(entity)}</span></span>'
        )
    return " ".join(parts)


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
    """Every metric point of a run (not downsampled) as CSV: key, step, value, task, wall_time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["key", "step", "value", "task", "wall_time"])
    for p in read(queries.metric_points, run_id):
        writer.writerow([p.key, p.step, p.value, "" if p.task is None else p.task, p.wall_time])
    return buffer.getvalue()


def checkpoint_path(detail: queries.RunDetail) -> str | None:
    """The run's checkpoint folder (summary, else its newest checkpoint artifact), if on disk."""
    candidates = [detail.summary.get("checkpoint")]
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


def query_int(name: str) -> int | None:
    """An integer query parameter (?run=ID); a bad value warns and counts as absent."""
    raw = st.query_params.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        st.warning(t("common.not_a_run_id", raw=escape_text(raw)))
        return None
