"""Write functions for runs and what they produce, used by the engine's tracker and launcher.

Every function takes the session first and never commits: the caller's `write_session()`
decides the transaction. Status changes are conditional UPDATEs, so two processes racing to
finish the same run cannot both win. `upsert_dataset` lives in storage.datasets and is
re-exported here.

Usage::

    with write_session() as s:
        run_id = create_run(s, name="conll-lora", kind="finetune", method="lora", config=cfg)
    with write_session() as s:
        mark_running(s, run_id, pid=os.getpid(), device="cpu")
    with write_session() as s:
        add_metric_points(s, run_id, [(1, "train/loss", 2.31, None), (2, "train/loss", 2.05, None)])
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from storage.datasets import upsert_dataset as upsert_dataset
from storage.db import StorageError
from storage.models import (
    TERMINAL_STATES,
    Artifact,
    Evaluation,
    MatrixCell,
    MetricPoint,
    Run,
    RunRecord,
    RunStatus,
    TypeScore,
    utcnow,
)
from storage.summary import validated

# new status -> the statuses it may be reached from. Terminal states are never a source.
ALLOWED_SOURCES: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.PENDING: frozenset(),
    RunStatus.RUNNING: frozenset({RunStatus.PENDING}),
    RunStatus.SUCCEEDED: frozenset({RunStatus.RUNNING}),
    RunStatus.FAILED: frozenset({RunStatus.PENDING, RunStatus.RUNNING}),
    RunStatus.STOPPED: frozenset({RunStatus.PENDING, RunStatus.RUNNING}),
}

# (step, key, value, task) or (step, key, value, task, wall_time)
MetricTuple = tuple[int, str, float, int | None] | tuple[int, str, float, int | None, float]


class RunNotFoundError(StorageError, LookupError):
    """No run has the given id."""


def create_run(
    session: Session,
    *,
    name: str,
    kind: str,
    method: str,
    config: dict[str, Any],
    status: RunStatus = RunStatus.PENDING,
    parent_id: int | None = None,
    group_name: str | None = None,
    backend: str = "local",
) -> int:
    """Insert a run with its resolved config and the job backend that will run it; its id."""
    run = Run(
        name=name,
        kind=kind,
        method=method,
        config=dict(config),
        summary={},
        status=RunStatus(status),
        parent_id=parent_id,
        group_name=group_name,
        backend=backend,
    )
    session.add(run)
    session.flush()
    return run.id


def transition(
    session: Session, run_id: int, new_status: RunStatus | str, *, error: str | None = None
) -> bool:
    """Move a run to `new_status` if its current status allows it; False (no write) otherwise.

    Sets started_at on RUNNING and finished_at on a terminal state. The check and the write
    are one `UPDATE ... WHERE status IN (allowed sources)`, so of two racing callers only one
    changes the row.
    """
    new_status = RunStatus(new_status)
    values: dict[str, Any] = {"status": new_status}
    if new_status is RunStatus.RUNNING:
        values["started_at"] = utcnow()
    if new_status in TERMINAL_STATES:
        values["finished_at"] = utcnow()
    if error is not None:
        values["error"] = error
    return _conditional_update(session, run_id, ALLOWED_SOURCES[new_status], values)


class WorkerProcess(TypedDict):
    """The process a RUNNING run is in: what mark_running and claim_run record."""

    pid: int
    device: str
    device_info: NotRequired[dict[str, Any] | None]


def mark_running(session: Session, run_id: int, **process: Unpack[WorkerProcess]) -> bool:
    """PENDING -> RUNNING, recording the worker's pid and device and a first heartbeat."""
    now = utcnow()
    values = {"status": RunStatus.RUNNING, "started_at": now, "heartbeat_at": now}
    values |= {"device_info": None, **process}
    return _conditional_update(session, run_id, ALLOWED_SOURCES[RunStatus.RUNNING], values)


def claim_run(session: Session, run_id: int, **process: Unpack[WorkerProcess]) -> bool:
    """Make `pid` the run's process: PENDING -> RUNNING, or adopt a RUNNING row started for it.

    The launcher marks a job RUNNING with its child's pid in the transaction that starts it, so
    no second dispatcher starts it again; the worker then claims that row here. A RUNNING row
    with another pid belongs to someone else: False, nothing written.
    """
    if mark_running(session, run_id, **process):
        return True
    statement = (
        update(Run)
        .where(Run.id == run_id, Run.status == RunStatus.RUNNING, Run.pid == process["pid"])
        .values(
            device=process["device"],
            device_info=process.get("device_info"),
            heartbeat_at=utcnow(),
        )
        .returning(Run.id)
    )
    result = session.execute(statement, execution_options={"synchronize_session": "fetch"})
    return result.scalar_one_or_none() is not None


@dataclass(frozen=True, slots=True)
class LiveRun:
    """What the launcher needs to tell whether a RUNNING run's process is still there."""

    id: int
    pid: int | None
    hostname: str | None
    gpu: str | None  # the CUDA_VISIBLE_DEVICES it was given
    heartbeat_at: datetime | None
    started_at: datetime | None
    cancel_requested: bool


def running_runs(session: Session, *, backend: str = "local") -> list[LiveRun]:
    """RUNNING runs of `backend`, oldest first."""
    query = (
        select(
            Run.id, Run.pid, Run.device_info, Run.heartbeat_at, Run.started_at, Run.cancel_requested
        )
        .where(Run.status == RunStatus.RUNNING, Run.backend == backend)
        .order_by(Run.id)
    )
    return [
        LiveRun(
            id=row.id,
            pid=row.pid,
            hostname=(row.device_info or {}).get("hostname"),
            gpu=(row.device_info or {}).get("cuda_visible_devices"),
            heartbeat_at=row.heartbeat_at,
            started_at=row.started_at,
            cancel_requested=row.cancel_requested,
        )
        for row in session.execute(query)
    ]


def pending_run_ids(session: Session, *, limit: int, backend: str = "local") -> list[int]:
    """Ids of the oldest PENDING runs of `backend` (the order a launcher serves them)."""
    if limit <= 0:
        return []
    query = (
        select(Run.id)
        .where(Run.status == RunStatus.PENDING, Run.backend == backend)
        .order_by(Run.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def heartbeat(session: Session, run_id: int) -> bool:
    """Record that the worker is alive. False when the run is no longer RUNNING.

    A False answer tells a worker that someone else finished its run (cancelled, or marked
    lost), so it can stop instead of training on for nothing.
    """
    return _conditional_update(
        session, run_id, frozenset({RunStatus.RUNNING}), {"heartbeat_at": utcnow()}
    )


def set_log_path(session: Session, run_id: int, path: str) -> None:
    """Remember where the job's stdout/stderr go, so the UI can tail it."""
    _update_existing(session, run_id, {"log_path": str(path)})


def add_metric_points(
    session: Session,
    run_id: int,
    points: Iterable[MetricTuple],
    *,
    wall_time: float | None = None,
) -> int:
    """Insert many metric points in one executemany; returns how many.

    Each point is (step, key, value, task) or (step, key, value, task, wall_time); without
    its own wall_time a point gets `wall_time`, or now.
    """
    default_time = time.time() if wall_time is None else wall_time
    rows = [_metric_row(run_id, point, default_time) for point in points]
    if rows:
        # Core insert on the table: one executemany, no ORM objects or RETURNING per row.
        session.execute(insert(MetricPoint.__table__), rows)
    return len(rows)


def add_evaluation(
    session: Session,
    run_id: int,
    *,
    split: str,
    stage: str,
    overall: Mapping[str, float | int],
    per_type: Mapping[str, Mapping[str, float | int]],
    task: int | None = None,
    step: int | None = None,
) -> int:
    """Store one evaluation (overall precision/recall/f1/support plus per-type scores)."""
    evaluation = Evaluation(
        run_id=run_id,
        split=split,
        stage=stage,
        task=task,
        step=step,
        **_scores(overall),
    )
    evaluation.type_scores = [
        TypeScore(entity_type=entity_type, **_scores(scores))
        for entity_type, scores in per_type.items()
    ]
    session.add(evaluation)
    session.flush()
    return evaluation.id


def add_artifact(
    session: Session, run_id: int, *, kind: str, path: str, stage: str | None = None
) -> int:
    """Record a file the run produced (checkpoint, log, export...); returns its id."""
    artifact = Artifact(run_id=run_id, kind=kind, path=str(path), stage=stage)
    session.add(artifact)
    session.flush()
    return artifact.id


def update_summary(session: Session, run_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `values` into the run's summary JSON; returns the merged summary as stored.

    The merge is validated against storage.summary.RunSummary (ValueError names a bad key), so
    what pages read is what a strategy meant to write. Reads the current summary straight from
    the database (not from an identity map that may be stale) and writes a new dict: the JSON
    type does not track in-place mutation. Inside a `write_session` (BEGIN IMMEDIATE on SQLite,
    the advisory write lock on PostgreSQL) no other writer can interleave, so two merges never
    lose each other's keys.
    """
    current = session.execute(select(Run.summary).where(Run.id == run_id)).scalar_one_or_none()
    if current is None:
        raise RunNotFoundError(f"run {run_id} does not exist")
    merged = validated({**current, **values})
    _update_existing(session, run_id, {"summary": merged})
    return merged


def request_cancel(session: Session, run_id: int) -> None:
    """Mark the run as asked to stop (its backend signals the process; a PENDING run that
    starts later sees it and stops)."""
    _update_existing(session, run_id, {"cancel_requested": True})


def set_paused_before(session: Session, run_id: int, task: int | None) -> None:
    """A paced continual run waits before learning `task` (None: it is not waiting)."""
    _update_existing(session, run_id, {"paused_before_task": task})


def set_resumed_from(session: Session, run_id: int, source: Mapping[str, Any]) -> None:
    """Where `engine resume` continues from: {run, epoch, step, train_state}."""
    _update_existing(session, run_id, {"resumed_from": dict(source)})


def forget_after(session: Session, run_id: int, kept_step: int | None) -> int:
    """Before a restarted attempt of the same run writes again: keep only what its training
    state holds, the metric points and evaluations of optimizer steps 1..`kept_step` (None:
    nothing, it starts over). Step-0 and unstepped evaluations, records and matrix cells are
    written around the training loop, so the new attempt writes them again: they go too.
    Returns how many rows went."""
    points = delete(MetricPoint).where(MetricPoint.run_id == run_id)
    evaluations = delete(Evaluation).where(Evaluation.run_id == run_id)
    if kept_step is not None:
        points = points.where(~MetricPoint.step.between(1, kept_step))
        kept = Evaluation.step.is_not(None) & Evaluation.step.between(1, kept_step)
        evaluations = evaluations.where(~kept)
    around = [delete(table).where(table.run_id == run_id) for table in (MatrixCell, RunRecord)]
    return sum(session.execute(st).rowcount or 0 for st in (points, evaluations, *around))


def delete_run(session: Session, run_id: int) -> bool:
    """Delete a run; the database cascades to its metrics, evaluations and artifacts rows."""
    result = session.execute(
        delete(Run).where(Run.id == run_id).returning(Run.id),
        execution_options={"synchronize_session": "fetch"},
    )
    return result.scalar_one_or_none() is not None


def _conditional_update(
    session: Session, run_id: int, sources: frozenset[RunStatus], values: dict[str, Any]
) -> bool:
    if not sources:
        return False
    statement = (
        update(Run)
        .where(Run.id == run_id, Run.status.in_(sorted(sources)))
        .values(**values)
        .returning(Run.id)
    )
    # "fetch" keeps any Run already loaded in this session in step with the new row.
    result = session.execute(statement, execution_options={"synchronize_session": "fetch"})
    return result.scalar_one_or_none() is not None


def _update_existing(session: Session, run_id: int, values: dict[str, Any]) -> None:
    statement = update(Run).where(Run.id == run_id).values(**values).returning(Run.id)
    result = session.execute(statement, execution_options={"synchronize_session": "fetch"})
    if result.scalar_one_or_none() is None:
        raise RunNotFoundError(f"run {run_id} does not exist")


def _metric_row(run_id: int, point: MetricTuple, default_time: float) -> dict[str, Any]:
    step, key, value, task, *rest = point
    value = float(value)
    return {
        "run_id": run_id,
        "step": int(step),
        "key": key,
        # NaN as NULL on every backend: SQLite does it anyway, and PostgreSQL would keep a NaN
        # that sorts above every number, so it would win MAX() and the series' extremes.
        "value": None if math.isnan(value) else value,
        "task": None if task is None else int(task),
        "wall_time": float(rest[0]) if rest else default_time,
    }


def _scores(scores: Mapping[str, float | int]) -> dict[str, Any]:
    try:
        return {
            "precision": float(scores["precision"]),
            "recall": float(scores["recall"]),
            "f1": float(scores["f1"]),
            "support": int(scores["support"]),
        }
    except KeyError as exc:
        raise ValueError(
            f"scores need precision, recall, f1 and support; missing {exc.args[0]!r}"
        ) from exc
