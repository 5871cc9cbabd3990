"""A stand-in training job for the load test, run in a spawned process: it logs metrics through
the real DbTracker as fast as it can until told to stop, then reports how many it logged.

It reports back ("ok", (run_id, logged)) or ("error", text): any exception, "database is
locked" above all, becomes a readable failure in the parent.
"""

from __future__ import annotations

import os
import socket
import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from typing import Any

KEYS = ("train_loss", "lr", "tokens_per_s")


def log_as_fast_as_possible(
    env: dict[str, str], run_id: int, start: Barrier, stop: Event, results: Queue[Any]
) -> None:
    os.environ.update(env)  # LAB_HOME and LAB_DB_URL of the test, before storage is used
    try:
        results.put(("ok", (run_id, _log(run_id, start, stop))))
    except BaseException as exc:
        results.put(("error", f"{exc!r}\n{traceback.format_exc()}"))


def _log(run_id: int, start: Barrier, stop: Event) -> int:
    from engine.tracking.db_tracker import DbTracker
    from storage import runs as run_store
    from storage.db import write_session
    from storage.models import RunStatus

    with write_session() as s:
        host = {"hostname": socket.gethostname()}
        run_store.mark_running(s, run_id, pid=os.getpid(), device="cpu", device_info=host)
    tracker = DbTracker(run_id)  # buffers, and writes every 2 s or 500 points
    start.wait(timeout=120)
    logged, step = 0, 0
    while not stop.is_set():
        step += 1
        for key in KEYS:
            tracker.log_metric(key, 1.0 / step, step)
        logged += len(KEYS)
        if step % 1000 == 0:
            tracker.log_metric("dev_f1", min(1.0, step / 1e6), step)
            tracker.update_summary(dev_f1=min(1.0, step / 1e6), steps=step)
            logged += 1
    tracker.flush()
    with write_session() as s:
        run_store.transition(s, run_id, RunStatus.SUCCEEDED)
    return logged
