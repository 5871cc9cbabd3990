"""Four jobs log metrics as fast as they can while the dashboard renders run pages for a minute
(RELIABILITY 2, the optuna-dashboard#545 topology), on SQLite and on PostgreSQL.

No "database is locked" (or any error) may reach a job, a page or the dashboard's log, and every
logged row must be stored: the count each job logged equals the count in the database. Page
render times (AppTest, the whole script: reconcile, queries, charts) are printed and recorded
for docs/reliability.md. LAB_LOAD_SECONDS (default 60) shortens it for a local run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import statistics
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from storage import runs as run_store
from storage.db import dispose_engines, read_session, write_session
from storage.models import MetricPoint, RunStatus
from tests.conftest import REPO
from tests.lab_runs import detail
from tests.reliability import load_workers
from tests.reliability.figures import record

JOBS = 4
SECONDS = float(os.environ.get("LAB_LOAD_SECONDS", "60"))


@pytest.fixture(params=["sqlite", "postgresql"])
def load_lab(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "lab_home"
    url = f"sqlite:///{home / 'lab.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")  # skips with a message without a server
    monkeypatch.setenv("LAB_HOME", str(home))
    monkeypatch.setenv("LAB_DB_URL", url)
    dispose_engines()
    yield request.param
    dispose_engines()


def render_loop(run_ids: list[int], seconds: float) -> tuple[dict[str, list[float]], list[str]]:
    """Render the runs list and each run page in turn until `seconds` pass; times per page."""
    times: dict[str, list[float]] = {"runs list": [], "run page": [], "home": []}
    problems: list[str] = []
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    app.run()
    pages = [("runs list", "views/runs.py", None), ("home", "views/home.py", None)]
    pages += [("run page", "views/runs.py", run_id) for run_id in run_ids]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, page, run_id in pages:
            app.query_params.clear()
            app.switch_page(page)
            if run_id is not None:
                app.query_params["run"] = str(run_id)
            started = time.perf_counter()
            app.run()
            times[name].append(time.perf_counter() - started)
            problems += [repr(e.value) for e in app.exception]
            problems += [e.value for e in app.error]
    return times, problems


def summary_line(times: dict[str, list[float]]) -> str:
    parts = []
    for name, values in times.items():
        if values:
            p95 = (
                statistics.quantiles(values, n=20, method="inclusive")[-1]
                if len(values) > 1
                else values[0]
            )
            parts.append(
                f"{name} median {statistics.median(values) * 1000:.0f} ms, "
                f"p95 {p95 * 1000:.0f} ms, max {max(values) * 1000:.0f} ms ({len(values)})"
            )
    return "; ".join(parts)


@pytest.mark.slow
def test_four_jobs_logging_flat_out_while_pages_render(load_lab, caplog):
    with write_session() as s:
        run_ids = [
            run_store.create_run(s, name=f"load-{i}", kind="finetune", method="full", config={})
            for i in range(JOBS)
        ]
    env = {k: os.environ[k] for k in ("LAB_HOME", "LAB_DB_URL")}
    ctx = multiprocessing.get_context("spawn")
    start, stop, results = ctx.Barrier(JOBS + 1), ctx.Event(), ctx.Queue()
    jobs = [
        ctx.Process(
            target=load_workers.log_as_fast_as_possible, args=(env, run_id, start, stop, results)
        )
        for run_id in run_ids
    ]
    for job in jobs:
        job.start()
    caplog.set_level(logging.WARNING)
    try:
        start.wait(timeout=120)
        began = time.monotonic()
        times, problems = render_loop(run_ids, SECONDS)
    finally:
        stop.set()
        reports = [results.get(timeout=120) for _ in jobs]
        for job in jobs:
            job.join(timeout=30)
    elapsed = time.monotonic() - began

    errors = [text for status, text in reports if status != "ok"]
    assert not errors, "\n".join(errors)
    assert not problems, problems[:5]
    assert "locked" not in caplog.text.lower() and "Traceback" not in caplog.text
    logged = dict(payload for _, payload in reports)
    with read_session() as s:
        stored = {
            i: s.scalar(
                select(func.count()).select_from(MetricPoint).where(MetricPoint.run_id == i)
            )
            for i in run_ids
        }
    assert stored == logged  # no lost row, none doubled
    assert all(detail(i).status is RunStatus.SUCCEEDED for i in run_ids)
    assert all(job.exitcode == 0 for job in jobs)
    renders = sum(len(v) for v in times.values())
    assert renders >= 3  # the pages really rendered while the jobs wrote
    record(
        f"load ({load_lab})",
        f"{JOBS} jobs, {elapsed:.0f} s: {sum(logged.values()):,} rows logged = stored "
        f"({sum(logged.values()) / elapsed:,.0f} rows/s), {renders} page renders, 0 errors; "
        + summary_line(times),
    )
