"""Control flags leave the run summary: cancel_requested, paused_before_task, resumed_from.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

The summary holds what a run produced; how it is being steered gets columns of its own. Every
existing run keeps its values: each flag is copied from the summary JSON into its column and
removed from the summary, row by row, in the same transaction (storage.schema's lock).
Frozen: nothing is imported from storage.models.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGS = ("cancel_requested", "paused_before_task", "resumed_from")

runs = sa.table(
    "runs",
    sa.column("id", sa.Integer),
    sa.column("summary", sa.JSON),
    sa.column("cancel_requested", sa.Boolean),
    sa.column("paused_before_task", sa.Integer),
    sa.column("resumed_from", sa.JSON(none_as_null=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("cancel_requested", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("paused_before_task", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("resumed_from", sa.JSON(none_as_null=True), nullable=True))
    conn = op.get_bind()
    for run_id, summary in conn.execute(sa.select(runs.c.id, runs.c.summary)).all():
        if not isinstance(summary, dict) or not set(FLAGS) & summary.keys():
            continue
        kept = {k: v for k, v in summary.items() if k not in FLAGS}
        paused = summary.get("paused_before_task")
        resumed = summary.get("resumed_from")
        conn.execute(
            runs.update()
            .where(runs.c.id == run_id)
            .values(
                summary=kept,
                cancel_requested=bool(summary.get("cancel_requested")),
                paused_before_task=paused if isinstance(paused, int) else None,
                resumed_from=resumed if isinstance(resumed, dict) else None,
            )
        )


def downgrade() -> None:
    conn = op.get_bind()
    query = sa.select(
        runs.c.id,
        runs.c.summary,
        runs.c.cancel_requested,
        runs.c.paused_before_task,
        runs.c.resumed_from,
    )
    for run_id, summary, cancel, paused, resumed in conn.execute(query).all():
        flags = {"cancel_requested": True} if cancel else {}
        if paused is not None:
            flags["paused_before_task"] = paused
        if resumed is not None:
            flags["resumed_from"] = resumed
        if flags:
            values = {**(summary or {}), **flags}
            conn.execute(runs.update().where(runs.c.id == run_id).values(summary=values))
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("resumed_from")
        batch.drop_column("paused_before_task")
        batch.drop_column("cancel_requested")
