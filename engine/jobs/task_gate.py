"""The "Next task" gate of a paced continual run (strategy.pause_between_tasks).

A paced run learns its first task, then waits before each later task t until someone allows it:
the dashboard writes a `gate` record (kind GATE_KIND, payload {"until": t}) and the run's
tracker (engine.tracking.db_tracker.DbTracker.task_allowed) sees it on its next poll. While it
waits, the run's `paused_before_task` column says which task it waits for, so pages can offer
the button.
Torch-free: the dashboard reaches it through engine.api.

    allow_next_task(run_id, 1)       # the run may learn task 1 (0-based) now
    task_allowed(run_id, 1) -> True
"""

from __future__ import annotations

from storage import continual as continual_store
from storage import queries
from storage.db import read_session, write_session
from storage.models import RunStatus

GATE_KIND = "gate"


def allow_next_task(run_id: int, task: int) -> bool:
    """Let a paced run go on to learn tasks up to `task` (0-based); False when the run does
    not exist or has finished (nothing to allow)."""
    with write_session() as s:
        run = queries.get_run(s, run_id)
        if run is None or run.status not in (RunStatus.PENDING, RunStatus.RUNNING):
            return False
        continual_store.add_record(
            s, run_id, kind=GATE_KIND, stage=f"task-{int(task)}", payload={"until": int(task)}
        )
    return True


def task_allowed(run_id: int, task: int) -> bool:
    """Whether the dashboard has allowed `run_id` to learn task `task` yet."""
    with read_session() as s:
        gates = continual_store.records(s, run_id, GATE_KIND)
    return any(int(g.payload.get("until", -1)) >= task for g in gates)
