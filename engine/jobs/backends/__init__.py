"""Where background jobs run: this machine's processes (`local`) or a Ray cluster (`ray`).

`LAB_JOB_BACKEND=local|ray` (default local) picks the backend new runs go to; each run stores
its backend (runs.backend), so status, cancel and logs of a run always go to the backend that
runs it, whatever this process's setting. The worker is the same everywhere
(`python -m engine.jobs.worker RUN_ID`) and writes metrics and its final state into the shared
database itself. No torch and no ray at import time: the dashboard imports this through
engine.api, and ray is imported only by a process that talks to a Ray cluster.

    backend = get_backend(selected_backend())
    backend.check(); backend.submit(run_id, cfg)
"""

from __future__ import annotations

import os
from typing import Any, Protocol

BACKENDS = ("local", "ray")
DEFAULT_BACKEND = "local"


class JobBackendError(ValueError):
    """A job backend that is unknown, not installed or not reachable; the message says which."""


class JobBackend(Protocol):
    name: str

    def check(self) -> None:
        """Raise JobBackendError when runs cannot be submitted (before any run is stored)."""
        ...

    def submit(self, run_id: int, config: Any) -> None:
        """Hand over a stored PENDING run (config: its RunConfig); failures end it FAILED."""
        ...

    def reconcile(self) -> None:
        """Bring the lab's states in line with the backend's (cheap when it has no live runs)."""
        ...

    def cancel(self, run_id: int, *, grace_s: float, wait: bool) -> bool:
        """Stop a PENDING or RUNNING run (STOPPED); False when it had already finished."""
        ...

    def log_tail(self, run: Any, lines: int) -> str:
        """The last `lines` lines of a run's log (run: storage.queries.RunDetail)."""
        ...


def selected_backend() -> str:
    """LAB_JOB_BACKEND, checked: the backend new runs are submitted to."""
    name = (os.environ.get("LAB_JOB_BACKEND") or DEFAULT_BACKEND).strip().lower()
    if name not in BACKENDS:
        raise JobBackendError(f"LAB_JOB_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    return name


def get_backend(name: str) -> JobBackend:
    if name == "local":
        from engine.jobs.backends.local import LocalBackend

        return LocalBackend()
    if name == "ray":
        from engine.jobs.backends.ray_jobs import RayJobsBackend

        return RayJobsBackend()
    raise JobBackendError(f"unknown job backend {name!r}; known: {', '.join(BACKENDS)}")


def terminal_view(text: str, lines: int) -> str:
    """The last `lines` lines of a job log as a terminal shows them: a progress bar redraws
    with '\\r', so only its last redraw on each line is kept."""
    if lines <= 0:
        return ""
    shown = [line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n")]
    if shown and shown[-1] == "":
        shown.pop()
    return "\n".join(shown[-lines:])
