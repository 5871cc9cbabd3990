"""Small helpers shared by the reliability tests: metric steps, a reconciling wait, a database
to damage (reading a run and cleaning up workers: tests/lab_runs.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from engine.jobs import launcher
from storage import queries
from storage import runs as run_store
from storage.db import dispose_engines, read_session, write_session
from storage.models import RunStatus
from tests.lab_runs import poll

T = TypeVar("T")


def metric_steps(run_id: int, key: str = "train_loss") -> list[int]:
    with read_session() as s:
        return [p.step for p in queries.metric_points(s, run_id) if p.key == key]


def wait_for(check: Callable[[], T], what: str, timeout: float = 90.0, every: float = 0.1) -> T:
    """Poll `check` (reconciling first, as the dashboard does) until it is truthy."""
    return poll(check, what, timeout, every=every, before=launcher.reconcile)


# --- a lab database to damage (test_damaged_db, test_served_app) ---------------------------

NAMES = ("alpha-run", "beta-run", "gamma-run")
POINTS = 20_000  # per run: the metric table fills most of the file, the run rows sit in front


def populate() -> list[int]:
    ids = []
    with write_session() as s:
        for name in NAMES:
            run_id = run_store.create_run(s, name=name, kind="finetune", method="full", config={})
            run_store.transition(s, run_id, RunStatus.FAILED, error="test")
            ids.append(run_id)
    for run_id in ids:
        with write_session() as s:
            points = [(i, "train_loss", 1.0 / (i + 1), None) for i in range(POINTS)]
            run_store.add_metric_points(s, run_id, points)
    dispose_engines()  # the last connection checkpoints the WAL into the file and removes it
    return ids


def damage(path: Path, kind: str) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as f:
        if kind == "truncated":  # a copy or a write that stopped short
            f.truncate(int(size * 0.6))
        else:  # the last 30% overwritten with noise (a bad sector, a stray writer)
            f.seek(int(size * 0.7))
            f.write(random.Random(7).randbytes(size - int(size * 0.7)))
