"""The warm worker (engine.jobs.warm_pool, engine.jobs.warm_worker): a job that starts in it is
exactly a cold worker's job (the launcher's child, own process group, pid, cancel, exit code),
and a warm worker that is dead, stale or orphaned is never used and never left behind."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from engine.config import load_config
from engine.jobs import launcher, warm_pool
from storage import queries
from storage import runs as run_store
from storage.db import read_session, write_session
from storage.models import RunStatus
from storage.paths import logs_dir
from tests.conftest import REPO

TINY = str(REPO / "examples" / "tiny_quick.yaml")
LONG = ["train.epochs=200", "train.save_checkpoint=false", "train.log_every=1"]
READY_TIMEOUT_S = 180.0  # a torch import on a busy 2-core machine
T = TypeVar("T")


def wait_for(check: Callable[[], T], what: str, timeout: float, reconcile: bool = False) -> T:
    deadline = time.monotonic() + timeout
    while True:
        if reconcile:
            launcher.reconcile()
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def detail(run_id: int) -> queries.RunDetail:
    with read_session() as s:
        run = queries.get_run(s, run_id)
    assert run is not None
    return run


def has_metrics(run_id: int) -> bool:
    with read_session() as s:
        return bool(queries.metric_keys(s, run_id))


@pytest.fixture
def warm_lab(lab: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LAB_MAX_JOBS", "1")
    monkeypatch.delenv("LAB_WARM_WORKER", raising=False)
    monkeypatch.setattr(warm_pool, "REFILL_DELAY_S", 1e9)  # no second import beside the job
    monkeypatch.setattr(warm_pool, "_taken_at", -math.inf)  # whatever an earlier test took
    monkeypatch.setattr(warm_pool, "_failures", 0)
    warm_pool.retire_all()
    yield lab
    procs = [warm.proc] if (warm := warm_pool.current()) else []
    warm_pool.retire_all()
    for proc in [*procs, *launcher._children.values()]:
        if proc.poll() is None and launcher._is_worker(proc.pid):
            launcher._signal_group(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    launcher._children.clear()


def keep_one(lab: Path) -> warm_pool.WarmWorker:
    launcher.reconcile()
    warm = warm_pool.current()
    assert warm is not None and warm.proc.poll() is None
    assert warm.env["LAB_HOME"] == str(lab)
    return warm


# --- no torch import waited for ------------------------------------------------------------------


def test_off_switch_keeps_none(warm_lab, monkeypatch):
    monkeypatch.setenv("LAB_WARM_WORKER", "0")
    launcher.reconcile()
    assert warm_pool.current() is None
    monkeypatch.setenv("LAB_WARM_WORKER", "1")
    monkeypatch.setenv("LAB_JOB_BACKEND", "ray")  # runs go to a cluster: nothing to keep here
    assert not warm_pool.enabled()


def test_warm_workers_that_keep_dying_are_given_up(warm_lab, monkeypatch):
    warm = keep_one(warm_lab)
    warm.proc.kill()  # as if its imports crashed
    warm.proc.wait(timeout=10)
    monkeypatch.setattr(warm_pool, "_failures", warm_pool.MAX_FAILURES - 1)
    launcher.reconcile()  # finds it dead: the last failure allowed
    assert warm_pool._failures == warm_pool.MAX_FAILURES and warm_pool.current() is None
    launcher.reconcile()
    assert warm_pool.current() is None  # jobs start cold from here on


def test_a_paused_queue_or_full_slots_start_no_warm_worker(warm_lab, monkeypatch):
    monkeypatch.setenv("LAB_MAX_JOBS", "0")
    launcher.reconcile()
    assert warm_pool.current() is None
    monkeypatch.setenv("LAB_MAX_JOBS", "1")
    with write_session() as s:  # the one slot taken by a live job (this process stands in)
        run_id = run_store.create_run(s, name="busy", kind="finetune", method="full", config={})
        info = {"hostname": launcher.HOSTNAME}
        run_store.mark_running(s, run_id, pid=os.getpid(), device="cpu", device_info=info)
    launcher.reconcile()
    assert detail(run_id).status is RunStatus.RUNNING and warm_pool.current() is None


def test_a_stale_warm_worker_is_retired_and_exits_even_mid_import(warm_lab, monkeypatch):
    warm = keep_one(warm_lab)
    # Signalled like any worker if it ever runs a job. (Just after a vfork the kernel shows an
    # empty command line for a moment: wait for the exec to finish.)
    wait_for(lambda: launcher._is_worker(warm.proc.pid), "its command line", 5)
    assert os.getpgid(warm.proc.pid) == warm.proc.pid  # its own process group from the start
    # Another lab (as the next test's LAB_HOME): its environment is not this one's.
    monkeypatch.setenv("LAB_HOME", str(warm_lab.parent / "other_home"))
    launcher.reconcile()
    fresh = warm_pool.current()
    assert fresh is not None and fresh.proc.pid != warm.proc.pid
    assert warm.proc.wait(timeout=10) == 0  # end of file on its stdin: it left by itself


def test_a_dead_warm_worker_means_a_cold_start(warm_lab, monkeypatch):
    warm = keep_one(warm_lab)
    warm.proc.kill()
    warm.proc.wait(timeout=10)
    started: list[list[str]] = []

    class FakePopen:  # records the cold start instead of importing torch
        def __init__(self, command: list[str], **kwargs):
            started.append(command)
            self.pid, self.returncode = 4_100_000, None

        def poll(self):
            return None

    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    run_id = launcher.submit(load_config(TINY, overrides=LONG))
    assert started == [[sys.executable, "-m", "engine.jobs.worker", str(run_id)]]
    assert detail(run_id).pid == 4_100_000 and warm_pool.current() is None
    log = (logs_dir() / f"run-{run_id}.log").read_text()
    assert "warm worker" not in log and "engine.jobs.worker" in log
    launcher._children.clear()


def test_an_idle_warm_worker_exits_when_its_launcher_is_gone(lab):
    code = (
        "import time; from engine.jobs import launcher, warm_pool\n"
        "launcher.reconcile(); warm = warm_pool.current()\n"
        "print(warm.proc.pid, flush=True)\n"
    )
    env = dict(os.environ, LAB_MAX_JOBS="1")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True)
    assert out.returncode == 0, out.stderr.decode()
    pid = int(out.stdout.split()[-1])
    # The launcher exited at once: its warm worker sees end of file, mid-import or not.
    wait_for(lambda: gone(pid), "the orphaned warm worker to exit", 15)


# --- a real warm worker ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_job_in_a_warm_worker_is_a_worker_like_any_other(warm_lab):
    warm = keep_one(warm_lab)
    wait_for(warm.is_ready, "the warm worker's imports", READY_TIMEOUT_S)
    submitted = time.monotonic()
    run_id = launcher.submit(load_config(TINY, overrides=LONG))
    proc = launcher._children[run_id]
    assert proc is warm.proc and detail(run_id).pid == warm.proc.pid  # the run's pid is its own
    assert warm_pool.current() is None  # taken: one process, one job
    wait_for(lambda: detail(run_id).device != "starting", "the run to be claimed", 60)
    claimed = time.monotonic() - submitted
    wait_for(lambda: has_metrics(run_id), "the first metric", 120)
    log = launcher.log_tail(run_id, 100)
    assert f"warm worker {proc.pid} takes run {run_id} (imports done)" in log
    assert "[worker] start-up:" in log and "threads:" in log
    assert detail(run_id).device_info["threads_chosen"].startswith("threads: ")
    assert detail(run_id).device_info["worker_start"] == "warm"  # the estimate counts it apart

    assert launcher.cancel(run_id, grace_s=5.0, wait=True) is True
    assert detail(run_id).status is RunStatus.STOPPED
    assert proc.returncode == 143  # the worker's own SIGTERM exit, inside the grace period
    assert gone(proc.pid)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # its whole process group is gone
    print(f"\n[timing] warm: submit->claimed {claimed:.2f} s")


@pytest.mark.slow
def test_a_run_handed_over_mid_import_starts_when_the_imports_are_done(warm_lab):
    warm = keep_one(warm_lab)  # spawned a moment ago: torch takes seconds to import
    run_id = launcher.submit(load_config(TINY, overrides=LONG))
    assert launcher._children[run_id] is warm.proc  # no cold worker importing beside it
    wait_for(lambda: has_metrics(run_id), "the first metric", 120)
    log = launcher.log_tail(run_id, 100)
    assert f"warm worker {warm.proc.pid} takes run {run_id} (still importing)" in log
    assert detail(run_id).device_info["worker_start"] == "warm"
    assert launcher.cancel(run_id, grace_s=5.0, wait=True) is True
    assert detail(run_id).status is RunStatus.STOPPED


@pytest.mark.slow
def test_a_killed_warm_job_is_found_lost_by_pid(warm_lab):
    warm = keep_one(warm_lab)
    wait_for(warm.is_ready, "the warm worker's imports", READY_TIMEOUT_S)
    run_id = launcher.submit(load_config(TINY, overrides=LONG))
    pid = detail(run_id).pid
    assert pid == warm.proc.pid
    wait_for(lambda: detail(run_id).device != "starting", "the run to be claimed", 60)
    # As if another process (a CLI submitter that exited) had started it: only the pid is known.
    launcher._children.pop(run_id)
    os.killpg(pid, signal.SIGKILL)
    warm.proc.wait(timeout=10)  # reap it here (the pid check sees a zombie as gone anyway)
    run = wait_for(
        lambda: (r := detail(run_id)).status is not RunStatus.RUNNING and r,
        "the run to be found lost",
        10,
        reconcile=True,
    )
    assert run.status is RunStatus.FAILED
    assert run.error.startswith(f"lost: process {pid}")


def test_a_cli_command_keeps_no_warm_worker_and_leaves_the_environment_as_it_was(monkeypatch):
    # A command's process exits a moment later: a worker warmed for it would die unused.
    from engine import cli

    monkeypatch.delenv(warm_pool.WARM_ENV, raising=False)
    seen: list[bool] = []
    monkeypatch.setitem(cli.COMMANDS, "list", lambda args: seen.append(warm_pool.enabled()) or 0)
    assert cli.main(["list"]) == 0
    assert seen == [False]
    assert warm_pool.WARM_ENV not in os.environ
