"""`train.launcher: torchrun`: 2 gloo ranks started by torchrun against the lab's own launcher.

The known answer: both launchers run the same ranks on the same data with the same seeds, so the
loss at every step agrees to float rounding; through the database, only the job's writing rank
reports (one row per metric and step, one checkpoint), and a cancel stops every rank.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import torch

from engine.strategies.base import RunContext
from engine.tracking.tracker import MemoryTracker
from engine.training import torchrun
from engine.training.distributed import run_strategy
from engine.training.torchrun import Rendezvous, function_ref, torchrun_command
from tests.engine.test_distributed import fit_without_dropout, small_config

RANK_ENTRY = b"engine.training.torchrun_rank"
AGENT = b"engine.training.torchrun_agent"  # torchrun's own argv names the rank entry too


def db_context(run_id: int, cfg) -> RunContext:
    from engine.jobs.runner import run_dir
    from engine.tracking.db_tracker import DbTracker

    cpu = torch.device("cpu")
    return RunContext(run_id, cfg, DbTracker(run_id), cpu, torch.float32, run_dir(run_id), False)


@pytest.mark.slow
def test_torchrun_ranks_give_the_lab_launchers_losses_and_rank_1_writes_nothing(lab, tmp_path):
    from engine.jobs.runner import create_run_record
    from storage import queries
    from storage.db import read_session

    lab_tracker = MemoryTracker()
    cpu = torch.device("cpu")
    lab_ctx = RunContext(None, small_config(2), lab_tracker, cpu, torch.float32, tmp_path, False)
    by_lab = run_strategy(fit_without_dropout, lab_ctx)

    cfg = small_config(2, launcher="torchrun")
    run_id = create_run_record(cfg, claim_pid=os.getpid())  # RUNNING, as a worker leaves it
    by_torchrun = run_strategy(fit_without_dropout, db_context(run_id, cfg))

    assert by_torchrun["data_parallel"] == {
        "processes": 2,
        "backend": "gloo",
        "launcher": "torchrun",
        "nodes": 1,
    }
    assert by_torchrun["steps"] == by_lab["steps"] == 24
    assert by_torchrun["tokens"] == by_lab["tokens"]
    with read_session() as s:
        points = queries.metric_points(s, run_id)
        evaluations = queries.evaluations(s, run_id)
    keys = [(p.key, p.step, p.task) for p in points]
    assert len(keys) == len(set(keys))  # no second rank wrote a row
    losses = [p.value for p in sorted(points, key=lambda p: p.step) if p.key == "train_loss"]
    assert len(losses) == 24
    assert losses == pytest.approx(lab_tracker.series("train_loss"), rel=1e-4, abs=1e-4)
    assert by_torchrun["weights"] == pytest.approx(by_lab["weights"], rel=1e-5)
    assert sorted(e.stage for e in evaluations) == ["epoch-1", "epoch-2"]  # the writer's only
    dev_f1 = [e.f1 for e in sorted(evaluations, key=lambda e: e.stage)]
    assert dev_f1 == pytest.approx(lab_tracker.series("dev_f1"), abs=1e-6)


@pytest.mark.slow
def test_a_torchrun_run_through_the_runner_writes_once_and_one_checkpoint(lab):
    from engine.jobs.runner import create_run_record, execute_run
    from storage import queries
    from storage.db import read_session

    run_id = create_run_record(small_config(2, launcher="torchrun", epochs=1))
    summary = execute_run(run_id, progress=False)

    assert summary.data_parallel["launcher"] == "torchrun"
    assert summary.data_parallel["processes"] == 2
    assert summary.steps == 12
    with read_session() as s:
        detail = queries.get_run(s, run_id)
        points = queries.metric_points(s, run_id)
        artifacts = queries.artifacts(s, run_id)
    assert str(detail.status) == "SUCCEEDED"
    keys = [(p.key, p.step, p.task) for p in points]
    assert len(keys) == len(set(keys))
    assert sum(1 for p in points if p.key == "train_loss") == 12
    assert [a.kind for a in artifacts] == ["checkpoint"]
    assert not (lab / "runs" / str(run_id) / torchrun.SUMMARY_FILE).exists()  # read, removed


CRASH_AT = 18  # of 24 steps, 12 an epoch: after the epoch-1 training state (step 12)


class CrashOnce:
    """Rank 1's tracker on the first attempt: every rank flushes each point at once (the
    writer's reach the database), and rank 1 dies at CRASH_AT, as a lost GPU would."""

    def __init__(self, tracker):
        self.tracker = tracker

    def log_metric(self, key, value, step, task=None):
        self.tracker.log_metric(key, value, step, task)
        self.tracker.flush()
        if os.environ["RANK"] == "1" and step == CRASH_AT and key == "train_loss":
            os._exit(3)

    def __getattr__(self, name):
        return getattr(self.tracker, name)


def fit_that_loses_a_rank_once(ctx: RunContext) -> dict:
    """fit_without_dropout with a training state each epoch, resumed from ctx.resume_from."""
    from transformers import AutoModelForTokenClassification, BertConfig

    from engine.models.backbones import TINY_CONFIG
    from engine.training.train_state import TRAIN_STATE_DIR
    from tests.engine.tiny_training import encoded_data

    cfg = ctx.config
    torch.manual_seed(0)
    data = encoded_data(cfg, dev_sentences=64, max_length=cfg.train.max_length)
    model = AutoModelForTokenClassification.from_config(
        BertConfig(vocab_size=len(data.tokenizer), num_labels=len(data.labels),
                   hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **TINY_CONFIG)
    )  # fmt: skip
    first = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
    tracker = CrashOnce(ctx.tracker) if first else ctx.tracker
    state = ctx.run_dir / TRAIN_STATE_DIR if cfg.train.save_checkpoint else None  # the writer's
    result = data.fit(model, cfg.train, tracker, ctx.device, ctx.dtype, state_dir=state,
                      resume_from=ctx.resume_from)  # fmt: skip
    return {"steps": result.steps}


@pytest.mark.slow
def test_an_elastic_restart_resumes_and_writes_each_step_once(lab, monkeypatch, capfd):
    from engine.jobs.runner import create_run_record
    from storage import queries
    from storage.db import read_session

    monkeypatch.setenv("LAB_TORCHRUN_MAX_RESTARTS", "1")
    cfg = small_config(2, launcher="torchrun")  # 2 epochs: 24 steps
    run_id = create_run_record(cfg, claim_pid=os.getpid())
    summary = run_strategy(fit_that_loses_a_rank_once, db_context(run_id, cfg))

    assert summary["steps"] == 24
    out = capfd.readouterr()
    assert "restart 1: resumes from step 12" in out.out + out.err
    with read_session() as s:
        points = queries.metric_points(s, run_id)
        evaluations = queries.evaluations(s, run_id)
    keys = [(p.key, p.step, p.task) for p in points]
    assert len(keys) == len(set(keys))  # steps 13-17 of the lost attempt are not there twice
    assert sorted(p.step for p in points if p.key == "train_loss") == list(range(1, 25))
    assert sorted(e.stage for e in evaluations) == ["epoch-1", "epoch-2"]


def rank_pids(run_id: int) -> list[int]:
    """This run's torchrun ranks alive on this machine (zombies do not count)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        mine = RANK_ENTRY in argv and AGENT not in argv and str(run_id).encode() in argv
        if mine and state not in ("Z", "X"):
            found.append(int(proc.name))
    return found


def wait_for(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self").exists(), reason="finds the ranks through /proc")
def two_rank_job() -> int:
    """A long torchrun job started by the local backend; returns once both ranks train."""
    from engine.jobs.backends import local
    from engine.jobs.runner import create_run_record
    from storage import queries
    from storage.db import read_session

    cfg = small_config(2, launcher="torchrun", epochs=200, save_checkpoint=False)
    run_id = create_run_record(cfg)
    assert local.dispatch() == [run_id]

    def training() -> bool:
        with read_session() as s:
            return bool(queries.metric_points(s, run_id))

    try:
        # generous: two ranks import torch and transformers on a loaded machine
        assert wait_for(training, 600), local.log_tail(run_id, 40)
        assert len(rank_pids(run_id)) == 2
    except BaseException:
        local.cancel(run_id, grace_s=30, wait=True)
        raise
    return run_id


def test_cancel_stops_every_torchrun_rank(lab):
    from engine.jobs.backends import local
    from storage import queries
    from storage.db import read_session

    run_id = two_rank_job()
    assert local.cancel(run_id, grace_s=90, wait=True)

    assert wait_for(lambda: not rank_pids(run_id), 60), rank_pids(run_id)
    with read_session() as s:
        detail = queries.get_run(s, run_id)
    assert str(detail.status) == "STOPPED"
    log = local.log_tail(run_id, 200)
    assert "Traceback" not in log, log


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self").exists(), reason="finds the ranks through /proc")
def test_a_killed_job_leaves_no_rank_behind_and_fails(lab):
    from engine.jobs.backends import local
    from storage import queries
    from storage.db import read_session

    run_id = two_rank_job()
    try:
        with read_session() as s:
            job = queries.get_run(s, run_id).pid
        # What an out-of-memory kill or a crashed machine session does: no chance to clean up.
        # The ranks run in sessions of their own (torchrun's), yet must not outlive it.
        os.killpg(job, signal.SIGKILL)
        assert wait_for(lambda: not rank_pids(run_id), 60), rank_pids(run_id)

        def ended() -> bool:
            # The ranks die at the agent's death (PDEATHSIG), which can be before the worker,
            # a bigger process, has finished exiting: until then it is alive and heartbeating.
            local.reconcile()
            with read_session() as s:
                return str(queries.get_run(s, run_id).status) != "RUNNING"

        assert wait_for(ended, 60)
        with read_session() as s:
            detail = queries.get_run(s, run_id)
        assert str(detail.status) == "FAILED"
        # reaped as our child ("killed by signal SIGKILL") or found gone ("lost: process ...")
        assert detail.error.startswith(("killed by signal SIGKILL", "lost: process")), detail.error
    finally:
        local.cancel(run_id, grace_s=30, wait=True)  # no-op once it has ended


def test_the_torchrun_command_names_the_rendezvous_and_the_rank_entry():
    rdzv = Rendezvous(nnodes=2, endpoint="10.0.0.1:29400", max_restarts=3)
    command = torchrun_command(7, 4, rdzv, "10.0.0.1:29400", "pkg.mod:fn")
    assert command[1:3] == ["-m", "engine.training.torchrun_agent"]  # torchrun's main
    assert "--nnodes=2" in command and "--nproc-per-node=4" in command
    assert "--rdzv-backend=c10d" in command and "--rdzv-endpoint=10.0.0.1:29400" in command
    assert "--rdzv-id=lab-run-7" in command and "--max-restarts=3" in command
    assert command[-5:] == ["-m", "engine.training.torchrun_rank", "7", "--fn", "pkg.mod:fn"]


def test_machine_settings_come_from_the_environment():
    assert Rendezvous.from_env({}) == Rendezvous(1, None, 0)
    env = {"LAB_TORCHRUN_NNODES": "2", "LAB_TORCHRUN_RDZV": "h:1", "LAB_TORCHRUN_MAX_RESTARTS": "1"}
    assert Rendezvous.from_env(env) == Rendezvous(2, "h:1", 1)
    with pytest.raises(ValueError, match="needs LAB_TORCHRUN_RDZV"):
        Rendezvous.from_env({"LAB_TORCHRUN_NNODES": "2"})
    with pytest.raises(ValueError, match="LAB_TORCHRUN_MAX_RESTARTS must be a whole number"):
        Rendezvous.from_env({"LAB_TORCHRUN_MAX_RESTARTS": "-1"})


def test_ranks_import_the_strategy_by_name_so_it_must_be_module_level(tmp_path):
    assert function_ref(fit_without_dropout) == "tests.engine.test_distributed:fit_without_dropout"

    def local_fn(ctx):
        return {}

    with pytest.raises(ValueError, match="module-level strategy function"):
        function_ref(local_fn)
    cpu = torch.device("cpu")
    ctx = RunContext(None, small_config(2, launcher="torchrun"), None, cpu, torch.float32, tmp_path)
    with pytest.raises(ValueError, match="runs a run of the lab database"):
        run_strategy(fit_without_dropout, ctx)
