"""A warm worker kept ready by the local backend, so a job starts without importing torch.

A fresh worker spends most of its first seconds importing torch and transformers. A process that
reconciles (the dashboard, a script waiting for its jobs) therefore keeps one worker started
ahead: `python -m engine.jobs.warm_worker`, in its own session like any worker, that imports
the heavy modules, says "ready" on a pipe and then sleeps reading its stdin. When a run is
dispatched, the ready worker is handed that one run (a JSON line on its stdin); from then on it
is exactly a cold worker (`engine.jobs.worker.main(RUN_ID)`): the launcher's own child, its pid
the run's pid and process group, its heartbeat, its exit code, and it exits when the run ends.
So cancel, lost-job detection and the log work as before, and no process runs two jobs.

Safe by construction: a warm worker is used only when it is alive and started with exactly the
environment the run's worker would get (same LAB_HOME, database, GPU, ...); any other is
retired (its stdin closed: it exits at once, even mid-import) and the job starts cold. One still
importing takes the run too: it starts the run the moment its imports are done, which is
sooner than a cold worker that would import everything again beside it.
An idle one sleeps on its pipe and exits when this process is gone (end of file). LAB_WARM_WORKER=0
turns it off. No torch here: the dashboard imports this through engine.api.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import BinaryIO

from storage.paths import logs_dir

WARM_ENV = "LAB_WARM_WORKER"
READY_FD_ENV = "LAB_WARM_READY_FD"  # the pipe the warm worker says "ready" on
READY = b"ready\n"
MODULE = "engine.jobs.warm_worker"
# After a warm worker is handed a run, the next one waits this long: its imports would take a
# core from the job's first seconds, which are what the warm worker is there to shorten.
REFILL_DELAY_S = 10.0
MAX_FAILURES = 3  # warm workers that died on their own (a broken install?): then no more

_lock = threading.Lock()
_ready: WarmWorker | None = None  # the one kept ready
_retired: list[subprocess.Popen[bytes]] = []  # told to exit; polled so none stays a zombie
_taken_at = -math.inf  # time.monotonic() when a warm worker was last handed a run
_failures = 0  # warm workers that exited before being used or retired


def enabled() -> bool:
    """LAB_WARM_WORKER is not 0, and new runs go to the local backend (not a Ray cluster)."""
    if os.environ.get("LAB_JOB_BACKEND", "local").strip().lower() != "local":
        return False
    return os.environ.get(WARM_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


class WarmWorker:
    """The launcher's handle on one warm worker process."""

    def __init__(self, proc: subprocess.Popen[bytes], ready_fd: int, env: dict[str, str]):
        self.proc = proc
        self.env = env
        self._ready_fd: int | None = ready_fd
        self._seen_ready = False

    @classmethod
    def spawn(cls, env: dict[str, str], cwd: Path, log_path: Path) -> WarmWorker:
        read_fd, write_fd = os.pipe()
        try:
            with open(log_path, "ab") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", MODULE],
                    cwd=cwd,
                    env=env | {READY_FD_ENV: str(write_fd)},
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(write_fd,),
                    start_new_session=True,  # own process group, as a cold worker has
                )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        return cls(proc, read_fd, env)

    def is_ready(self) -> bool:
        """Imports done and still alive (never blocks)."""
        if self._seen_ready or self._ready_fd is None:
            return self._seen_ready and self.proc.poll() is None
        readable, _, _ = select.select([self._ready_fd], [], [], 0)
        if readable:
            # READY, or b"" when it died: either way this pipe has nothing more to say
            self._seen_ready = os.read(self._ready_fd, len(READY)) == READY
            self._close_ready_fd()
        return self._seen_ready and self.proc.poll() is None

    def assign(self, run_id: int, log_path: Path) -> bool:
        """Hand it its one run; False when it is gone (then start the run cold)."""
        order = json.dumps({"run_id": int(run_id), "log": str(log_path)}).encode() + b"\n"
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(order)
            self.proc.stdin.close()  # it reads one line; nothing else will come
        except OSError:  # BrokenPipeError: it exited meanwhile
            return False
        finally:
            self._close_ready_fd()
        return self.proc.poll() is None

    def retire(self) -> None:
        """Tell it to exit: end of file on its stdin (no signal: it may be mid-import)."""
        self._close_ready_fd()
        with contextlib.suppress(OSError):
            assert self.proc.stdin is not None
            self.proc.stdin.close()

    def _close_ready_fd(self) -> None:
        if self._ready_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._ready_fd)
            self._ready_fd = None


def take(
    env: dict[str, str], run_id: int, log: BinaryIO, prefix: str
) -> subprocess.Popen[bytes] | None:
    """The kept warm worker (ready, or still importing), handed `run_id` (it appends to `log`,
    the run's open log, after a `prefix`ed line saying so), if one was started with exactly
    `env`; else None (any unusable one is retired). The caller records the returned process as
    the run's worker."""
    global _ready, _taken_at
    with _lock:
        warm, _ready = _ready, None
    if warm is None:
        return None
    if warm.env != env or warm.proc.poll() is not None:
        _retire(warm)
        return None
    state = "imports done" if warm.is_ready() else "still importing"  # no other thread has it
    log.write(f"{prefix} warm worker {warm.proc.pid} takes run {run_id} ({state})\n".encode())
    log.flush()
    if warm.assign(run_id, Path(log.name)):
        _taken_at = time.monotonic()
        return warm.proc
    log.write(f"{prefix} warm worker {warm.proc.pid} is gone\n".encode())
    _retire(warm)
    return None


def keep_ready(env: dict[str, str], cwd: Path, *, spawn: bool = True) -> None:
    """Retire a warm worker that is dead or does not fit `env`; with `spawn`, start one that
    fits unless one is there (ready or importing). Reaps the retired ones that have exited."""
    global _ready, _failures
    _reap_retired()
    if not enabled():
        return retire_all()
    with _lock:
        warm = _ready
        fits = warm is not None and warm.env == env and warm.proc.poll() is None
        if not fits:
            _ready = None
    if warm is not None and not fits:
        _failures += warm.proc.poll() is not None  # it died by itself (see warm-worker.log)
        _retire(warm)  # or e.g. a test's lab that is gone: stop its import now
    if fits or not spawn or time.monotonic() - _taken_at < REFILL_DELAY_S:
        return
    if _failures >= MAX_FAILURES:
        return  # jobs start cold, as with LAB_WARM_WORKER=0
    try:
        fresh = WarmWorker.spawn(env, cwd, logs_dir() / "warm-worker.log")
    except OSError as err:  # no process to spare: jobs start cold, as without a warm worker
        print(f"could not start a warm worker: {err}", file=sys.stderr, flush=True)
        return
    with _lock:
        if _ready is None:
            _ready = fresh
            return
    _retire(fresh)  # another thread started one meanwhile


def retire_all() -> None:
    global _ready
    with _lock:
        warm, _ready = _ready, None
    if warm is not None:
        _retire(warm)


def current() -> WarmWorker | None:
    """The warm worker kept ready now, if any (for tests and bench/startup.py)."""
    return _ready


def kept_alive() -> bool:
    """Whether a job dispatched now would start warm: a worker is kept, alive (its imports
    done or under way)."""
    with _lock:
        return enabled() and _ready is not None and _ready.proc.poll() is None


def _retire(warm: WarmWorker) -> None:
    warm.retire()
    with _lock:
        _retired.append(warm.proc)


def _reap_retired() -> None:
    with _lock:
        _retired[:] = [p for p in _retired if p.poll() is None]
