"""Everything a run recorded, as plain data: what bundles carry and reports draw (no torch).

`collect_run(run_id)` reads one run from the lab's database into a `RunData`; a bundle writes
it as YAML/CSV/JSON files and reads it back into the same `RunData` in another lab, and
engine.runs.report draws charts from it, so a report looks the same from the database or a bundle.

    data = collect_run(3)
    data.matrix("f1")          # (baseline, T x T rows) of the continual R matrix, or None
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.models.checkpoint import is_checkpoint
from storage import continual as continual_store
from storage import queries
from storage.db import read_session
from storage.rows import copy_fields
from storage.summary import RunSummary

# (step, key, value, task, wall_time)
MetricRow = tuple[int, str, float, int | None, float]
# (kind, row, col, value)
CellRow = tuple[str, int, int, float | None]


@dataclass
class EvaluationData:
    split: str
    stage: str
    task: int | None
    step: int | None
    overall: dict[str, float | int]  # precision, recall, f1, support
    per_type: dict[str, dict[str, float | int]]


@dataclass
class RunData:
    id: int
    name: str
    kind: str
    method: str
    status: str
    config: dict[str, Any]
    summary: RunSummary
    group_name: str | None = None
    parent_id: int | None = None
    device: str | None = None
    error: str | None = None
    times: dict[str, str | None] = field(default_factory=dict)  # created/started/finished ISO
    metrics: list[MetricRow] = field(default_factory=list)
    evaluations: list[EvaluationData] = field(default_factory=list)
    cells: list[CellRow] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)  # {kind, stage, payload}
    checkpoints: dict[str, str] = field(default_factory=dict)  # stage -> folder on disk

    def series(self, key: str) -> list[tuple[int, float]]:
        return [(step, value) for step, k, value, _, _ in self.metrics if k == key]

    def matrix(
        self, kind: str = "f1"
    ) -> tuple[list[float | None], list[list[float | None]]] | None:
        """(baseline b[j], R[i][j]) of one matrix kind, None where a cell is missing."""
        cells = [c for c in self.cells if c[0] == kind]
        if not cells:
            return None
        size = max(max(c[1] for c in cells), max(c[2] for c in cells)) + 1
        baseline: list[float | None] = [None] * size
        rows: list[list[float | None]] = [[None] * size for _ in range(size)]
        for _, row, col, value in cells:
            if row < 0:
                baseline[col] = value
            else:
                rows[row][col] = value
        return baseline, rows


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def collect_run(run_id: int) -> RunData:
    """One run as stored in this lab; ValueError when there is no such run."""
    with read_session() as s:
        detail = queries.get_run(s, run_id)
        if detail is None:
            raise ValueError(f"there is no run {run_id}")
        points = queries.metric_points(s, run_id)
        evaluations = queries.evaluations(s, run_id)
        cells = continual_store.matrix_cells(s, run_id)
        records = continual_store.records(s, run_id)
        artifacts = queries.artifacts(s, run_id, "checkpoint")
    checkpoints: dict[str, str] = {}
    for artifact in artifacts:  # oldest first: a later artifact of the same stage wins
        if is_checkpoint(Path(artifact.path)):
            checkpoints[artifact.stage or "final"] = artifact.path
    return copy_fields(
        RunData,
        detail,
        status=str(detail.status),
        times={
            "created_at": _iso(detail.created_at),
            "started_at": _iso(detail.started_at),
            "finished_at": _iso(detail.finished_at),
        },
        metrics=[(p.step, p.key, p.value, p.task, p.wall_time) for p in points],
        evaluations=[
            EvaluationData(
                e.split,
                e.stage,
                e.task,
                e.step,
                {"precision": e.precision, "recall": e.recall, "f1": e.f1, "support": e.support},
                e.per_type,
            )
            for e in evaluations
        ],
        cells=[(c.kind, c.row, c.col, c.value) for c in cells],
        records=[{"kind": r.kind, "stage": r.stage, "payload": r.payload} for r in records],
        checkpoints=checkpoints,
    )


def group_run_ids(group_name: str) -> list[int]:
    """Ids of the runs of one group (a strategy race), oldest first."""
    with read_session() as s:
        rows = queries.list_runs(s, group_name=group_name, limit=10_000)
    return sorted(r.id for r in rows)
