"""The Ray job backend against a real Ray head on 127.0.0.1 (one head for the whole module).

A tiny run submitted through the lab (LAB_JOB_BACKEND=ray) must end SUCCEEDED with its metrics in
the lab database and its log readable through the lab; cancelling a longer one must end STOPPED
in the lab and in Ray. The head is started with `ray start --head` (dashboard on loopback,
2 CPUs) and stopped with `ray stop` at the end. Skips with a message where ray is not installed.
The pure parts (state mapping, resources, errors) run without Ray.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

import pytest

from engine import api as jobs
from engine.config import load_config, parse_config
from engine.jobs import launcher
from engine.jobs.backends import JobBackendError, get_backend, selected_backend
from engine.jobs.backends.ray_jobs import (
    job_resources,
    lab_outcome,
    locator,
    parse_locator,
    ray_location,
)
from engine.runs.summary import run_summary
from storage import queries
from storage.db import read_session
from storage.models import TERMINAL_STATES, RunStatus
from tests.fresh_imports import packages_loaded_by
from tests.lab_runs import TINY, detail, poll

QUICK = ["data.max_train_sentences=64", "train.epochs=1", "train.save_checkpoint=false"]
LONG = ["data.max_train_sentences=600", "train.epochs=200", "train.save_checkpoint=false"]
JOB_TIMEOUT_S = 240.0  # Ray sets up the job, the worker imports torch: slow on a busy 2-core CI
HAS_RAY = importlib.util.find_spec("ray") is not None
VENV_BIN = Path(sys.executable).parent

T = TypeVar("T")


# --- no Ray needed -----------------------------------------------------------------------------


def test_ray_job_states_map_onto_lab_states():
    assert lab_outcome("PENDING", None) is None  # still queued in Ray: the lab shows PENDING
    assert lab_outcome("RUNNING", None) is None  # the worker marks RUNNING itself
    assert lab_outcome("STOPPED", "Job was intentionally stopped.") == (
        RunStatus.STOPPED,
        "stopped in Ray",
    )
    assert lab_outcome("FAILED", "exit code 1") == (RunStatus.FAILED, "Ray job failed: exit code 1")
    # the worker writes SUCCEEDED before it exits; only a worker that could not is left
    assert lab_outcome("SUCCEEDED", None)[0] is RunStatus.FAILED


def test_the_run_records_where_its_ray_job_is():
    where = locator("http://10.1.2.3:8265/", "lab-7-a1b2c3")
    assert where == "http://10.1.2.3:8265/#/jobs/lab-7-a1b2c3"  # the job's dashboard page
    assert parse_locator(where) == ("http://10.1.2.3:8265", "lab-7-a1b2c3")
    assert parse_locator("/lab/logs/run-7.log") is None  # a local run's log file
    assert parse_locator(None) is None
    assert ray_location(where, "gpu-node-3") == (
        "ray · http://10.1.2.3:8265 · job lab-7-a1b2c3 · node gpu-node-3"
    )
    assert ray_location(None, None) == "ray · not submitted yet"


def test_resources_follow_the_run_config():
    def cfg(**train):
        return parse_config({"train": train})

    def no_gpus() -> float:
        return 0.0

    def four_gpus() -> float:
        return 4.0

    assert job_resources(cfg(), no_gpus) == {"entrypoint_num_cpus": 1, "entrypoint_num_gpus": 0}
    assert job_resources(cfg(), four_gpus) == {"entrypoint_num_cpus": 1, "entrypoint_num_gpus": 1}
    four = cfg(device="cuda", devices=4)
    assert job_resources(four, no_gpus) == {"entrypoint_num_cpus": 4, "entrypoint_num_gpus": 4}
    cpu = cfg(device="cpu", devices=2)
    assert job_resources(cpu, four_gpus) == {"entrypoint_num_cpus": 2, "entrypoint_num_gpus": 0}


def test_backend_setting_is_checked(monkeypatch):
    monkeypatch.delenv("LAB_JOB_BACKEND", raising=False)
    assert selected_backend() == "local"
    monkeypatch.setenv("LAB_JOB_BACKEND", "Ray ")
    assert selected_backend() == "ray"
    monkeypatch.setenv("LAB_JOB_BACKEND", "slurm")
    with pytest.raises(JobBackendError, match="LAB_JOB_BACKEND must be one of local, ray"):
        selected_backend()


def test_an_unreachable_cluster_is_refused_before_a_run_is_stored(lab, monkeypatch):
    monkeypatch.setenv("LAB_JOB_BACKEND", "ray")
    monkeypatch.setenv("LAB_RAY_ADDRESS", "http://127.0.0.1:9")  # discard port: nobody listens
    with pytest.raises(JobBackendError, match=r"127\.0\.0\.1:9"):
        jobs.submit(load_config(TINY, overrides=QUICK))
    with read_session() as s:
        assert queries.list_runs(s) == []


def test_without_ray_installed_the_error_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray.job_submission", None)  # import fails
    monkeypatch.setattr("engine.jobs.backends.ray_jobs._clients", {})
    with pytest.raises(JobBackendError, match=r"pip install 'ray\[default\]"):
        get_backend("ray").check()


def test_the_dashboard_never_imports_ray():
    assert packages_loaded_by("import engine.api, engine.jobs.launcher", ("ray",)) == []


def test_local_runs_say_where_they_ran():
    run = SimpleNamespace(backend="local", device_info={"hostname": "lab-pc"}, log_path=None)
    assert jobs.job_location(run) == "local · lab-pc"


# --- against a Ray head ------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_head() -> Iterator[str]:
    """A Ray head on 127.0.0.1 with 2 CPUs; its dashboard address. `ray stop` at the end."""
    if not HAS_RAY:
        pytest.skip("ray is not installed (pip install 'ray[default]==2.60.0'); Ray tests skipped")
    ray = shutil.which("ray", path=str(VENV_BIN)) or shutil.which("ray")
    if ray is None:
        pytest.skip("the ray command is not on PATH; Ray tests skipped")
    port, dashboard = free_port(), free_port()
    env = dict(os.environ)
    # The job runs `python -m engine.jobs.worker`: the head's `python` must be this environment's.
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(RAY_USAGE_STATS_ENABLED="0", RAY_JOB_STOP_WAIT_TIME_S="20")
    start = [
        ray,
        "start",
        "--head",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard}",
        "--num-cpus=2",
        "--num-gpus=0",
        "--include-dashboard=true",
        "--disable-usage-stats",
    ]
    started = subprocess.run(start, env=env, capture_output=True, text=True, timeout=180)
    if started.returncode != 0:
        subprocess.run([ray, "stop", "--force"], env=env, capture_output=True, timeout=120)
        pytest.fail(f"ray start failed:\n{started.stdout[-2000:]}\n{started.stderr[-2000:]}")
    try:
        yield f"http://127.0.0.1:{dashboard}"
    finally:
        subprocess.run([ray, "stop", "--force"], env=env, capture_output=True, timeout=120)


@pytest.fixture
def on_ray(lab: Path, ray_head: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LAB_JOB_BACKEND", "ray")
    monkeypatch.setenv("LAB_RAY_ADDRESS", ray_head)
    return ray_head


def wait_for(check: Callable[[], T], what: str, timeout: float = JOB_TIMEOUT_S) -> T:
    """Poll `check` (reconciling first, as the dashboard does) until it is truthy."""
    return poll(check, what, timeout, every=0.5, before=jobs.reconcile)


def ray_job(address: str, run_id: int):
    """The run's Ray job, once Ray has seen its process end (shortly after the lab has)."""
    from ray.job_submission import JobSubmissionClient

    where = parse_locator(detail(run_id).log_path)
    assert where is not None and where[0] == address
    client = JobSubmissionClient(address)
    return wait_for(
        lambda: (info := client.get_job_info(where[1])).status.is_terminal() and info,
        "Ray to see the job end",
        60,
    )


@pytest.mark.slow
def test_a_tiny_run_succeeds_on_ray_with_metrics_in_the_lab_database(on_ray, lab, monkeypatch):
    from ray.job_submission import JobSubmissionClient

    sent: dict = {}
    submit_job = JobSubmissionClient.submit_job

    def spy(self, **kwargs):
        sent.update(kwargs)
        return submit_job(self, **kwargs)

    monkeypatch.setattr(JobSubmissionClient, "submit_job", spy)
    on_ray_home = lab
    run_id = jobs.submit(load_config(TINY, overrides=QUICK))
    run = detail(run_id)
    assert run.backend == "ray"
    assert run.log_path.startswith(f"{on_ray}/#/jobs/lab-{run_id}-")

    wait_for(lambda: detail(run_id).status in TERMINAL_STATES, "the Ray job to finish")
    run = detail(run_id)
    assert run.status is RunStatus.SUCCEEDED, run.error
    info = ray_job(on_ray, run_id)
    assert str(info.status.value) == "SUCCEEDED"
    assert info.entrypoint == f"python -m engine.jobs.worker {run_id}"
    assert info.metadata == {"lab_run": str(run_id), "submitted_from": launcher.HOSTNAME}
    assert (sent["entrypoint_num_cpus"], sent["entrypoint_num_gpus"]) == (1, 0)
    job_env = sent["runtime_env"]["env_vars"]
    assert job_env["LAB_DB_URL"] == os.environ["LAB_DB_URL"]  # the worker wrote into our database
    assert job_env["LAB_HOME"] == str(on_ray_home)
    with read_session() as s:
        losses = queries.metric_series(s, run_id, "train_loss")
        tests = queries.evaluations(s, run_id, split="test")
    assert len(losses) >= 1  # 64 sentences / batch 32: 2 steps, logged by the worker in Ray
    assert [(e.stage, e.support > 0) for e in tests] == [("final", True)]
    assert run.summary.steps == 2
    log = jobs.log_tail(run_id, 200)
    assert f"Running entrypoint for job lab-{run_id}-" in log  # Ray's log, read through the lab
    assert f"run {run_id} succeeded" in log
    assert jobs.job_location(run).startswith(f"ray · {on_ray} · job lab-{run_id}-")
    shown = run_summary(run_id)  # python -m engine show ID --json
    assert (shown["backend"], shown["log_path"]) == ("ray", run.log_path)


@pytest.mark.slow
def test_cancel_stops_the_ray_job_and_the_run(on_ray):
    run_id = jobs.submit(load_config(TINY, overrides=LONG))

    def training() -> bool:
        with read_session() as s:
            return bool(queries.metric_keys(s, run_id))

    wait_for(training, "the run to start training on Ray")
    assert jobs.cancel(run_id, grace_s=60, wait=True)
    run = detail(run_id)
    assert run.status is RunStatus.STOPPED, run.error
    info = ray_job(on_ray, run_id)
    assert str(info.status.value) == "STOPPED"
    assert run.cancel_requested is True
    assert not jobs.cancel(run_id)  # already finished
