"""Continue a killed fine-tune from its last training state: `python -m engine resume ID`.

A FAILED (lost, crashed) or STOPPED run never changes state again (RELIABILITY 6), so resuming
creates a continuation run: the same config, `parent_id` = the old run, the old run's metric
points and dev evaluations up to the saved epoch copied over (so its curves are whole), and
its `resumed_from` column = {run, epoch, step, train_state}. The runner hands that training state
to the strategy, which continues as if it had never stopped: same batches, same random numbers,
same final metrics.

    new_id = prepare_resume(old_id, claim_pid=os.getpid())   # ResumeError if it cannot be

Nothing is created when the run cannot be resumed: the check fails fast with the reason
(RELIABILITY 12), before any model is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.config import parse_config
from engine.jobs.runner import store_run
from storage import queries
from storage import runs as run_store
from storage.db import read_session, write_session
from storage.models import RunStatus
from storage.paths import lab_home

RESUMABLE_KINDS = frozenset({"finetune"})


class ResumeError(ValueError):
    """The run cannot be resumed; the message says why and what to do instead."""


def train_state_dir(run_id: int) -> Path:
    from engine.training.train_state import TRAIN_STATE_DIR

    return lab_home() / "runs" / str(int(run_id)) / TRAIN_STATE_DIR


def prepare_resume(run_id: int, *, claim_pid: int | None = None) -> int:
    """Check `run_id` can be resumed and create its continuation run; returns the new id.

    With `claim_pid` the new run is RUNNING for that process at once (a foreground resume), as
    `engine run` does; without it, PENDING for a background worker.
    """
    with read_session() as s:
        run = queries.get_run(s, run_id)
    if run is None:
        raise ResumeError(f"no run {run_id}")
    _check_resumable(run)
    from engine.training.train_state import STATE_FILE, find_train_state  # imports torch

    cfg = parse_config(run.config)
    folder = train_state_dir(run_id)
    found = find_train_state(folder)
    if found is None:
        raise ResumeError(_missing_reason(run_id, folder, cfg.train.save_checkpoint))
    state = json.loads((found / STATE_FILE).read_text(encoding="utf-8"))
    step = int(state["result"]["steps"])
    source = {"run": run_id, "epoch": int(state["epoch"]), "step": step, "train_state": str(found)}
    with write_session() as s:
        new_id = store_run(s, cfg, parent_id=run_id, group_name=run.group_name, claim_pid=claim_pid)
        run_store.set_resumed_from(s, new_id, source)
        _copy_history(s, run_id, new_id, step)
    return new_id


def _check_resumable(run: queries.RunDetail) -> None:
    if run.status is RunStatus.SUCCEEDED:
        raise ResumeError(f"run {run.id} already SUCCEEDED: there is nothing to resume")
    if run.status not in (RunStatus.FAILED, RunStatus.STOPPED):
        raise ResumeError(
            f"run {run.id} is {run.status.value}: only a FAILED or STOPPED run can be resumed "
            f"(cancel it first: python -m engine cancel {run.id})"
        )
    if run.kind not in RESUMABLE_KINDS:
        raise ResumeError(
            f"run {run.id} is a {run.kind} run; only fine-tuning runs can be resumed "
            f"(repeat it instead: python -m engine run --from-run {run.id})"
        )


def _missing_reason(run_id: int, folder: Path, saved: bool) -> str:
    why = (
        "the run was started with train.save_checkpoint=false"
        if not saved
        else "it was deleted, or the run stopped before its first epoch ended"
    )
    return (
        f"run {run_id} has no training-state checkpoint to resume from ({folder} is missing: "
        f"{why}); repeat it instead: python -m engine run --from-run {run_id}"
    )


def _copy_history(session: Any, old_id: int, new_id: int, step: int) -> None:
    """The old run's metric points and dev evaluations up to `step`, so the curves are whole."""
    points = [
        (p.step, p.key, p.value, p.task, p.wall_time)
        for p in queries.metric_points(session, old_id)
        if p.step <= step
    ]
    run_store.add_metric_points(session, new_id, points)
    for ev in queries.evaluations(session, old_id, split="dev"):
        if ev.step is not None and ev.step <= step:
            run_store.add_evaluation(
                session,
                new_id,
                split=ev.split,
                stage=ev.stage,
                overall={
                    "precision": ev.precision,
                    "recall": ev.recall,
                    "f1": ev.f1,
                    "support": ev.support,
                },
                per_type=ev.per_type,
                task=ev.task,
                step=ev.step,
            )
