"""Writes for importing runs from another lab (engine.runs.bundle): a finished run as it was
recorded.

A run made by `storage.runs.create_run` starts PENDING and moves through the job life cycle;
an imported run arrives finished, with its own status and timestamps, so it is inserted whole
here. Session first, never commits (the caller's `write_session()` does).

    with write_session() as s:
        new_id = insert_finished_run(s, name="race-lwf", kind="continual", ..., status="SUCCEEDED")
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import TERMINAL_STATES, Run, RunStatus, utcnow


def insert_finished_run(
    session: Session,
    *,
    name: str,
    kind: str,
    method: str,
    config: dict[str, Any],
    summary: dict[str, Any],
    status: str,
    group_name: str | None = None,
    parent_id: int | None = None,
    device: str | None = None,
    error: str | None = None,
    created_at: datetime | None = None,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
) -> int:
    """Insert a run in a terminal state (SUCCEEDED, FAILED or STOPPED); returns its new id."""
    state = RunStatus(status)
    if state not in TERMINAL_STATES:
        raise ValueError(f"only finished runs can be imported, not {state.value}")
    run = Run(
        name=name,
        kind=kind,
        method=method,
        config=dict(config),
        summary=dict(summary),
        status=state,
        group_name=group_name,
        parent_id=parent_id,
        device=device,
        error=error,
        created_at=created_at or utcnow(),
        started_at=started_at,
        finished_at=finished_at or utcnow(),
    )
    session.add(run)
    session.flush()
    return run.id


def group_names(session: Session) -> set[str]:
    """Every group name in use (an imported race gets a name no local group has)."""
    query = select(Run.group_name).where(Run.group_name.is_not(None)).distinct()
    return set(session.scalars(query))
