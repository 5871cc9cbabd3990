"""storage.runs.forget_after: what a restarted attempt of a run (a torchrun elastic restart)
keeps of the failed attempt's rows, and what it removes before writing them again."""

from __future__ import annotations

from sqlalchemy import func, select

from storage import continual, db, queries, runs
from storage.models import MatrixCell, RunRecord, RunStatus


def _new_run(url: str) -> int:
    with db.write_session(url) as session:
        return runs.create_run(
            session, name="r", kind="finetune", method="full", config={}, status=RunStatus.PENDING
        )


def _attempt_rows(url: str) -> int:
    """A run's rows as a failed attempt leaves them: points at steps 0-5, evaluations before
    training (step 0), after epochs (steps 3, 5) and unstepped, a record and a matrix cell."""
    run_id = _new_run(url)
    overall = {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 4}
    with db.write_session(url) as s:
        runs.add_metric_points(s, run_id, [(step, "train_loss", 1.0, None) for step in range(6)])
        for step, stage in ((0, "initial"), (3, "epoch-1"), (5, "epoch-2"), (None, "final")):
            runs.add_evaluation(s, run_id, split="dev", stage=stage, overall=overall,
                                per_type={"PER": overall}, step=step)  # fmt: skip
        continual.add_record(s, run_id, kind="mapping", stage="initial", payload={})
        continual.add_matrix_cells(s, run_id, [("f1", 0, 0, 0.5)])
    return run_id


def _left(url: str, run_id: int) -> tuple[list[int], list[str], int]:
    with db.read_session(url) as s:
        steps = sorted(p.step for p in queries.metric_points(s, run_id))
        stages = sorted(e.stage for e in queries.evaluations(s, run_id))
        others = sum(
            s.scalar(select(func.count()).select_from(t).where(t.run_id == run_id))
            for t in (MatrixCell, RunRecord)
        )
    return steps, stages, others


def test_a_restarted_attempt_keeps_only_what_its_training_state_holds(db_url: str):
    run_id = _attempt_rows(db_url)
    with db.write_session(db_url) as s:
        # points at steps 0, 4, 5; the initial, epoch-2 and final scores; the record and the cell
        assert runs.forget_after(s, run_id, 3) == 3 + 3 + 2
    # steps 1-3 and the epoch-1 score are the state's; the rest the next attempt writes again
    assert _left(db_url, run_id) == ([1, 2, 3], ["epoch-1"], 0)
    with db.read_session(db_url) as s:
        (kept,) = queries.evaluations(s, run_id)
    assert kept.per_type["PER"]["f1"] == 0.5  # its per-type scores stay with it


def test_a_restart_without_a_training_state_starts_over(db_url: str):
    run_id = _attempt_rows(db_url)
    with db.write_session(db_url) as s:
        runs.forget_after(s, run_id, None)
    assert _left(db_url, run_id) == ([], [], 0)
