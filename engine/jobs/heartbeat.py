"""A daemon thread that keeps a run's heartbeat fresh while its process is alive.

The training loop refreshes the heartbeat whenever it flushes metrics, but loading a model,
evaluating a large dev set or saving a checkpoint can take longer than the launcher's timeout;
this thread beats regardless, so only a process that is really gone (or frozen) looks lost.
No torch here: the worker starts it before its heavy imports.

    beat = Heartbeat(run_id, on_lost=tracker.stop_event.set).start()
    ...
    beat.stop()
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

from storage import runs as run_store
from storage.db import write_session

DEFAULT_TIMEOUT_S = 30.0
MAX_INTERVAL_S = 5.0


def heartbeat_timeout() -> float:
    """Seconds of silence after which a RUNNING job counts as lost (LAB_HEARTBEAT_TIMEOUT)."""
    raw = os.environ.get("LAB_HEARTBEAT_TIMEOUT")
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"LAB_HEARTBEAT_TIMEOUT must be a number of seconds, not {raw!r}"
        ) from None
    if value <= 0:
        raise ValueError(f"LAB_HEARTBEAT_TIMEOUT must be positive, not {raw!r}")
    return value


def heartbeat_interval() -> float:
    """Beat at least three times per timeout, so one slow database write is never fatal."""
    return min(MAX_INTERVAL_S, heartbeat_timeout() / 3)


class Heartbeat:
    """Refresh `run_id`'s heartbeat every `interval` s until stopped or the run stops RUNNING."""

    def __init__(
        self,
        run_id: int,
        *,
        on_lost: Callable[[], None] | None = None,
        interval: float | None = None,
    ):
        self.run_id = run_id
        self.on_lost = on_lost
        self.interval = heartbeat_interval() if interval is None else interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._beat_until_stopped, name=f"heartbeat-{run_id}", daemon=True
        )

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()

    def _beat_until_stopped(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                with write_session() as s:
                    still_running = run_store.heartbeat(s, self.run_id)
            except Exception as err:  # a busy database must not end the beat; the next one retries
                print(f"heartbeat of run {self.run_id} failed: {err}", file=sys.stderr, flush=True)
                continue
            if not still_running:
                # Someone else ended the run (cancelled, or declared lost): stop training for it.
                if self.on_lost is not None:
                    self.on_lost()
                return
