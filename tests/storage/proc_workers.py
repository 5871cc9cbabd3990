"""Functions run in child processes by the storage tests (importable by spawned children).

Each reports back through a queue as ("ok", payload) or ("error", repr(exception)), so a
failure in a child becomes a readable assertion in the parent.
"""

from __future__ import annotations

import os
import time
import traceback
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from typing import Any

from sqlalchemy import Engine

from storage import db, queries, runs
from storage.models import RunStatus


def _report(results: Queue[Any], work: Any) -> None:
    try:
        results.put(("ok", work()))
    except BaseException as exc:
        results.put(("error", f"{exc!r}\n{traceback.format_exc()}"))


def start_on_fresh_database(url: str, barrier: Barrier, results: Queue[Any]) -> None:
    """Wait for the others, then initialise the schema and create one run."""

    def work() -> int:
        barrier.wait(timeout=30)
        db.init_db(db.get_engine(url))
        with db.write_session(url) as session:
            return runs.create_run(
                session, name=f"pid-{os.getpid()}", kind="finetune", method="full", config={}
            )

    _report(results, work)


def check_engine_after_fork(url: str, inherited: Engine, results: Queue[Any]) -> None:
    """In a forked child: the cached engine must be a new one, and it must work."""

    def work() -> dict[str, Any]:
        engine = db.get_engine(url)
        with db.write_session(url) as session:
            run_id = runs.create_run(
                session, name="from-child", kind="finetune", method="full", config={}
            )
        return {
            "same_engine": engine is inherited,
            "same_pool": engine.pool is inherited.pool,
            "run_id": run_id,
        }

    _report(results, work)


def engine_identity(url: str, results: Queue[Any]) -> None:
    """In a spawned child: report the pid the engine was created for and that it works."""

    def work() -> dict[str, Any]:
        db.get_engine(url)
        with db.read_session(url) as session:
            n_runs = len(queries.list_runs(session))
        return {"pid": os.getpid(), "keys": [k[1] for k in db._engines], "n_runs": n_runs}

    _report(results, work)


def write_metrics(
    url: str, run_id: int, n_points: int, batch: int, barrier: Barrier, results: Queue[Any]
) -> None:
    """A job: log n_points in batches, with a heartbeat and a summary update per batch."""

    def work() -> int:
        barrier.wait(timeout=30)
        with db.write_session(url) as session:
            runs.mark_running(session, run_id, pid=os.getpid(), device="cpu")
        for start in range(0, n_points, batch):
            points = [
                (step, "train/loss", 1.0 / (step + 1), None) for step in range(start, start + batch)
            ]
            with db.write_session(url) as session:
                # Read-then-write first: the pattern a deferred BEGIN cannot survive.
                runs.update_summary(session, run_id, {"last_step": start + batch - 1})
                runs.add_metric_points(session, run_id, points)
                runs.heartbeat(session, run_id)
        with db.write_session(url) as session:
            runs.transition(session, run_id, RunStatus.SUCCEEDED)
        return n_points

    _report(results, work)


def poll_dashboard(url: str, run_ids: list[int], stop: Event, results: Queue[Any]) -> None:
    """The UI: poll run lists and series until told to stop; report how many polls ran."""

    def work() -> int:
        polls = 0
        while not stop.is_set():
            with db.read_session(url) as session:
                queries.list_runs(session)
                for run_id in run_ids:
                    queries.get_run(session, run_id)
                    queries.metric_series(session, run_id, "train/loss", max_points=200)
            polls += 1
            time.sleep(0.005)
        return polls

    _report(results, work)
