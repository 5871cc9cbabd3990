"""Background jobs with real worker processes on the tiny backbone (RELIABILITY.md, jobs 6-11).

Each worker costs a few seconds of torch import, so every slow test reuses its job for
several promises. Waits poll with a deadline; nothing sleeps longer than a poll interval.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from engine.cli import main
from engine.config import ConfigError, RunConfig, load_config
from engine.jobs import launcher
from storage import queries
from storage import runs as run_store
from storage.db import read_session, write_session
from storage.models import TERMINAL_STATES, RunStatus
from storage.paths import logs_dir
from tests.conftest import REPO
from tests.fresh_imports import packages_loaded_by
from tests.lab_runs import TINY, detail, finished, group_gone, last_run_id, poll

# Long enough to be cancelled or killed mid-training; no checkpoints to slow it down.
LONG = ["train.epochs=200", "train.save_checkpoint=false", "train.log_every=1"]
SHORT = ["data.max_train_sentences=64", "train.epochs=1", "train.save_checkpoint=false"]
GRACE_S = 5.0
START_TIMEOUT_S = 60.0  # torch import on a busy 2-core machine

T = TypeVar("T")


def config(*overrides: str) -> RunConfig:
    return load_config(TINY, overrides=list(overrides))


def has_metrics(run_id: int) -> bool:
    with read_session() as s:
        return bool(queries.metric_keys(s, run_id))


def wait_for(check: Callable[[], T], what: str, timeout: float = START_TIMEOUT_S) -> T:
    """Poll `check` (reconciling first, as the dashboard does) until it is truthy."""
    return poll(check, what, timeout, before=launcher.reconcile)


def signal_and_wait_for_the_end(
    run_id: int, pgid: int, sig: signal.Signals, timeout: float
) -> tuple[queries.RunDetail, float]:
    """Send `sig` to the worker's group; the run once it has ended, and how long that took."""
    os.killpg(pgid, sig)
    sent = time.monotonic()
    run = wait_for(lambda: finished(run_id), "the run to end", timeout)
    return run, time.monotonic() - sent


def is_zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return any(line.startswith("State:") and "Z" in line for line in status.splitlines())


# --- no worker needed -------------------------------------------------------------------------


def fake_nvidia_smi(folder: Path) -> None:
    script = folder / "nvidia-smi"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-L" ]; then\n'
        '  echo "GPU 0: NVIDIA H200 (UUID: GPU-a)"; echo "GPU 1: NVIDIA H200 (UUID: GPU-b)"\n'
        "else\n"
        '  echo "NVIDIA H200, 143771"; echo "NVIDIA H200, 143771"\n'
        "fi\n"
    )
    script.chmod(0o755)


def test_max_concurrent_jobs_from_env_gpus_or_one(monkeypatch, tmp_path):
    empty, gpus = tmp_path / "empty", tmp_path / "gpus"
    empty.mkdir()
    gpus.mkdir()
    fake_nvidia_smi(gpus)
    monkeypatch.delenv("LAB_MAX_JOBS", raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)

    monkeypatch.setenv("PATH", str(empty))  # no nvidia-smi: one job at a time
    assert launcher.max_concurrent_jobs() == 1
    assert launcher.machine_info()["gpus"] == []

    monkeypatch.setenv("PATH", str(gpus))
    assert launcher.max_concurrent_jobs() == 2
    assert launcher.machine_info()["gpus"] == [{"name": "NVIDIA H200", "memory_gb": 140.4}] * 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert launcher.max_concurrent_jobs() == 1
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # every GPU hidden: still one CPU job
    assert launcher.max_concurrent_jobs() == 1

    monkeypatch.setenv("LAB_MAX_JOBS", "3")
    assert launcher.max_concurrent_jobs() == 3
    monkeypatch.setenv("LAB_MAX_JOBS", "0")  # a paused queue
    assert launcher.max_concurrent_jobs() == 0
    monkeypatch.setenv("LAB_MAX_JOBS", "many")
    with pytest.raises(ValueError, match="LAB_MAX_JOBS"):
        launcher.max_concurrent_jobs()


class FakePopen:
    """Records how the launcher starts a worker, without starting one."""

    started: list[FakePopen] = []

    def __init__(self, command: list[str], **kwargs):
        self.command, self.kwargs = command, kwargs
        self.pid = 4_000_000 + len(self.started)  # above any real pid: never signalled
        self.returncode = None
        self.started.append(self)

    def poll(self):
        return None

    def wait(self, timeout=None):
        return 0


def test_dispatch_starts_one_worker_per_gpu_with_its_own_device(
    one_job_slot, monkeypatch, tmp_path
):
    fake_nvidia_smi(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("LAB_MAX_JOBS")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert launcher.max_concurrent_jobs() == 2  # nvidia-smi's answer is cached from here on
    monkeypatch.setattr(FakePopen, "started", [])
    monkeypatch.setattr(subprocess, "Popen", FakePopen)

    ids = [launcher.submit(config(*SHORT)) for _ in range(3)]
    assert [detail(i).status for i in ids] == [RunStatus.RUNNING] * 2 + [RunStatus.PENDING]
    first = FakePopen.started[0]
    assert first.command[1:] == ["-m", "engine.jobs.worker", str(ids[0])]
    assert first.kwargs["start_new_session"] and first.kwargs["cwd"] == REPO
    assert first.kwargs["env"]["LAB_HOME"] == str(one_job_slot)
    assert first.kwargs["env"]["PYTHONUNBUFFERED"] == "1"
    assert [p.kwargs["env"]["CUDA_VISIBLE_DEVICES"] for p in FakePopen.started] == ["0", "1"]
    assert [detail(i).device_info["cuda_visible_devices"] for i in ids[:2]] == ["0", "1"]
    assert detail(ids[0]).pid == first.pid
    assert launcher.dispatch() == []  # both slots taken: the third waits
    launcher._children.clear()


def test_machine_info_describes_this_machine(monkeypatch):
    monkeypatch.delenv("LAB_MAX_JOBS", raising=False)
    info = launcher.machine_info()
    assert info["cpu_count"] == os.cpu_count()
    assert info["memory_gb"] > 0
    assert info["hostname"] and info["platform"]
    assert info["max_jobs"] >= 1


def test_launcher_does_not_import_torch():
    assert packages_loaded_by("import engine.jobs.launcher", ("torch", "transformers")) == []


def test_log_tail_reads_the_last_lines(lab):
    path = logs_dir() / "run-7.log"
    lines = [f"line {i}" for i in range(5000)]
    path.write_text("\n".join(lines) + "\ntrain:  10%\rtrain:  50%\rtrain: 100%\n")
    assert launcher.log_tail(7, 3) == "line 4998\nline 4999\ntrain: 100%"
    assert launcher.log_tail(7, 1) == "train: 100%"  # a progress bar shows its last redraw
    assert launcher.log_tail(8) == ""


def test_pending_and_finished_runs_cancel_without_a_worker(one_job_slot, monkeypatch, capsys):
    monkeypatch.setenv("LAB_MAX_JOBS", "0")  # nothing starts: the run stays PENDING
    with pytest.raises(ConfigError, match="train.epochs"):
        launcher.submit({"train": {"epochs": 0}})
    run_id = launcher.submit(config(*SHORT).to_dict(), group_name="g")
    assert detail(run_id).status is RunStatus.PENDING and detail(run_id).group_name == "g"
    assert not launcher._children

    assert launcher.cancel(run_id) is True
    assert detail(run_id).status is RunStatus.STOPPED
    assert launcher.cancel(run_id) is False  # terminal states never change
    assert launcher.cancel(999_999) is False

    with write_session() as s:
        done = run_store.create_run(s, name="done", kind="finetune", method="full", config={})
        run_store.mark_running(s, done, pid=1, device="cpu")
        run_store.transition(s, done, RunStatus.SUCCEEDED)
    assert launcher.cancel(done, wait=True) is False
    assert detail(done).status is RunStatus.SUCCEEDED
    assert main(["cancel", str(done)]) == 1
    assert capsys.readouterr().out.strip() == f"run {done}: SUCCEEDED"
    assert main(["cancel", "999999"]) == 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [("sys.exit(3)", "exit code 3"), ("os.kill(os.getpid(), 9)", "killed by signal SIGKILL")],
)
def test_a_child_that_dies_without_a_record_fails_with_its_code_and_log(one_job_slot, code, reason):
    with write_session() as s:
        run_id = run_store.create_run(s, name="crash", kind="finetune", method="full", config={})
    log = logs_dir() / f"run-{run_id}.log"
    with open(log, "ab") as out:  # stands in for a worker that dies before writing its status
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import os, sys; print('loading the model', flush=True); {code}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    with write_session() as s:
        info = {"hostname": launcher.HOSTNAME}
        run_store.mark_running(s, run_id, pid=proc.pid, device="cpu", device_info=info)
    launcher._children[run_id] = proc
    run = wait_for(lambda: finished(run_id), "the end", 10)
    assert run.status is RunStatus.FAILED
    assert run.error.splitlines() == [reason, "loading the model"]
    assert run_id not in launcher._children and not is_zombie(proc.pid)


# --- real workers --------------------------------------------------------------------------------


@pytest.mark.slow
def test_cancel_stops_a_running_job_and_leaves_no_process(one_job_slot, capsys):
    submitted = time.monotonic()
    run_id = launcher.submit(config(*LONG))
    proc = launcher._children[run_id]
    assert detail(run_id).status is RunStatus.RUNNING and detail(run_id).pid == proc.pid
    wait_for(lambda: detail(run_id).device != "starting", "the worker to claim its run")
    claimed = time.monotonic()
    wait_for(lambda: has_metrics(run_id), "the first metric point")
    first_metric = time.monotonic()

    run = detail(run_id)
    assert run.device_info["hostname"] == launcher.HOSTNAME
    assert run.device_info["worker_start"] == "cold"  # no warm worker was ready at submit
    assert run.log_path == str(logs_dir() / f"run-{run_id}.log")
    log = wait_for(
        lambda: "train:" in launcher.log_tail(run_id) and launcher.log_tail(run_id),
        "progress output in the log",
    )
    assert f"run {run_id}: finetune on" in log and "data: 600 train" in log
    assert main(["show", str(run_id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "RUNNING" and shown["pid"] == proc.pid

    asked = time.monotonic()
    assert launcher.cancel(run_id, grace_s=GRACE_S, wait=True) is True
    took = time.monotonic() - asked
    run = detail(run_id)
    assert run.status is RunStatus.STOPPED
    assert took < GRACE_S + 2
    assert proc.returncode == 143  # stopped by SIGTERM, inside the grace period
    assert group_gone(proc.pid) and not is_zombie(proc.pid)
    assert f"run {run_id} stopped" in launcher.log_tail(run_id)
    assert launcher.cancel(run_id) is False and detail(run_id).status is RunStatus.STOPPED
    print(
        f"\n[timing] submit->claimed {claimed - submitted:.1f} s, "
        f"submit->first metric {first_metric - submitted:.1f} s, cancel->STOPPED {took:.2f} s"
    )


@pytest.mark.slow
def test_killed_worker_is_found_lost_after_its_submitter_exited(one_job_slot):
    # Submitted by a CLI process that exits at once: the job is not this process's child.
    out = subprocess.run(
        [sys.executable, "-m", "engine", "submit", TINY, *(f"--set={o}" for o in LONG)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    run_id = last_run_id(out.stdout)
    assert run_id not in launcher._children
    wait_for(lambda: has_metrics(run_id), "the first metric point")
    assert detail(run_id).status is RunStatus.RUNNING  # it outlived its submitter

    run, took = signal_and_wait_for_the_end(run_id, detail(run_id).pid, signal.SIGKILL, 10)
    assert run.status is RunStatus.FAILED
    assert run.error.startswith("lost: process")
    assert took < 3
    print(f"\n[timing] SIGKILL->FAILED lost {took:.2f} s")


@pytest.mark.slow
def test_frozen_worker_is_found_lost_by_its_stale_heartbeat(one_job_slot, monkeypatch):
    timeout = 4.0
    monkeypatch.setenv("LAB_HEARTBEAT_TIMEOUT", str(timeout))  # the worker beats every 1.3 s
    run_id = launcher.submit(config(*LONG))
    proc = launcher._children[run_id]
    wait_for(lambda: has_metrics(run_id), "the first metric point")

    # SIGSTOP: alive by pid, silent by heartbeat
    run, took = signal_and_wait_for_the_end(run_id, proc.pid, signal.SIGSTOP, 15)
    assert run.status is RunStatus.FAILED
    assert run.error.startswith("lost: no heartbeat")
    assert took < timeout + 3
    # Declared dead, so it is killed: no frozen job keeps holding memory or a slot.
    wait_for(lambda: group_gone(proc.pid), "the frozen group to be killed", 5)
    assert proc.returncode == -signal.SIGKILL
    print(f"\n[timing] SIGSTOP->FAILED lost {took:.2f} s (heartbeat timeout {timeout:g} s)")


@pytest.mark.slow
def test_queue_runs_one_job_at_a_time_in_order_after_the_submitter_exits(one_job_slot):
    code = (
        "from engine.config import load_config; from engine.jobs.launcher import submit\n"
        f"print([submit(load_config({TINY!r}, overrides={SHORT!r} + [f'name=q{{i}}'])) "
        "for i in range(3)])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    ids = json.loads(out.stdout.strip().splitlines()[-1])
    most_running = 0

    def all_done() -> bool:
        nonlocal most_running
        statuses = [detail(i).status for i in ids]
        running = statuses.count(RunStatus.RUNNING)
        assert running <= 1, f"{running} jobs running with LAB_MAX_JOBS=1: {statuses}"
        most_running = max(most_running, running)
        return all(s in TERMINAL_STATES for s in statuses)

    wait_for(all_done, "three queued runs to finish", 120)
    runs = [detail(i) for i in ids]
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED] * 3, [r.error for r in runs]
    assert most_running == 1
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier.finished_at <= later.started_at  # served oldest first, one at a time
    assert all(r.summary.test_f1 is not None for r in runs)
