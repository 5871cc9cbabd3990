"""The lab's database schema as typed SQLAlchemy 2 ORM classes.

`Mapped[T]` decides nullability (`Mapped[T | None]` is nullable); every collection is
`lazy="raise"`, so code that forgets to load children eagerly fails loudly instead of issuing
a query later (for example inside a Streamlit rerun, after the session has closed).

The tables are made by the Alembic migrations in storage/migrations (storage.schema runs them
at start-up), not by create_all. Changing a class here needs a migration: draft it with
`python -m engine db revision "what changed"` and review it; tests/storage/test_migrations.py
fails while the migrations and these classes disagree.

Usage::

    from storage.models import Run, RunStatus
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names, so that later migrations can refer to them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class RunStatus(StrEnum):
    """Life cycle of a run: PENDING -> RUNNING -> SUCCEEDED | FAILED | STOPPED."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    STOPPED = "STOPPED"


TERMINAL_STATES: frozenset[RunStatus] = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.STOPPED}
)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as UTC and always returned timezone-aware.

    SQLite has no time zones: SQLAlchemy drops tzinfo on the way in and returns naive values,
    so comparing a loaded heartbeat with `utcnow()` would raise. This type normalises both ways.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        # SQLite stores the text as given; keep it naive UTC so every row sorts the same way.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A 64-bit key where the backend has one; on SQLite only INTEGER PRIMARY KEY is the rowid
# alias that autoincrements, BIGINT PRIMARY KEY would not.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# none_as_null: a Python None becomes SQL NULL, not the JSON text 'null'.
NullableJSON = JSON(none_as_null=True)


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention and the default type for datetimes."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Dataset(Base):
    """A corpus known to the lab: built-in, uploaded, or read from a path."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "builtin" | "upload" | "path"
    path: Mapped[str | None] = mapped_column(Text)
    fmt: Mapped[str] = mapped_column(String(32))
    scheme: Mapped[str] = mapped_column(String(16))
    n_sentences: Mapped[int]
    n_tokens: Mapped[int]
    entity_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One training job: its resolved config, life cycle and final summary."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # finetune | pretrain | meta | continual
    method: Mapped[str] = mapped_column(String(64))  # full | lora | replay | ...
    status: Mapped[RunStatus] = mapped_column(
        # values_callable: store the member's value (SQLAlchemy's Enum stores names by default).
        Enum(
            RunStatus,
            native_enum=False,
            length=16,
            create_constraint=True,
            name="status",
            values_callable=lambda members: [m.value for m in members],
        ),
        default=RunStatus.PENDING,
        index=True,
    )
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    device: Mapped[str | None] = mapped_column(String(64))
    device_info: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)
    pid: Mapped[int | None]
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    log_path: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    group_name: Mapped[str | None] = mapped_column(String(200), index=True)
    backend: Mapped[str] = mapped_column(String(32), default="local")
    # Control flags: how the job is being steered, not what it produced (that is `summary`).
    cancel_requested: Mapped[bool] = mapped_column(default=False, server_default=false())
    paused_before_task: Mapped[int | None]  # a paced continual run waits to learn this task
    resumed_from: Mapped[dict[str, Any] | None] = mapped_column(NullableJSON)

    # passive_deletes: the database's ON DELETE CASCADE removes children, so deleting a run
    # never has to load (and, with lazy="raise", never tries to load) its collections.
    metrics: Mapped[list[MetricPoint]] = relationship(
        back_populates="run", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="run", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    artifacts: Mapped[list[Artifact]] = relationship(
        back_populates="run", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    children: Mapped[list[Run]] = relationship(lazy="raise", passive_deletes=True)


class MetricPoint(Base):
    """One scalar logged during a run (loss, learning rate, dev F1 at a step...)."""

    __tablename__ = "metric_points"
    __table_args__ = (Index("ix_metric_points_run_key_step", "run_id", "key", "step"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[int]
    key: Mapped[str] = mapped_column(String(128))
    # Nullable because SQLite stores NaN as NULL: a diverged loss must not lose the batch.
    value: Mapped[float | None] = mapped_column(Float)
    task: Mapped[int | None]
    wall_time: Mapped[float] = mapped_column(Float)  # seconds since the epoch

    run: Mapped[Run] = relationship(back_populates="metrics", lazy="raise")


class Evaluation(Base):
    """Overall entity-level scores of one evaluation (split x stage); per-type rows below."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    split: Mapped[str] = mapped_column(String(32))  # dev | test | ...
    stage: Mapped[str] = mapped_column(String(64))  # epoch-1 | final | task-2 | ...
    task: Mapped[int | None]
    step: Mapped[int | None]
    precision: Mapped[float]
    recall: Mapped[float]
    f1: Mapped[float]
    support: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[Run] = relationship(back_populates="evaluations", lazy="raise")
    type_scores: Mapped[list[TypeScore]] = relationship(
        back_populates="evaluation",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TypeScore.entity_type",
    )


class TypeScore(Base):
    """Scores of one entity type inside an evaluation."""

    __tablename__ = "type_scores"
    __table_args__ = (UniqueConstraint("evaluation_id", "entity_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(64))
    precision: Mapped[float]
    recall: Mapped[float]
    f1: Mapped[float]
    support: Mapped[int]

    evaluation: Mapped[Evaluation] = relationship(back_populates="type_scores", lazy="raise")


class Artifact(Base):
    """A file a run produced: checkpoint, log, export..."""

    __tablename__ = "artifacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[Run] = relationship(back_populates="artifacts", lazy="raise")


class MatrixCell(Base):
    """One cell of a continual run's score matrix: after task `row` (-1: before any task), on
    task `col`'s test data. `kind` "f1" is R (micro-F1); "type_f1:LOC" scores one entity type."""

    __tablename__ = "matrix_cells"
    __table_args__ = (UniqueConstraint("run_id", "kind", "row", "col"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(96), default="f1")
    row: Mapped[int]
    col: Mapped[int]
    value: Mapped[float | None] = mapped_column(Float)


class RunRecord(Base):
    """A JSON document a run produced at some stage (forgotten examples, type drift, ...)."""

    __tablename__ = "run_records"
    __table_args__ = (Index("ix_run_records_run_kind", "run_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
