"""The local job backend: one worker process group per job on this machine (the default).

A stored PENDING run waits for `dispatch`, which starts the oldest ones while fewer than
`max_concurrent_jobs()` run, each as `python -m engine.jobs.worker RUN_ID` in its own session (so
its process group can be signalled as a whole), or as the warm worker kept ready for it
(engine.jobs.warm_pool), with stdout and stderr appended to `<LAB_HOME>/logs/run-<ID>.log`.
`reconcile` reaps finished children, marks vanished jobs FAILED ("lost"), starts queued ones and
keeps a warm worker ready. Cancel = SIGTERM to the group, SIGKILL after the grace period. Only
runs stored with backend "local" are served here. Imported by the dashboard (through
engine.api): no torch or transformers here, not even indirectly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.orm import Session

from engine.jobs import warm_pool
from engine.jobs.backends import terminal_view
from engine.jobs.heartbeat import heartbeat_timeout
from engine.jobs.machine import HOSTNAME, max_concurrent_jobs, visible_gpu_ids
from storage import queries
from storage import runs as run_store
from storage.db import read_session, write_session
from storage.models import TERMINAL_STATES, RunStatus, utcnow
from storage.paths import database_url, lab_home, logs_dir

REPO_ROOT = Path(__file__).resolve().parents[3]
WORKER = "engine.jobs.worker"
LOG_TAIL_IN_ERROR = 20  # log lines stored with a FAILED run's error

# run id -> the worker this process started. Kept so exited children are reaped (no zombies)
# and their exit codes read; a worker started by another process is watched by heartbeat/pid.
_children: dict[int, subprocess.Popen[bytes]] = {}
_children_lock = threading.Lock()


class LocalBackend:
    """engine.jobs.backends.JobBackend for this machine's processes."""

    name = "local"

    def check(self) -> None:
        return None  # nothing to install or reach

    def submit(self, run_id: int, config: Any) -> None:
        dispatch()  # it starts now if a slot is free, else when one frees up

    def reconcile(self) -> None:
        reconcile()

    def cancel(self, run_id: int, *, grace_s: float, wait: bool) -> bool:
        return cancel(run_id, grace_s=grace_s, wait=wait)

    def log_tail(self, run: queries.RunDetail, lines: int) -> str:
        return log_tail(run.id, lines)


# --- starting ----------------------------------------------------------------------------------


def dispatch() -> list[int]:
    """Start the oldest PENDING runs while slots are free; returns the ids started.

    Counting, starting and marking RUNNING happen in one write transaction (BEGIN IMMEDIATE on
    SQLite), so two dispatchers (the dashboard, a CLI, a finishing worker) never start the
    same run or overfill the slots.
    """
    limit = max_concurrent_jobs()
    with read_session() as s:  # most calls find nothing queued: skip the write lock then
        if not run_store.pending_run_ids(s, limit=1):
            return []
    started: list[int] = []
    with write_session() as s:
        # Slots are this machine's: jobs of other hosts sharing the database do not count.
        live = [r for r in run_store.running_runs(s) if r.hostname in (HOSTNAME, None)]
        gpus_in_use = [r.gpu for r in live]
        queued = run_store.pending_run_ids(s, limit=limit - len(live))
        configs = queries.run_configs(s, queued)
        for run_id in queued:
            gpu = _pick_gpus(gpus_in_use, _devices(configs.get(run_id)))
            if _start_worker(s, run_id, gpu):
                started.append(run_id)
                gpus_in_use.append(gpu)
    return started


def _pick_gpus(in_use: list[str | None], count: int = 1) -> str | None:
    """The `count` visible GPUs fewest jobs use, as CUDA_VISIBLE_DEVICES lists them (one job
    per GPU by default; train.devices: N takes N); None without GPUs."""
    gpus = visible_gpu_ids()
    if not gpus:
        return None
    used = [g for entry in in_use if entry for g in entry.split(",")]
    return ",".join(sorted(gpus, key=used.count)[:count])


def _devices(config: dict[str, Any] | None) -> int:
    devices = ((config or {}).get("train") or {}).get("devices", 1)
    return devices if isinstance(devices, int) and devices > 0 else 1


def _start_worker(session: Session, run_id: int, gpu: str | None) -> bool:
    path = _log_path(run_id)
    command = [sys.executable, "-m", WORKER, str(run_id)]
    env = _worker_env(gpu)
    with open(path, "ab") as log:
        prefix = f"[launcher] {time.strftime('%F %T')} {HOSTNAME}:"
        # a warm worker is this worker, imported ahead; torchrun's command is not
        warm = warm_pool.take(env, run_id, log, prefix) if command[2:3] == [WORKER] else None
        if warm is None:
            log.write(f"{prefix} {' '.join(command)}\n".encode())
            log.flush()
        try:
            proc = warm or subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: cancel signals the whole job
            )
        except OSError as err:
            run_store.transition(session, run_id, RunStatus.FAILED, error=f"cannot start: {err}")
            return False
    with _children_lock:
        _children[run_id] = proc
    # RUNNING with the child's pid in this same transaction: the worker adopts the row
    # (storage.runs.claim_run) and no other dispatcher sees it PENDING any more.
    info = {"hostname": HOSTNAME, "cuda_visible_devices": gpu}
    run_store.mark_running(session, run_id, pid=proc.pid, device="starting", device_info=info)
    run_store.set_log_path(session, run_id, str(path))
    return True


def _worker_env(gpu: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpu
    env["LAB_HOME"] = str(lab_home())
    env["LAB_DB_URL"] = absolute_db_url(database_url())
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    # A log file is not a terminal: one progress-bar update per second is plenty.
    env.setdefault("TQDM_MININTERVAL", "1")
    return env


def absolute_db_url(url: str) -> str:
    """A relative SQLite path would point elsewhere from the worker's cwd: make it absolute."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return url
    if database.startswith("file:") or Path(database).is_absolute():
        return url
    return parsed.set(database=str(Path(database).resolve())).render_as_string(hide_password=False)


# --- watching ----------------------------------------------------------------------------------


def reconcile() -> None:
    """Reap exited workers, mark vanished jobs FAILED ("lost"), start queued ones, keep one warm."""
    _record_exited_children()
    _mark_lost_runs()
    dispatch()
    _keep_warm()


def _keep_warm() -> None:
    # The next job's worker with the env (and GPU) it would get; never importing beside a job.
    with read_session() as s:
        live = [r for r in run_store.running_runs(s) if r.hostname in (HOSTNAME, None)]
    env = _worker_env(_pick_gpus([r.gpu for r in live]))
    warm_pool.keep_ready(env, REPO_ROOT, spawn=len(live) < max_concurrent_jobs())


def _record_exited_children() -> None:
    with _children_lock:
        exited = {rid: p for rid, p in _children.items() if p.poll() is not None}
        for run_id in exited:
            del _children[run_id]
    for run_id, proc in exited.items():
        # The worker writes its own terminal state; this only catches one that could not
        # (killed, crashed, or exit 0 without a completion record).
        _end_if_running(run_id, _exit_reason(proc.returncode), with_log=True)


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    if code == 0:
        return "exit code 0 without a completion record"
    return f"exit code {code}"


def _end_if_running(
    run_id: int, reason: str, *, heartbeat_seen: Any = None, with_log: bool = False
) -> bool:
    """FAILED with `reason` (STOPPED if a cancel was asked for), only if it is still RUNNING.

    Re-read inside the write transaction: the worker may have finished, or (when
    `heartbeat_seen` is given) beaten again, since the caller looked. `with_log` appends the
    last lines of the job's log, so the UI shows why without opening it.
    """
    with write_session() as s:
        run = queries.get_run(s, run_id)
        if run is None or run.status is not RunStatus.RUNNING:
            return False
        if heartbeat_seen is not None and run.heartbeat_at != heartbeat_seen:
            return False
        if run.cancel_requested:
            return run_store.transition(s, run_id, RunStatus.STOPPED, error=f"cancelled; {reason}")
        tail = log_tail(run_id, LOG_TAIL_IN_ERROR).strip() if with_log else ""
        error = f"{reason}\n{tail}" if tail else reason
        return run_store.transition(s, run_id, RunStatus.FAILED, error=error)


def _mark_lost_runs() -> None:
    with read_session() as s:
        live = run_store.running_runs(s)
    timeout = heartbeat_timeout()
    now = utcnow()
    for run in live:
        if run.pid is not None and run.hostname == HOSTNAME and not _pid_alive(run.pid):
            _record_exited_children()  # our own child that just exited: its code says more
            _end_if_running(run.id, f"lost: process {run.pid} on {HOSTNAME} is gone")
            continue
        last = run.heartbeat_at or run.started_at
        age = (now - last).total_seconds() if last else float("inf")
        if age <= timeout:
            continue
        reason = f"lost: no heartbeat for {age:.0f} s (limit {timeout:g} s)"
        ended = _end_if_running(run.id, reason, heartbeat_seen=run.heartbeat_at)
        if ended and run.pid and run.hostname == HOSTNAME and _is_worker(run.pid):
            # Frozen or hung: it is declared dead, so it must not hold a GPU or slot on.
            _signal_group(run.pid, signal.SIGKILL)
            _wait_group_gone(run.pid, 2.0)


# --- cancelling --------------------------------------------------------------------------------


def cancel(run_id: int, *, grace_s: float = 10.0, wait: bool = False) -> bool:
    """Stop a run: PENDING -> STOPPED at once; RUNNING -> SIGTERM, SIGKILL after `grace_s`.

    False for an unknown or already finished run. With wait=False the grace period and the
    kill run in a daemon thread, so the dashboard is not blocked.
    """
    with write_session() as s:  # one transaction: a dispatcher cannot start it meanwhile
        run = queries.get_run(s, run_id)
        if run is None or run.status in TERMINAL_STATES:
            return False
        if run.status is RunStatus.PENDING:
            return run_store.transition(s, run_id, RunStatus.STOPPED, error="cancelled")
        run_store.request_cancel(s, run_id)
        hostname = (run.device_info or {}).get("hostname")
        pgid = run.pid if run.pid and hostname == HOSTNAME and _is_worker(run.pid) else None
        if pgid is None:
            # Nothing here to signal (a foreground `engine run`, another host, a dead
            # process): STOPPED now; a live process sees it at its next heartbeat and stops.
            return run_store.transition(s, run_id, RunStatus.STOPPED, error="cancelled")
    _signal_group(pgid, signal.SIGTERM)
    if wait:
        _finish_cancel(run_id, pgid, grace_s)
    else:
        threading.Thread(
            target=_finish_cancel,
            args=(run_id, pgid, grace_s),
            name=f"cancel-{run_id}",
            daemon=True,
        ).start()
    return True


def _finish_cancel(run_id: int, pgid: int, grace_s: float) -> None:
    graceful = _wait_leader_gone(pgid, grace_s)
    # SIGKILL the group even after a graceful exit: nothing the job left behind may survive.
    _signal_group(pgid, signal.SIGKILL)
    _wait_group_gone(pgid, 2.0)
    reason = "cancelled" if graceful else f"cancelled; killed after {grace_s:g} s grace"
    with write_session() as s:  # no-op when the worker already wrote STOPPED itself
        run_store.transition(s, run_id, RunStatus.STOPPED, error=reason)


def _wait_leader_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        _reap(pgid)
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


# --- processes ---------------------------------------------------------------------------------


def _reap(pid: int) -> None:
    """Collect our child `pid` if it exited (Popen keeps the code for _record_exited_children)."""
    with _children_lock:
        procs = [p for p in _children.values() if p.pid == pid]
    for proc in procs:
        proc.poll()


def _pid_alive(pid: int) -> bool:
    """True while `pid` runs here; an exited child waiting to be reaped (zombie) is not alive."""
    _reap(pid)
    state = _proc_state(pid)
    if state is not None:
        return state not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _proc_state(pid: int) -> str | None:
    """The state letter from /proc/PID/stat; None when /proc has no such process (or no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[0]


def _is_worker(pid: int) -> bool:
    """Whether `pid` is an engine worker (never signal a group we did not start; pids recycle)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        if Path("/proc/self").exists():
            return False
        try:  # no /proc (macOS): a live group leader is the best evidence there is
            return os.getpgid(pid) == pid
        except ProcessLookupError:
            return False
    return b"engine.jobs.worker" in argv or warm_pool.MODULE.encode() in argv  # or a warm one


# --- logs --------------------------------------------------------------------------------------


def _log_path(run_id: int) -> Path:
    return logs_dir() / f"run-{int(run_id)}.log"


def log_tail(run_id: int, lines: int = 200) -> str:
    """The last `lines` lines of the job's log ('' if it has none), read from the end."""
    path = _log_path(run_id)
    if lines <= 0 or not path.is_file():
        return ""
    with open(path, "rb") as f:
        pos = f.seek(0, os.SEEK_END)
        chunk = b""
        while pos > 0 and chunk.count(b"\n") <= lines:
            step = min(64 * 1024, pos)
            pos -= step
            f.seek(pos)
            chunk = f.read(step) + chunk
    return terminal_view(chunk.decode("utf-8", errors="replace"), lines)
