"""The initial schema: runs, metrics, evaluations, artifacts, datasets, continual records.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Exactly what `Base.metadata.create_all` made before the lab used Alembic, so a database from
then is adopted as it is: a table that already exists is kept with its rows, one that is
missing (matrix_cells and run_records came after the first release) is created. Frozen: the
types are spelled out (UTCDateTime is DateTime(timezone=True); the status Enum is a
VARCHAR(16) with a CHECK) and nothing is imported from storage.models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("PENDING", "RUNNING", "SUCCEEDED", "FAILED", "STOPPED")


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _run_fk(table: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["run_id"], ["runs.id"], name=op.f(f"fk_{table}_run_id_runs"), ondelete=ondelete
    )


def _datasets() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("fmt", sa.String(length=32), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("n_sentences", sa.Integer(), nullable=False),
        sa.Column("n_tokens", sa.Integer(), nullable=False),
        sa.Column("entity_counts", sa.JSON(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("name", name=op.f("uq_datasets_name")),
    )


def _runs() -> None:
    statuses = ", ".join(f"'{status}'" for status in STATUSES)
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("device_info", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        _timestamp("heartbeat_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("started_at", nullable=True),
        _timestamp("finished_at", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("log_path", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("group_name", sa.String(length=200), nullable=True),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.CheckConstraint(f"status IN ({statuses})", name=op.f("ck_runs_status")),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["runs.id"], name=op.f("fk_runs_parent_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_group_name"), "runs", ["group_name"], unique=False)
    op.create_index(op.f("ix_runs_status"), "runs", ["status"], unique=False)


def _artifacts() -> None:
    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=True),
        _timestamp("created_at"),
        _run_fk("artifacts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifacts")),
    )
    op.create_index(op.f("ix_artifacts_run_id"), "artifacts", ["run_id"], unique=False)


def _evaluations() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("split", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("task", sa.Integer(), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("precision", sa.Double(), nullable=False),
        sa.Column("recall", sa.Double(), nullable=False),
        sa.Column("f1", sa.Double(), nullable=False),
        sa.Column("support", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _run_fk("evaluations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    op.create_index(op.f("ix_evaluations_run_id"), "evaluations", ["run_id"], unique=False)


def _matrix_cells() -> None:
    op.create_table(
        "matrix_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=96), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("col", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matrix_cells")),
        sa.UniqueConstraint(
            "run_id", "kind", "row", "col", name=op.f("uq_matrix_cells_run_id_kind_row_col")
        ),
        _run_fk("matrix_cells"),
    )
    op.create_index(op.f("ix_matrix_cells_run_id"), "matrix_cells", ["run_id"], unique=False)


def _metric_points() -> None:
    op.create_table(
        "metric_points",
        # 64-bit ids where the backend has them; SQLite autoincrements only INTEGER PRIMARY KEY.
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("task", sa.Integer(), nullable=True),
        sa.Column("wall_time", sa.Float(), nullable=False),
        _run_fk("metric_points"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_points")),
    )
    op.create_index(
        "ix_metric_points_run_key_step", "metric_points", ["run_id", "key", "step"], unique=False
    )


def _run_records() -> None:
    op.create_table(
        "run_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        _timestamp("created_at"),
        _run_fk("run_records"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_records")),
    )
    op.create_index("ix_run_records_run_kind", "run_records", ["run_id", "kind"], unique=False)


def _type_scores() -> None:
    op.create_table(
        "type_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("precision", sa.Double(), nullable=False),
        sa.Column("recall", sa.Double(), nullable=False),
        sa.Column("f1", sa.Double(), nullable=False),
        sa.Column("support", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_type_scores")),
        sa.UniqueConstraint(
            "evaluation_id", "entity_type", name=op.f("uq_type_scores_evaluation_id_entity_type")
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_type_scores_evaluation_id_evaluations"),
            ondelete="CASCADE",
        ),
    )


# Parents before children (foreign keys); downgrade drops in reverse.
TABLES: dict[str, Callable[[], None]] = {
    "datasets": _datasets,
    "runs": _runs,
    "artifacts": _artifacts,
    "evaluations": _evaluations,
    "matrix_cells": _matrix_cells,
    "metric_points": _metric_points,
    "run_records": _run_records,
    "type_scores": _type_scores,
}


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, create in TABLES.items():
        if name not in existing:
            create()


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
