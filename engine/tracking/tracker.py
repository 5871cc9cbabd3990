"""The one object a strategy talks to the outside world through.

A strategy logs metrics, evaluations, checkpoints, score-matrix cells, stage records (JSON) and
summary values here and asks whether it should stop; it never opens a database session.
`MemoryTracker` keeps everything in lists (tests, benchmarks);
`engine.tracking.db_tracker.DbTracker`
writes to storage in buffered batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.metrics.ner import NerReport


class Tracker(Protocol):
    def log_metric(self, key: str, value: float, step: int, task: int | None = None) -> None: ...

    def log_evaluation(
        self,
        split: str,
        stage: str,
        report: NerReport,
        *,
        step: int | None = None,
        task: int | None = None,
    ) -> None: ...

    def log_artifact(self, kind: str, path: Path, stage: str | None = None) -> None: ...

    def log_matrix_cell(self, row: int, col: int, value: float, kind: str = "f1") -> None:
        """Score after task `row` (-1: before any task) on task `col`'s test data."""
        ...

    def log_record(self, kind: str, stage: str | None, payload: dict[str, Any]) -> None:
        """A JSON document about one stage (forgotten examples, type drift, ...)."""
        ...

    def update_summary(self, **values: Any) -> None: ...

    def pause_before(self, task: int | None) -> None:
        """A paced run waits before learning `task` (None: it goes on); a control flag of the
        run, not a summary value."""
        ...

    def should_stop(self) -> bool: ...

    def task_allowed(self, task: int) -> bool:
        """A paced continual run (pause_between_tasks) may learn task `task` now: the "Next
        task" gate (engine.jobs.task_gate). Trackers without a gate always allow."""
        ...

    def flush(self) -> None: ...


@dataclass
class MemoryTracker:
    metrics: list[tuple[int, str, float, int | None]] = field(default_factory=list)
    evaluations: list[tuple[str, str, NerReport, int | None, int | None]] = field(
        default_factory=list
    )
    artifacts: list[tuple[str, Path, str | None]] = field(default_factory=list)
    matrix_cells: list[tuple[str, int, int, float]] = field(default_factory=list)
    records: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    stop_requested: bool = False
    allowed_until: int | None = None  # the Next task gate: None lets every task through
    paused_before_task: int | None = None

    def log_metric(self, key: str, value: float, step: int, task: int | None = None) -> None:
        self.metrics.append((step, key, float(value), task))

    def log_evaluation(
        self,
        split: str,
        stage: str,
        report: NerReport,
        *,
        step: int | None = None,
        task: int | None = None,
    ) -> None:
        self.evaluations.append((split, stage, report, step, task))

    def log_artifact(self, kind: str, path: Path, stage: str | None = None) -> None:
        self.artifacts.append((kind, Path(path), stage))

    def log_matrix_cell(self, row: int, col: int, value: float, kind: str = "f1") -> None:
        self.matrix_cells.append((kind, int(row), int(col), float(value)))

    def log_record(self, kind: str, stage: str | None, payload: dict[str, Any]) -> None:
        self.records.append((kind, stage, payload))

    def update_summary(self, **values: Any) -> None:
        self.summary.update(values)

    def pause_before(self, task: int | None) -> None:
        self.paused_before_task = task

    def should_stop(self) -> bool:
        return self.stop_requested

    def task_allowed(self, task: int) -> bool:
        return self.allowed_until is None or task <= self.allowed_until

    def flush(self) -> None:
        return None

    def series(self, key: str) -> list[float]:
        return [v for _, k, v, _ in self.metrics if k == key]
