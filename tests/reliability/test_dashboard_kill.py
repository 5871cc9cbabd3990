"""SIGKILL the dashboard while a job it started is training (faults; RELIABILITY 9, 11).

The job is the dashboard's own child (its reconcile started the queued run, as after a click on
Launch), in a process group of its own with its output in a log file: it keeps training, writes
its own SUCCEEDED, and the restarted dashboard shows the finished run.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from engine.config import load_config
from engine.jobs.runner import create_run_record
from storage.models import RunStatus
from tests.lab_runs import TINY, detail, finished, kill_leftover_workers
from tests.reliability.figures import record
from tests.reliability.helpers import metric_steps
from tests.reliability.served import chromium, open_page, start_server, stop_server, wait_until

pytestmark = pytest.mark.slow
# 2 steps and a dev evaluation an epoch: long enough to outlive the kill, quick on a CPU.
SETTINGS = ["data.max_train_sentences=32", "train.batch_size=16", "train.epochs=5"]


def parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


def test_a_killed_dashboard_leaves_its_job_running_and_the_restarted_one_shows_it(lab, tmp_path):
    run_id = create_run_record(load_config(TINY, overrides=[*SETTINGS, "train.log_every=1"]))
    servers = [start_server(lab, tmp_path / "streamlit-1.log")]
    try:
        with chromium() as browser:
            open_page(browser, servers[0].url)  # its first rerun starts the queued job
            pid = wait_until(lambda: detail(run_id).pid, 60, "the dashboard to start the job")
            assert parent_pid(pid) == servers[0].proc.pid  # the dashboard's own child
            wait_until(lambda: metric_steps(run_id), 120, "the job's first metric")

            os.kill(servers[0].proc.pid, signal.SIGKILL)
            servers[0].proc.wait(10)
            killed = time.monotonic()
            assert detail(run_id).status is RunStatus.RUNNING  # killed mid-training
            run = wait_until(lambda: finished(run_id), 180, "the orphaned job to finish")
            took = time.monotonic() - killed
            assert run.status is RunStatus.SUCCEEDED, run.error
            assert metric_steps(run_id) == list(range(1, 5 * 2 + 1))  # every step logged
            assert f"run {run_id} succeeded" in (lab / "logs" / f"run-{run_id}.log").read_text()

            servers.append(start_server(lab, tmp_path / "streamlit-2.log"))
            page = open_page(browser, f"{servers[1].url}/runs?run={run_id}")
            page.get_by_text("SUCCEEDED").first.wait_for()
            page.get_by_text("Per entity type").first.wait_for()
            assert "Traceback" not in page.content()
    finally:
        for server in servers:
            stop_server(server.proc)
        kill_leftover_workers()
    record(
        "dashboard killed",
        f"job kept training {took:.0f} s after SIGKILL of its dashboard, ended SUCCEEDED with "
        "all 10 steps; the restarted dashboard showed it",
    )
