"""Background jobs: a queue in the database, run by a job backend (engine.jobs.backends).

`submit` stores a PENDING run for the backend LAB_JOB_BACKEND names (local processes by
default, or a Ray cluster) and hands it over; `reconcile` brings every backend's runs up to date
(reaps finished local workers, marks vanished jobs FAILED "lost", maps Ray job states, starts
queued local jobs); it is cheap, so the dashboard calls it on every refresh and the CLI before
`show` and `list`. `cancel` and `log_tail` go to the backend the run was submitted to.
Imported by the dashboard (through engine.api): no torch, transformers or ray here, not even
indirectly.

    run_id = submit(cfg)             # PENDING, then RUNNING as soon as the backend starts it
    cancel(run_id, wait=True)        # SIGTERM (or Ray's stop_job), SIGKILL after the grace period
    print(log_tail(run_id, 50))
"""

from __future__ import annotations

import os
from typing import Any

from engine.config import RunConfig, parse_config
from engine.jobs.backends import BACKENDS, get_backend, selected_backend
from engine.jobs.backends import local as local_backend

# The local backend's process table and helpers, re-exported: the job and reliability tests
# reach them through here.
from engine.jobs.backends.local import HOSTNAME, _children, _is_worker, _signal_group  # noqa: F401
from engine.jobs.backends.ray_jobs import SUBMISSION_ENV, ray_location
from engine.jobs.machine import machine_info, max_concurrent_jobs  # noqa: F401  (re-exported)
from storage import queries
from storage.db import read_session


def submit(
    config: RunConfig | dict[str, Any],
    *,
    group_name: str | None = None,
    parent_id: int | None = None,
) -> int:
    """Validate and queue a run on the selected backend; returns its id at once."""
    from engine.jobs.runner import create_run_record  # light: torch loads only inside execute_run

    cfg = config if isinstance(config, RunConfig) else parse_config(config)
    backend = get_backend(selected_backend())
    backend.check()  # e.g. ray not installed: say so before a run is stored
    run_id = create_run_record(
        cfg, parent_id=parent_id, group_name=group_name, backend=backend.name
    )
    backend.submit(run_id, cfg)
    return run_id


def dispatch() -> list[int]:
    """Start queued local runs while this machine has free slots; returns the ids started."""
    if os.environ.get(SUBMISSION_ENV):
        # A worker inside a Ray job: this node's processes are Ray's to schedule, not ours.
        return []
    return local_backend.dispatch()


def reconcile() -> None:
    """Every backend's runs: reap, mark lost, map states, start queued ones."""
    for name in BACKENDS:
        get_backend(name).reconcile()


def cancel(run_id: int, *, grace_s: float = 10.0, wait: bool = False) -> bool:
    """Stop a run: PENDING -> STOPPED at once; RUNNING -> its backend's stop, then STOPPED.

    False for an unknown or already finished run. With wait=False the grace period runs in a
    daemon thread, so the dashboard is not blocked.
    """
    with read_session() as s:
        run = queries.get_run(s, run_id)
    if run is None:
        return False
    return get_backend(run.backend).cancel(run_id, grace_s=grace_s, wait=wait)


def log_tail(run_id: int, lines: int = 200) -> str:
    """The last `lines` lines of the job's log ('' if it has none yet)."""
    with read_session() as s:
        run = queries.get_run(s, run_id)
    if run is None or run.backend == "local":
        return local_backend.log_tail(run_id, lines)
    return get_backend(run.backend).log_tail(run, lines)


def job_location(run: queries.RunDetail) -> str:
    """Which backend runs (or ran) a job and where, in a few words for the dashboard."""
    host = (run.device_info or {}).get("hostname")
    if run.backend == "ray":
        return ray_location(run.log_path, host)
    return f"local · {host}" if host else "local"
