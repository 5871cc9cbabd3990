"""The rows storage reads return: plain frozen dataclasses, never ORM objects, so a page can
keep one across Streamlit reruns without any chance of a lazy load on a closed session.
`copy_fields` fills a row from an object's attributes of the same names.

    row = copy_fields(ArtifactRow, artifact)                  # every field copied as it is
    row = copy_fields(DatasetRow, dataset, entity_counts=dict(dataset.entity_counts))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from storage.models import RunStatus
from storage.summary import RunSummary

Row = TypeVar("Row")

# A session may be reused (expire_on_commit=False keeps loaded objects); reads pass these
# execution options to overwrite identity-map objects with the rows just read, so results are
# never stale.
FRESH = {"populate_existing": True}


def same_named(source: Any, names: Iterable[str]) -> dict[str, Any]:
    """{name: source.name} for each of `names`, in their order."""
    return {name: getattr(source, name) for name in names}


def copy_fields(row_type: type[Row], source: Any, **converted: Any) -> Row:
    """A `row_type` dataclass whose fields are `source`'s attributes of the same names, except
    the ones given in `converted` (values that need a copy or a conversion)."""
    names = [f.name for f in fields(row_type) if f.name not in converted]
    return row_type(**same_named(source, names), **converted)


@dataclass(frozen=True, slots=True)
class RunRow:
    """What a run list shows about one run."""

    id: int
    name: str
    kind: str
    method: str
    status: RunStatus
    device: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    summary: RunSummary
    group_name: str | None
    parent_id: int | None
    error: str | None
    cancel_requested: bool
    paused_before_task: int | None  # a paced continual run waits to learn this task
    resumed_from: dict[str, Any] | None  # {run, epoch, step, train_state} of `engine resume`


@dataclass(frozen=True, slots=True)
class RunDetail(RunRow):
    """Everything about one run, for its detail page and `engine show`."""

    config: dict[str, Any]
    device_info: dict[str, Any] | None
    pid: int | None
    heartbeat_at: datetime | None
    log_path: str | None
    backend: str


@dataclass(frozen=True, slots=True)
class EvaluationRow:
    """One evaluation with its per-type scores: {type: {precision, recall, f1, support}}."""

    id: int
    run_id: int
    split: str
    stage: str
    task: int | None
    step: int | None
    precision: float
    recall: float
    f1: float
    support: int
    created_at: datetime
    per_type: dict[str, dict[str, float | int]]


@dataclass(frozen=True, slots=True)
class MetricPointRow:
    """One logged scalar, as stored (for exports such as a metrics CSV)."""

    step: int
    key: str
    value: float
    task: int | None
    wall_time: float


@dataclass(frozen=True, slots=True)
class ArtifactRow:
    """A file a run produced."""

    id: int
    run_id: int
    kind: str
    path: str
    stage: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DatasetRow:
    """A dataset known to the lab, with its statistics."""

    id: int
    name: str
    kind: str
    path: str | None
    fmt: str
    scheme: str
    n_sentences: int
    n_tokens: int
    entity_counts: dict[str, int]
    created_at: datetime
