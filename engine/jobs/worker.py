"""One background job: `python -m engine.jobs.worker RUN_ID`, started by engine.jobs.launcher.

The worker claims its run (the launcher marked it RUNNING with this pid), beats a heartbeat from
a daemon thread, and executes it with engine.jobs.runner. SIGTERM asks it to stop: before training
starts it stops at once; during training the loop sees `tracker.should_stop()` at the next step,
the strategy returns early, metrics are flushed and the run ends STOPPED. On the way out it
starts the next queued job, so the queue drains without a dashboard open.

Exit codes: 0 SUCCEEDED, 143 STOPPED by SIGTERM (128 + 15, what a shell reports), 1 FAILED.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.jobs.heartbeat import Heartbeat
from storage import runs as run_store
from storage.db import dispose_engines, write_session
from storage.models import RunStatus

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_STOPPED = 128 + signal.SIGTERM


class StoppedBeforeTraining(BaseException):
    """SIGTERM arrived while the worker was still starting (importing torch, claiming)."""


class StopRequest:
    """What SIGTERM does: abort start-up at once, or ask a running training loop to stop."""

    def __init__(self) -> None:
        self.event = threading.Event()  # becomes the tracker's stop_event
        self.training = False
        self.received = False  # SIGTERM came (the event is also set when the run is taken away)

    def on_sigterm(self, signum: int, frame: Any) -> None:
        first = not self.received
        self.received = True
        self.event.set()
        # During training, raising here could tear through a half-written checkpoint; the loop
        # checks the event at every step instead. Before that there is nothing to lose.
        if first and not self.training:
            raise StoppedBeforeTraining


def main(argv: Sequence[str] | None = None, *, warm: bool = False) -> int:
    """The worker; `warm`: this process was started ahead of its run (engine.jobs.warm_worker)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not args[0].isdigit():
        print("usage: python -m engine.jobs.worker RUN_ID", file=sys.stderr)
        return EXIT_USAGE
    run_id = int(args[0])
    entered = time.time()
    began = entered if warm else process_started_at() or entered
    stop = StopRequest()
    signal.signal(signal.SIGTERM, stop.on_sigterm)
    heartbeat: Heartbeat | None = None
    try:
        if not _claim(run_id):
            print(f"run {run_id} is not this worker's to run; exiting", flush=True)
            return EXIT_FAILED
        heartbeat = Heartbeat(run_id, on_lost=stop.event.set).start()
        return _execute(run_id, stop, (began, entered), "warm" if warm else "cold")
    except StoppedBeforeTraining:
        _mark_stopped(run_id)
        return EXIT_STOPPED
    finally:
        stop.training = True  # from here a SIGTERM must not raise into the clean-up
        if heartbeat is not None:
            heartbeat.stop()
        _start_next_job()


def _claim(run_id: int) -> bool:
    # A write transaction waits for the launcher's (which marks this pid) to commit first.
    info = {
        "hostname": socket.gethostname(),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
    }
    with write_session() as s:
        return run_store.claim_run(s, run_id, pid=os.getpid(), device="starting", device_info=info)


def _execute(run_id: int, stop: StopRequest, started: tuple[float, float], start: str) -> int:
    # The heavy imports (torch, transformers) happen here, while SIGTERM still aborts at once;
    # a warm worker (engine.jobs.warm_worker) has them done already.
    imports_began = time.time()
    from engine.strategies.registry import load_all

    load_all()
    from engine.jobs.runner import RunFailed, execute_run
    from engine.tracking.db_tracker import DbTracker

    print(startup_line(*started, imports_began, time.time()), flush=True)

    tracker = DbTracker(run_id)
    tracker.stop_event = stop.event
    stop.training = True
    if stop.received:  # SIGTERM landed between the imports and the line above
        raise StoppedBeforeTraining
    try:
        summary = execute_run(run_id, progress=True, tracker=tracker, worker_start=start)
    except RunFailed as err:
        print(f"run {run_id} failed: {err}", flush=True)
        return EXIT_FAILED
    finally:
        with contextlib.suppress(Exception):  # the database may be what failed
            tracker.flush()
    if summary.cancelled:
        print(f"run {run_id} stopped", flush=True)
        return EXIT_STOPPED
    print(f"run {run_id} succeeded", flush=True)
    return EXIT_SUCCEEDED


def startup_line(began: float, entered: float, imports_began: float, imports_done: float) -> str:
    """Where this worker's start-up went, for the log (and bench/startup.py)."""
    return (
        f"[worker] start-up: python and light imports {entered - began:.2f} s, "
        f"claim {imports_began - entered:.2f} s, "
        f"torch/transformers/engine imports {imports_done - imports_began:.2f} s"
    )


def process_started_at() -> float | None:
    """When this process was started (epoch seconds, from /proc); None without /proc."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rpartition(")")[2].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


def _mark_stopped(run_id: int) -> None:
    print(f"run {run_id} stopped before training started", flush=True)
    with write_session() as s:
        run_store.transition(s, run_id, RunStatus.STOPPED, error="cancelled before training")


def _start_next_job() -> None:
    from engine.jobs.launcher import dispatch

    try:
        dispatch()
    except Exception as err:  # the next dashboard refresh or CLI call dispatches instead
        print(f"could not start the next queued job: {err}", file=sys.stderr, flush=True)


def exit_now(code: int) -> None:
    """Exit without the interpreter's teardown of torch and transformers (~2-3 s on a CPU).

    Everything that matters is already committed; only the log streams and the database
    connections need closing, so a cancelled job leaves well inside its grace period.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    with contextlib.suppress(Exception):
        dispose_engines()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
