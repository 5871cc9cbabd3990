"""Several job processes writing while the dashboard polls (RELIABILITY 2).

The optuna-dashboard#545 topology: writers and a reader on one SQLite file. Nobody may see
"database is locked", and every logged row must be there afterwards.
"""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import func, select

from storage import db, queries, runs
from storage.models import MetricPoint, RunStatus
from tests.storage import proc_workers

N_WRITERS = 3
N_POINTS = 2000
BATCH = 20  # 100 write transactions per writer, each with a heartbeat and a summary merge


@pytest.mark.slow
def test_writers_and_a_polling_reader_never_see_a_locked_database(db_url: str):
    with db.write_session(db_url) as session:
        run_ids = [
            runs.create_run(session, name=f"job-{i}", kind="finetune", method="full", config={})
            for i in range(N_WRITERS)
        ]

    ctx = multiprocessing.get_context("spawn")
    barrier, stop = ctx.Barrier(N_WRITERS), ctx.Event()
    writer_results, reader_results = ctx.Queue(), ctx.Queue()
    reader = ctx.Process(
        target=proc_workers.poll_dashboard, args=(db_url, run_ids, stop, reader_results)
    )
    writers = [
        ctx.Process(
            target=proc_workers.write_metrics,
            args=(db_url, run_id, N_POINTS, BATCH, barrier, writer_results),
        )
        for run_id in run_ids
    ]
    reader.start()
    for writer in writers:
        writer.start()
    writer_reports = [writer_results.get(timeout=180) for _ in writers]
    stop.set()
    reader_report = reader_results.get(timeout=180)
    for proc in [*writers, reader]:
        proc.join(timeout=30)

    errors = [payload for status, payload in [*writer_reports, reader_report] if status != "ok"]
    assert not errors, "\n".join(errors)
    assert [payload for _, payload in writer_reports] == [N_POINTS] * N_WRITERS
    assert reader_report[1] > 0  # the reader really polled while the writers ran
    assert all(proc.exitcode == 0 for proc in [*writers, reader])

    with db.read_session(db_url) as session:
        for run_id in run_ids:
            steps = session.scalars(
                select(MetricPoint.step).where(MetricPoint.run_id == run_id).order_by("step")
            ).all()
            assert steps == list(range(N_POINTS))
            run = queries.get_run(session, run_id)
            assert run is not None and run.status is RunStatus.SUCCEEDED
            assert run.summary.stored() == {"last_step": N_POINTS - 1}
        total = session.execute(select(func.count()).select_from(MetricPoint)).scalar_one()
    assert total == N_WRITERS * N_POINTS
