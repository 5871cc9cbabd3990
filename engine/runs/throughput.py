"""This machine's measured throughput: the finished runs of this host, and the cost model that
turns a workload (engine.runs.workload) into seconds (engine.runs.estimate uses both).

A workload's cost is counted in training sub-token equivalents ("units"):

    units = train_tokens + step_tokens x train_steps
            + eval_ratio x (eval_tokens + EVAL_CALL_SHARE x step_tokens x eval_calls)

`step_tokens` (an optimizer step's fixed cost) and `eval_ratio` (a forward pass's share of a
training one) come from the backbone's calibration (engine.runs.calibrate) or GUESS. A finished
run's rate, seconds per unit, is the seconds its summary timed (train_seconds; meta: plus
test_seconds) over the units of what was timed; its residual, wall time minus rate x units minus
the fixed costs (`fixed_s`), is its start-up: Python, torch, the model, the data.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from engine.config import parse_config
from engine.runs import calibrate
from engine.runs.data_sizes import Sizes
from engine.runs.workload import Workload, trained_shape, workload
from storage.db import read_session
from storage.models import Run, RunStatus
from storage.paths import database_url

# Encoder multiply-adds per sub-token, hidden size, vocabulary (an MLM head: hidden x vocab).
SHAPES = {
    "tiny": (262e3, 128, 30522), "tiny-corpus": (262e3, 128, 4000),
    "small": (3.1e6, 256, 30522), "small-corpus": (3.1e6, 256, 8000),
    "minilm-l6": (10.6e6, 384, 30522), "other": (85e6, 768, 30522),
}  # fmt: skip
# Rough guess when nothing is measured: (seconds per training sub-token, seconds per step),
# engine.runs.calibrate's figures on a quiet 2-core CPU x 1.5 (a loaded one is 5-10x slower).
GUESS = {
    "tiny": (3e-5, 0.017), "tiny-corpus": (2.4e-5, 0.013), "small": (1.5e-4, 0.03),
    "small-corpus": (1.5e-4, 0.02), "minilm-l6": (5.5e-4, 0.07), "other": (4e-3, 0.3),
}  # fmt: skip
GUESS_EVAL_RATIO = 0.3
EVAL_CALL_SHARE = 0.1  # a forward batch's fixed cost, as a share of an optimizer step's
REPORT_S, EPISODE_S = 0.05, 0.02  # scoring one evaluation and writing it; sampling an episode
CHECKPOINT_S = {"minilm-l6": 1.0, "other": 3.0}  # writing one checkpoint (else 0.2 s)
CAPTURE_S = {"pca": 0.5, "tsne": 8.0, "umap": 10.0}  # projecting one captured stage
HISTORY_RUNS, HOST = 200, socket.gethostname()


@dataclass(frozen=True)
class Observed:
    """One finished run of this host, reduced to what the estimator fits."""

    run_id: int
    work: Workload
    device: str
    precision: str
    timed_s: float  # what the summary timed: training steps (meta: every episode)
    steps_share: float  # steps done / steps counted (early stopping, max_steps)
    wall_s: float | None  # None: no clean wall time (a paced or resumed run)
    start: str = "cold"  # its worker: "warm" (imports done ahead) or "cold"

    @property
    def rate(self) -> float:
        """Seconds per unit of what the summary timed."""
        return self.timed_s / max(self.steps_share * units(self.work, self.device, True), 1.0)

    @property
    def residual(self) -> float | None:
        if self.wall_s is None:
            return None
        return self.wall_s - self.rate * units(self.work, self.device) - fixed_s(self.work)


@dataclass
class History:
    rows: list[dict[str, Any]]
    observed: dict[int, Observed | None] = field(default_factory=dict)  # by run id, memoized


_cache: dict[str, tuple[float, History]] = {}
_lock = threading.Lock()


def load_history(max_age_s: float = 5.0) -> History:
    """The SUCCEEDED runs, newest first, in one query, kept `max_age_s` (a page rerun)."""
    url = database_url()
    with _lock:
        hit = _cache.get(url)
    if hit is not None and time.monotonic() - hit[0] < max_age_s:
        return hit[1]
    cols = (Run.id, Run.config, Run.summary, Run.device, Run.device_info, Run.started_at,
            Run.finished_at, Run.resumed_from)  # fmt: skip
    query = select(*cols).where(Run.status == RunStatus.SUCCEEDED).order_by(Run.id.desc())
    with read_session() as s:
        rows = [r._asdict() for r in s.execute(query.limit(HISTORY_RUNS))]
    old = hit[1].observed if hit is not None else {}  # a finished run does not change
    found = History(rows, {r["id"]: old[r["id"]] for r in rows if r["id"] in old})
    with _lock:
        _cache[url] = (time.monotonic(), found)
    return found


def shape(backbone: str, history: History, depth: int = 0) -> str:
    """The SHAPES key of a backbone; run:ID is the shape of what that run trained."""
    if backbone in SHAPES:
        return backbone
    if backbone.startswith("run:") and depth < 5:
        row = next((r for r in history.rows if f"run:{r['id']}" == backbone), None)
        if row is not None:
            cfg = parse_config(dict(row["config"]))
            return trained_shape(cfg, lambda b: shape(b, history, depth + 1))
    return "other"


def observe(row: dict[str, Any], history: History, sizes: Sizes) -> Observed | None:
    info, summary = row["device_info"] or {}, row["summary"] or {}
    if info.get("hostname") not in (None, HOST) or not row["started_at"] or not row["finished_at"]:
        return None  # another machine's run says nothing about this one
    try:
        cfg = parse_config(dict(row["config"]))
    except Exception:  # a config of an older version: not comparable
        return None
    work = workload(cfg, sizes, trained_shape(cfg, lambda b: shape(b, history)))
    timed = float(summary.get("train_seconds") or 0) + float(summary.get("test_seconds") or 0)
    if work is None or timed <= 0 or cfg.train.devices > 1:  # data-parallel: not comparable
        return None
    if work.family != "meta" and not summary.get("train_seconds"):
        return None
    wall: float | None = (row["finished_at"] - row["started_at"]).total_seconds()
    if getattr(cfg.strategy, "pause_between_tasks", False) or row["resumed_from"]:
        wall = None  # waited for a teacher, or ran in two parts
    share = 1.0
    if work.family != "meta" and summary.get("steps"):
        share = min(summary["steps"] / max(work.train_steps, 1.0), 1.5)
    device = str(info.get("type") or (row["device"] or "?").split(" ")[0])  # "cuda (H100)"
    precision = str(info.get("precision", "?"))
    start = "warm" if info.get("worker_start") == "warm" else "cold"
    return Observed(row["id"], work, device, precision, timed, share, wall, start)


def step_parts(backbone: str, device: str) -> tuple[float, float]:
    """(step_tokens, eval_ratio) of a backbone on a device."""
    cal = calibrate.cached(backbone, device)
    if cal is not None and cal.token_s > 0:
        return cal.step_s / cal.token_s, cal.eval_ratio
    token_s, step_s = GUESS.get(backbone, GUESS["other"])
    return step_s / token_s, GUESS_EVAL_RATIO


def units(w: Workload, device: str, timed_only: bool = False) -> float:
    """The workload in units; timed_only: the part a summary times (meta: all of it)."""
    step, ratio = step_parts(w.backbone, device)
    train = w.train_tokens + step * w.train_steps
    evaluation = ratio * (w.eval_tokens + EVAL_CALL_SHARE * step * w.eval_calls)
    return train + (evaluation if w.family == "meta" or not timed_only else 0.0)


def train_units(w: Workload, device: str) -> float:
    return w.train_tokens + step_parts(w.backbone, device)[0] * w.train_steps


def family_cost(w: Workload, device: str) -> float:
    """A step's cost in this family relative to token classification: for an MLM head, the
    calibration's measured ratio, else hidden x vocabulary multiply-adds more per sub-token,
    counted at half (one large matrix runs more efficiently than the encoder's small ones)."""
    if w.family != "mlm":
        return 1.0
    cal = calibrate.cached(w.backbone, device)
    if cal is not None and cal.mlm_ratio > 0:
        return cal.mlm_ratio
    macs, hidden, vocab = SHAPES.get(w.backbone, SHAPES["other"])
    return 1.0 + 0.5 * hidden * vocab / macs


def fixed_s(w: Workload) -> float:
    saves = w.checkpoints * CHECKPOINT_S.get(w.backbone, 0.2)
    captures = w.captures * CAPTURE_S.get(w.projection, 1.0)
    return w.reports * REPORT_S + captures + saves + w.episodes * EPISODE_S
