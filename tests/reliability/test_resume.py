"""Training-state checkpoints and `python -m engine resume ID` (RELIABILITY 12, 22; faults).

In-process: a loop stopped after 10 steps and resumed from its epoch-end state ends with the
same weights, bit for bit, as one that never stopped. End to end: a worker SIGKILLed in the
middle of its second epoch is found lost, and `resume` finishes it with the final metrics of an
uninterrupted run of the same config.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from engine.cli import main
from engine.config import load_config
from engine.jobs import launcher
from engine.tracking.tracker import MemoryTracker
from engine.training.loop import LoopResult
from engine.training.train_state import (
    BEST_FILE,
    MODEL_FILE,
    OPTIMIZER_FILE,
    STATE_FILE,
    TrainStateError,
    find_train_state,
    restore_train_state,
    save_train_state,
)
from storage import queries
from storage.db import dispose_engines, read_session
from storage.models import RunStatus
from tests.engine.tiny_training import CPU, StopAfter, encoded_data
from tests.lab_runs import TINY, detail, finished, kill_leftover_workers, last_run_id
from tests.reliability.figures import record
from tests.reliability.helpers import metric_steps, wait_for

# 192 sentences / 16 per batch = 12 steps an epoch, 3 epochs: a few seconds of training.
SMALL = [
    "data.max_train_sentences=192",
    "train.batch_size=16",
    "train.epochs=3",
    "train.log_every=1",
]
STEPS_PER_EPOCH = 12


# --- in process -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_setup():
    from engine.models.backbones import load_token_classifier, resolve_backbone
    from engine.strategies.finetune.run import seed_everything

    cfg = load_config(TINY, overrides=[*SMALL, "data.max_train_sentences=64"])
    data = encoded_data(cfg, dev_sentences=32, max_length=128)

    def new_model():
        seed_everything(cfg.train.seed)
        return load_token_classifier(
            resolve_backbone("tiny"), data.labels, vocab_size=len(data.tokenizer)
        )

    def train_model(model, tracker, **kwargs):
        return data.fit(model, cfg.train, tracker, CPU, torch.float32, **kwargs)

    return new_model, train_model


@pytest.mark.slow
def test_a_stopped_loop_resumed_from_its_state_ends_bit_for_bit_the_same(tiny_setup, tmp_path):
    new_model, train_model = tiny_setup
    straight, straight_log = new_model(), MemoryTracker()
    whole = train_model(straight, straight_log)

    stopped_log = StopAfter(7)  # 4 steps an epoch: stops in the middle of epoch 2
    stopped = train_model(new_model(), stopped_log, state_dir=tmp_path / "state")
    assert stopped.stopped and stopped.steps == 7
    files = sorted(p.name for p in (tmp_path / "state").iterdir())
    assert files == sorted([BEST_FILE, MODEL_FILE, OPTIMIZER_FILE, STATE_FILE])  # no pickle

    resumed, resumed_log = new_model(), MemoryTracker()
    again = train_model(resumed, resumed_log, resume_from=tmp_path / "state")
    assert again.steps == whole.steps == 12
    assert (again.best_f1, again.best_step) == (whole.best_f1, whole.best_step)
    # The resumed loop starts at step 5 and logs exactly what the straight one logged from there.
    assert [m[0] for m in resumed_log.metrics if m[1] == "train_loss"] == list(range(5, 13))
    assert resumed_log.series("train_loss") == straight_log.series("train_loss")[4:]
    for (name, a), b in zip(
        straight.state_dict().items(), resumed.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name


def test_a_kill_between_the_two_renames_leaves_the_previous_state(tmp_path):
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    scaler = torch.amp.GradScaler("cpu", enabled=False)

    class Run:
        best_state = None
        evals_without_gain = 0

    run, result = Run(), LoopResult()
    run.model = model
    folder = tmp_path / "state"
    save_train_state(folder, run, result, optimizer, scheduler, scaler, epoch=1)
    # What a SIGKILL between "move the old state aside" and "move the new one in" leaves.
    os.replace(folder, tmp_path / ".state.old")
    assert find_train_state(folder) == tmp_path / ".state.old"
    assert restore_train_state(folder, run, result, optimizer, scheduler, scaler) == 1
    save_train_state(folder, run, result, optimizer, scheduler, scaler, epoch=2)
    assert find_train_state(folder) == folder and not (tmp_path / ".state.old").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["state"]  # no temporary folder left

    with pytest.raises(TrainStateError, match="cannot load .* size mismatch for weight"):
        run.model = torch.nn.Linear(4, 2, bias=False)
        restore_train_state(folder, run, result, optimizer, scheduler, scaler)
    run.model = model
    (folder / OPTIMIZER_FILE).write_bytes(b"not a safetensors file")
    with pytest.raises(TrainStateError, match="cannot load"):
        restore_train_state(folder, run, result, optimizer, scheduler, scaler)
    shutil.rmtree(folder)
    with pytest.raises(TrainStateError, match="no training state"):
        restore_train_state(folder, run, result, optimizer, scheduler, scaler)


# --- end to end: SIGKILL a worker mid-step, then resume --------------------------------------


def cli(*args: str) -> tuple[int, str, str]:
    """`python -m engine ARGS` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@dataclass
class KilledAndResumed:
    home: Path
    straight: int  # the same config, never interrupted (SUCCEEDED)
    killed: int  # SIGKILLed in its second epoch (FAILED, lost)
    resumed: int  # `resume killed`
    logged_before: list[int]  # the killed run's train_loss steps when it was found lost
    took: float


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory) -> Iterator[KilledAndResumed]:
    """One uninterrupted run, one killed mid-step and found lost, and its resume: the costly
    part, shared by the tests below."""
    home = tmp_path_factory.mktemp("resume") / "lab_home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAB_HOME", str(home))
        patch.setenv("LAB_DB_URL", f"sqlite:///{home / 'lab.db'}")
        patch.setenv("LAB_MAX_JOBS", "1")
        # One thread count for all three runs: chosen from the free cores, it would differ
        # with the machine's load, and so would the last digits of every sum (dev F1 0.1290
        # against 0.1293 once here)
        patch.setenv("LAB_TORCH_THREADS", "1")
        dispose_engines()
        try:
            yield _kill_and_resume(home)
        finally:
            kill_leftover_workers()
            dispose_engines()


def _kill_and_resume(home: Path) -> KilledAndResumed:
    code, out, err = cli("run", TINY, *(f"--set={s}" for s in SMALL), "--quiet")
    assert code == 0, err
    straight = last_run_id(out)

    killed = launcher.submit(load_config(TINY, overrides=SMALL))
    state = home / "runs" / str(killed) / "train_state"
    # Killed as soon as its first epoch's state is saved: in the first steps of the second.
    wait_for(lambda: (state / "state.json").is_file(), "the first epoch's state", every=0.02)
    os.killpg(detail(killed).pid, signal.SIGKILL)
    run = wait_for(lambda: finished(killed), "the killed run to be found lost", 15)
    # Found by its pid ("lost: process ... is gone") or reaped as our child: either is FAILED.
    assert run.status is RunStatus.FAILED, run.error
    assert run.error.startswith(("lost:", "killed by signal SIGKILL")), run.error
    logged_before = metric_steps(killed)

    started = time.monotonic()
    code, out, err = cli("resume", str(killed), "--quiet")
    assert code == 0, err
    resumed = last_run_id(out)
    return KilledAndResumed(
        home, straight, killed, resumed, logged_before, time.monotonic() - started
    )


@pytest.mark.slow
def test_a_worker_killed_mid_step_resumes_to_the_uninterrupted_result(killed_and_resumed):
    k = killed_and_resumed
    straight, resumed = detail(k.straight), detail(k.resumed)
    assert not (k.home / "runs" / str(k.straight) / "train_state").exists()  # freed on success
    assert resumed.status is RunStatus.SUCCEEDED and resumed.parent_id == k.killed
    source = resumed.resumed_from
    assert (source["run"], source["epoch"], source["step"]) == (k.killed, 1, STEPS_PER_EPOCH)
    for key in ("dev_f1", "test_f1", "test_precision", "test_recall", "steps", "best_step"):
        assert resumed.summary.get(key) == pytest.approx(straight.summary.get(key), abs=1e-6), key
    assert straight.summary.test_f1 > 0.05  # it learned something worth comparing
    # One curve: the killed run's points up to the saved step, then the resumed steps.
    assert metric_steps(k.resumed) == list(range(1, 3 * STEPS_PER_EPOCH + 1))
    assert detail(k.killed).status is RunStatus.FAILED  # terminal states never change
    assert metric_steps(k.killed) == k.logged_before  # nothing recorded was lost
    record(
        "kill and resume",
        f"worker SIGKILLed at step {max(k.logged_before)}, resumed from step {source['step']}: "
        f"test F1 {resumed.summary.test_f1:.4f} = {straight.summary.test_f1:.4f} "
        f"uninterrupted (dev F1 {resumed.summary.dev_f1:.4f}); resume took {k.took:.0f} s",
    )


PICKLE_SUFFIXES = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib"}


def looks_pickled(path: Path) -> bool:
    """A pickle stream (protocol 2-5 header) or a torch.save zip (it holds data.pkl)."""
    head = path.read_bytes()[:4096]
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return True
    return head[:2] == b"PK" and b"data.pkl" in path.read_bytes()


@pytest.mark.slow
def test_runs_write_and_read_only_safetensors(killed_and_resumed):
    """RELIABILITY 22 on disk: every file the three runs (one a resume) left in LAB_HOME."""
    from safetensors import safe_open

    files = [p for p in killed_and_resumed.home.rglob("*") if p.is_file()]
    weights = [p for p in files if p.suffix == ".safetensors"]
    assert {p.parent.name for p in weights} >= {"checkpoint", "train_state"}
    assert not [p for p in files if p.suffix in PICKLE_SUFFIXES or looks_pickled(p)]
    big = [p for p in files if p.stat().st_size > 2**20 and p.suffix != ".safetensors"]
    assert [p.name for p in big] in ([], ["lab.db"], ["lab.db-wal"], ["lab.db", "lab.db-wal"])
    for path in weights:
        with safe_open(str(path), framework="pt") as f:
            assert list(f.keys())
    record("files written", f"{len(files)} files, {len(weights)} weight files: all safetensors")


@pytest.mark.slow
def test_deleted_checkpoints_fail_fast_with_a_message(killed_and_resumed, tmp_path):
    """Delete what a finished run left on disk: export, run:ID and resume each say so in one
    line, and nothing new is created."""
    k = killed_and_resumed
    with read_session() as s:
        runs_before = len(queries.list_runs(s))
    code, _, err = cli("resume", str(k.straight))
    assert code == 1 and "already SUCCEEDED" in err

    shutil.rmtree(k.home / "runs" / str(k.killed) / "train_state")
    code, _, err = cli("resume", str(k.killed))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: run {k.killed} has no training-state checkpoint")
    assert "python -m engine run --from-run" in err

    checkpoint = Path(detail(k.straight).summary.checkpoint)
    shutil.rmtree(checkpoint)
    code, _, err = cli("export", str(k.straight), str(tmp_path / "export"))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert f"checkpoint {checkpoint} is missing" in err
    assert (tmp_path / "export" / "metrics.csv").is_file()  # the rest was still exported

    with read_session() as s:
        assert len(queries.list_runs(s)) == runs_before  # no resume or export created a run

    code, _, err = cli("run", TINY, f"--set=backbone=run:{k.straight}", "--quiet")
    assert code == 1 and f"run {k.straight} kept no checkpoint" in err, err
