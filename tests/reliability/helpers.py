"""Small helpers shared by the reliability tests: read a run, wait for a condition, kill safely."""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from engine.jobs import launcher
from storage import queries
from storage import runs as run_store
from storage.db import dispose_engines, read_session, write_session
from storage.models import TERMINAL_STATES, RunStatus
from tests.conftest import REPO

TINY = str(REPO / "examples" / "tiny_quick.yaml")
T = TypeVar("T")


def detail(run_id: int) -> queries.RunDetail:
    with read_session() as s:
        run = queries.get_run(s, run_id)
    assert run is not None, f"no run {run_id}"
    return run


def metric_steps(run_id: int, key: str = "train_loss") -> list[int]:
    with read_session() as s:
        return [p.step for p in queries.metric_points(s, run_id) if p.key == key]


def wait_for(check: Callable[[], T], what: str, timeout: float = 90.0, poll: float = 0.1) -> T:
    """Poll `check` (reconciling first, as the dashboard does) until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        launcher.reconcile()
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


def finished(run_id: int) -> queries.RunDetail | None:
    run = detail(run_id)
    return run if run.status in TERMINAL_STATES else None


def kill_leftover_workers() -> None:
    """SIGKILL the process group of every worker a failed test left running in this lab."""
    with read_session() as s:
        live = run_store.running_runs(s)
    pids = {r.pid for r in live if r.pid} | {p.pid for p in launcher._children.values()}
    for pid in pids:
        if launcher._is_worker(pid):
            launcher._signal_group(pid, signal.SIGKILL)
    for proc in list(launcher._children.values()):
        proc.wait(timeout=10)
    launcher._children.clear()


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


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
