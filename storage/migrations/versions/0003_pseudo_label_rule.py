"""Pseudo-label runs made before class-median thresholds keep the rule they ran with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

`threshold_rule` joined the pseudo_label and pseudo_lwf configs with the default
`class_median`; every run stored before it ran with one fixed threshold. Without this revision a
resumed or re-run old run would read its config with the new default and switch rules. Each
such run's stored strategy params get `threshold_rule: fixed`, row by row, in the same
transaction (storage.schema's lock); nothing else in the row changes.
Frozen: nothing is imported from storage.models or engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METHODS = ("pseudo_label", "pseudo_lwf")
FIELD = "threshold_rule"

runs = sa.table("runs", sa.column("id", sa.Integer), sa.column("config", sa.JSON))


def _pseudo_params(config: Any) -> dict[str, Any] | None:
    """The strategy params of a pseudo-label run's config, or None for any other run."""
    strategy = config.get("strategy") if isinstance(config, dict) else None
    if not isinstance(strategy, dict) or strategy.get("kind") != "continual":
        return None
    if strategy.get("method") not in METHODS:
        return None
    params = strategy.get("params")
    return params if isinstance(params, dict) else {}


def _rewrite(change: Any) -> None:
    """Apply `change(params) -> new params or None` to every pseudo-label run's config."""
    conn = op.get_bind()
    for run_id, config in conn.execute(sa.select(runs.c.id, runs.c.config)).all():
        params = _pseudo_params(config)
        new = None if params is None else change(params)
        if new is None:
            continue
        strategy = {**config["strategy"], "params": new}
        conn.execute(
            runs.update().where(runs.c.id == run_id).values(config={**config, "strategy": strategy})
        )


def upgrade() -> None:
    _rewrite(lambda params: None if FIELD in params else {**params, FIELD: "fixed"})


def downgrade() -> None:
    # The code before 0003 knows one rule only and refuses unknown params: drop the field
    # (a class_median run cannot be expressed there; it reads as fixed).
    _rewrite(
        lambda params: {k: v for k, v in params.items() if k != FIELD} if FIELD in params else None
    )
