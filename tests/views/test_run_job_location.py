"""The run page says which job backend ran a run and where (issue 8: local or a Ray cluster)."""

from __future__ import annotations

import html

from storage import runs
from storage.db import write_session
from storage.models import RunStatus
from tests.views.conftest import open_page


def add_run(backend: str, log_path: str, host: str) -> int:
    with write_session() as s:
        run_id = runs.create_run(
            s, name="on-ray", kind="finetune", method="full", config={}, backend=backend
        )
        runs.mark_running(s, run_id, pid=4321, device="cuda", device_info={"hostname": host})
        runs.set_log_path(s, run_id, log_path)
        runs.transition(s, run_id, RunStatus.SUCCEEDED)
    return run_id


def captions(at) -> str:
    """The captions as the browser shows them (markdown escapes turned back into text)."""
    return html.unescape(" ".join(c.value for c in at.caption))


def test_run_page_shows_the_ray_job_and_node(fake_jobs):
    run_id = add_run("ray", "http://10.0.0.5:8265/#/jobs/lab-1-a1b2c3", "gpu-node-3")
    at = open_page("views/runs.py", run=str(run_id))
    assert not at.exception
    assert "job: ray · http://10.0.0.5:8265 · job lab-1-a1b2c3 · node gpu-node-3" in captions(at)


def test_run_page_shows_a_local_job_and_its_host(fake_jobs, tmp_path):
    run_id = add_run("local", str(tmp_path / "run-1.log"), "lab-pc")
    at = open_page("views/runs.py", run=str(run_id))
    assert "job: local · lab-pc" in captions(at)
