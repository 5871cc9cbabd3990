"""The "Next task" gate of a paced continual run (strategy.pause_between_tasks,
engine.jobs.task_gate):
it waits after each task until allowed, continues when allowed, stops when cancelled while
paused, and its heartbeat keeps it from being declared lost while it waits."""

from __future__ import annotations

import threading
import time

import pytest

from engine.config import parse_config
from engine.jobs import launcher, task_gate
from engine.jobs.runner import create_run_record, execute_run
from engine.tracking.tracker import MemoryTracker
from storage import continual as continual_store
from storage.db import read_session
from storage.models import RunStatus
from tests.engine.tiny import per_then_loc, tiny_config
from tests.lab_runs import detail, poll

TIMEOUT_S = 120.0  # torch import and two tiny tasks on a busy 2-core machine


def paced_config() -> dict:
    strategy = per_then_loc(
        "naive", 24, pause_between_tasks=True, forgotten_examples=2, dev_per_task=False
    )
    train = {"epochs": 1, "batch_size": 16, "lr": 3e-3, "save_checkpoint": False, "max_length": 32}
    return tiny_config("paced", strategy=strategy, train=train, mapping={"enabled": False})


def matrix_rows(run_id: int) -> int:
    with read_session() as s:
        matrix = continual_store.score_matrix(s, run_id)
    return 0 if matrix is None else sum(any(v is not None for v in r) for r in matrix.values)


def test_the_config_field_defaults_off():
    assert parse_config({"strategy": {"kind": "continual"}}).strategy.pause_between_tasks is False


def test_memory_tracker_gate_and_a_tracker_without_one():
    tracker = MemoryTracker()
    assert tracker.task_allowed(5)
    tracker.allowed_until = 1
    assert tracker.task_allowed(1) and not tracker.task_allowed(2)


def test_allow_next_task_writes_a_gate_only_for_a_live_run(lab):
    run_id = create_run_record(parse_config(paced_config()))
    assert not task_gate.task_allowed(run_id, 1)
    assert task_gate.allow_next_task(run_id, 1) is True
    assert task_gate.task_allowed(run_id, 1) and not task_gate.task_allowed(run_id, 2)
    assert task_gate.allow_next_task(999, 1) is False


def test_a_paced_run_waits_after_each_task_then_continues_when_allowed(lab):
    run_id = create_run_record(parse_config(paced_config()))
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["summary"] = execute_run(run_id, progress=False)
        except Exception as err:  # reported by the assertions below
            outcome["error"] = err

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    poll(lambda: detail(run_id).paused_before_task == 1, "the pause", TIMEOUT_S)
    time.sleep(2 * 0.5 + 0.3)  # two polls of the gate: it keeps waiting
    assert detail(run_id).status is RunStatus.RUNNING
    assert matrix_rows(run_id) == 1  # task 0 learned and scored, task 1 not started
    assert worker.is_alive()

    assert task_gate.allow_next_task(run_id, 1) is True
    worker.join(TIMEOUT_S)
    assert not worker.is_alive() and "error" not in outcome, outcome
    run = detail(run_id)
    assert run.status is RunStatus.SUCCEEDED
    assert run.paused_before_task is None
    assert matrix_rows(run_id) == 2
    assert len(run.summary.continual.matrix) == 2
    assert task_gate.allow_next_task(run_id, 2) is False  # finished: nothing to allow


@pytest.mark.slow
def test_a_paused_worker_is_not_lost_and_cancel_stops_it(one_job_slot, monkeypatch):
    timeout = 3.0
    monkeypatch.setenv("LAB_HEARTBEAT_TIMEOUT", str(timeout))  # the worker beats every 1 s
    run_id = launcher.submit(parse_config(paced_config()))
    proc = launcher._children[run_id]

    def paused() -> bool:
        launcher.reconcile()
        return detail(run_id).paused_before_task == 1

    poll(paused, "the worker to pause after task 0", TIMEOUT_S)
    quiet_until = time.monotonic() + 2 * timeout  # twice the heartbeat timeout, reconciling
    while time.monotonic() < quiet_until:
        launcher.reconcile()
        assert detail(run_id).status is RunStatus.RUNNING, detail(run_id).error
        time.sleep(0.2)

    assert launcher.cancel(run_id, grace_s=5.0, wait=True) is True
    run = detail(run_id)
    assert run.status is RunStatus.STOPPED
    assert proc.returncode == 143  # it left the wait at the stop request, inside the grace
    assert matrix_rows(run_id) == 1


def test_the_data_parallel_helpers_tracker_honours_the_gate(lab):
    """Ranks 1..N-1 must wait at the gate too, or they block in a collective rank 0 never joins."""
    from engine.training.distributed import DiscardingTracker

    run_id = create_run_record(parse_config(paced_config()))
    helper = DiscardingTracker(run_id)
    assert not helper.task_allowed(1)
    assert task_gate.allow_next_task(run_id, 1)
    assert helper.task_allowed(1) and not helper.task_allowed(2)
    assert DiscardingTracker().task_allowed(5)  # a run outside the lab database has no gate
