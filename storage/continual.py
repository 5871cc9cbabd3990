"""Continual runs' score matrices and stage records: session-first writes and reads.

Writers never commit (the caller's `write_session()` does); readers return frozen dataclasses,
so nothing lazy-loads after the session closes.

Usage::

    with write_session() as s:
        add_matrix_cells(s, run_id, [("f1", -1, 0, 0.02), ("f1", 0, 0, 0.81)])
        add_record(s, run_id, kind="drift", stage="after-task-1", payload={...})
    with read_session() as s:
        R = score_matrix(s, run_id)           # R.baseline, R.values (T x T, None where missing)
        drift = records(s, run_id, "drift")
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import MatrixCell, RunRecord

CellTuple = tuple[str, int, int, float | None]  # kind, row, col, value


@dataclass(frozen=True, slots=True)
class Cell:
    kind: str
    row: int  # after task `row`; -1 = before any task
    col: int  # task whose test data was scored
    value: float | None


@dataclass(frozen=True, slots=True)
class ScoreMatrix:
    kind: str
    baseline: list[float | None]  # b[j]
    values: list[list[float | None]]  # R[i][j], T x T

    @property
    def tasks(self) -> int:
        return len(self.baseline)


@dataclass(frozen=True, slots=True)
class Record:
    id: int
    kind: str
    stage: str | None
    payload: dict[str, Any]
    created_at: datetime


def add_matrix_cells(session: Session, run_id: int, cells: Iterable[CellTuple]) -> int:
    """Insert cells; a cell already stored (same kind, row, col) gets the new value."""
    count = 0
    for kind, row, col, value in cells:
        value = None if value is None else float(value)
        key = (
            MatrixCell.run_id == run_id,
            MatrixCell.kind == kind,
            MatrixCell.row == int(row),
            MatrixCell.col == int(col),
        )
        changed = session.execute(
            update(MatrixCell).where(*key).values(value=value).returning(MatrixCell.id),
            execution_options={"synchronize_session": False},
        ).scalar_one_or_none()
        if changed is None:
            session.add(
                MatrixCell(run_id=run_id, kind=kind, row=int(row), col=int(col), value=value)
            )
        count += 1
    session.flush()
    return count


def add_record(
    session: Session, run_id: int, *, kind: str, stage: str | None, payload: dict[str, Any]
) -> int:
    record = RunRecord(run_id=run_id, kind=kind, stage=stage, payload=payload)
    session.add(record)
    session.flush()
    return record.id


def matrix_cells(session: Session, run_id: int, kind: str | None = None) -> list[Cell]:
    query = select(MatrixCell.kind, MatrixCell.row, MatrixCell.col, MatrixCell.value).where(
        MatrixCell.run_id == run_id
    )
    if kind is not None:
        query = query.where(MatrixCell.kind == kind)
    rows = session.execute(query.order_by(MatrixCell.kind, MatrixCell.row, MatrixCell.col))
    return [Cell(r.kind, r.row, r.col, r.value) for r in rows]


def matrix_kinds(session: Session, run_id: int) -> list[str]:
    """The matrices a run stored: "f1" first, then per-type ones ("type_f1:LOC", ...)."""
    kinds = session.scalars(
        select(MatrixCell.kind).where(MatrixCell.run_id == run_id).distinct()
    ).all()
    return sorted(kinds, key=lambda k: (k != "f1", k))


def score_matrix(session: Session, run_id: int, kind: str = "f1") -> ScoreMatrix | None:
    """The baseline row and T x T matrix of one kind; None when the run stored none."""
    cells = matrix_cells(session, run_id, kind)
    if not cells:
        return None
    T = max(max(c.col for c in cells), max(c.row for c in cells)) + 1
    baseline: list[float | None] = [None] * T
    values: list[list[float | None]] = [[None] * T for _ in range(T)]
    for c in cells:
        if c.row < 0:
            baseline[c.col] = c.value
        else:
            values[c.row][c.col] = c.value
    return ScoreMatrix(kind, baseline, values)


def records(
    session: Session, run_id: int, kind: str | None = None, stage: str | None = None
) -> list[Record]:
    """A run's records in the order they were written, optionally of one kind and stage."""
    query = select(RunRecord).where(RunRecord.run_id == run_id)
    if kind is not None:
        query = query.where(RunRecord.kind == kind)
    if stage is not None:
        query = query.where(RunRecord.stage == stage)
    return [
        Record(r.id, r.kind, r.stage, r.payload, r.created_at)
        for r in session.scalars(query.order_by(RunRecord.id))
    ]
