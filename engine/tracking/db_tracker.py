"""Tracker that records into the lab database, in batches so training never waits on SQLite.

Metric points, score-matrix cells and records are buffered and written every `flush_seconds`
(or `max_buffer` items) in one transaction, which also refreshes the run's heartbeat: a meta run
logs a record per test episode, and one transaction each would make SQLite the bottleneck.
Evaluations, artifacts and summary values are written at once (they are rare and the UI wants
them immediately), together with any buffered records, so a record is never seen after a
summary value logged later than it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.jobs import task_gate
from engine.metrics.ner import NerReport
from storage import continual as continual_store
from storage import runs as run_store
from storage.db import write_session


class DbTracker:
    def __init__(self, run_id: int, *, flush_seconds: float = 2.0, max_buffer: int = 500):
        self.run_id = run_id
        self.flush_seconds = flush_seconds
        self.max_buffer = max_buffer
        self._buffer: list[tuple[int, str, float, int | None]] = []
        self._cells: list[tuple[str, int, int, float]] = []
        self._records: list[tuple[str, str | None, dict[str, Any]]] = []
        # Due at once: the first point is written when it is logged, so a person watching a
        # starting run sees it move (start-up is measured to the first stored point).
        self._last_flush = float("-inf")
        self.stop_event = threading.Event()  # set by the worker's SIGTERM handler

    def log_metric(self, key: str, value: float, step: int, task: int | None = None) -> None:
        self._buffer.append((int(step), key, float(value), task))
        self._flush_when_due()

    def _flush_when_due(self) -> None:
        if (
            len(self._buffer) + len(self._records) >= self.max_buffer
            or time.monotonic() - self._last_flush >= self.flush_seconds
        ):
            self.flush()

    def log_evaluation(
        self,
        split: str,
        stage: str,
        report: NerReport,
        *,
        step: int | None = None,
        task: int | None = None,
    ) -> None:
        self.flush()
        with write_session() as s:
            run_store.add_evaluation(
                s,
                self.run_id,
                split=split,
                stage=stage,
                overall=report.overall(),
                per_type=report.per_type_dicts(),
                task=task,
                step=step,
            )

    def log_artifact(self, kind: str, path: Path, stage: str | None = None) -> None:
        with write_session() as s:
            self._write_records(s)
            run_store.add_artifact(s, self.run_id, kind=kind, path=str(path), stage=stage)

    def log_matrix_cell(self, row: int, col: int, value: float, kind: str = "f1") -> None:
        self._cells.append((kind, int(row), int(col), float(value)))

    def log_record(self, kind: str, stage: str | None, payload: dict[str, Any]) -> None:
        self._records.append((kind, stage, payload))
        self._flush_when_due()

    def update_summary(self, **values: Any) -> None:
        with write_session() as s:
            self._write_records(s)
            run_store.update_summary(s, self.run_id, values)

    def pause_before(self, task: int | None) -> None:
        with write_session() as s:
            run_store.set_paused_before(s, self.run_id, task)

    def should_stop(self) -> bool:
        return self.stop_event.is_set()

    def task_allowed(self, task: int) -> bool:
        return task_gate.task_allowed(self.run_id, task)

    def flush(self) -> None:
        points, self._buffer = self._buffer, []
        cells, self._cells = self._cells, []
        self._last_flush = time.monotonic()
        with write_session() as s:
            if points:
                run_store.add_metric_points(s, self.run_id, points)
            if cells:
                continual_store.add_matrix_cells(s, self.run_id, cells)
            self._write_records(s)
            run_store.heartbeat(s, self.run_id)

    def _write_records(self, s: Session) -> None:
        records, self._records = self._records, []
        for kind, stage, payload in records:
            continual_store.add_record(s, self.run_id, kind=kind, stage=stage, payload=payload)
