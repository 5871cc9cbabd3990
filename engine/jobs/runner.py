"""Execute one stored run: the code path shared by `engine run` (foreground) and the worker.

run_id = create_run_record(cfg); summary = execute_run(run_id)

A run is executed by the process that claims it (storage.runs.claim_run): a PENDING row, or a
RUNNING row the launcher already marked with this process's pid.
"""

from __future__ import annotations

import contextlib
import os
import socket
import traceback
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.config import ConfigError, RunConfig, parse_config
from engine.data.types import DataError
from engine.models.backbones import BackboneError
from storage import queries
from storage import runs as run_store
from storage.db import read_session, write_session
from storage.models import RunStatus
from storage.paths import lab_home
from storage.summary import RunSummary


class RunFailed(RuntimeError):
    """A run ended FAILED; the message is the one-line reason stored with it."""


class NotClaimable(RunFailed):
    """The run is not this process's to execute (finished, or another process runs it)."""


# Errors in what the user gave us: the one-line reason says it all, no traceback in the log.
USER_ERRORS = (RunFailed, ConfigError, DataError, BackboneError)


def method_of(cfg: RunConfig) -> str:
    strategy = cfg.strategy
    return str(getattr(strategy, "method", None) or getattr(strategy, "mode", None) or "default")


def create_run_record(
    cfg: RunConfig,
    *,
    parent_id: int | None = None,
    group_name: str | None = None,
    claim_pid: int | None = None,
    backend: str = "local",
) -> int:
    """Store a PENDING run; with `claim_pid`, RUNNING for that process in the same transaction.

    `backend` is the job backend that runs it (engine.jobs.backends): a dispatcher serves only its
    own.

    A foreground run claims its row at once, so no launcher's dispatcher starts a worker for it
    while this process is still importing torch.
    """
    with write_session() as s:
        return store_run(
            s, cfg, parent_id=parent_id, group_name=group_name, claim_pid=claim_pid, backend=backend
        )


def store_run(
    s: Session,
    cfg: RunConfig,
    *,
    parent_id: int | None = None,
    group_name: str | None = None,
    claim_pid: int | None = None,
    backend: str = "local",
) -> int:
    """create_run_record inside the caller's write transaction (resume adds rows to it)."""
    run_id = run_store.create_run(
        s,
        name=cfg.name,
        kind=cfg.strategy.kind,
        method=method_of(cfg),
        config=cfg.to_dict(),
        parent_id=parent_id,
        group_name=group_name,
        backend=backend,
    )
    if claim_pid is not None:
        host = {"hostname": socket.gethostname()}
        run_store.claim_run(s, run_id, pid=claim_pid, device="starting", device_info=host)
    return run_id


def run_dir(run_id: int):
    path = lab_home() / "runs" / str(run_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def resume_source(resumed_from: dict[str, Any] | None) -> Path | None:
    """The training state a continuation run starts from (the run's `resumed_from`, written by
    engine.jobs.resume: {run, epoch, step, train_state}), if any."""
    state = (resumed_from or {}).get("train_state")
    return Path(state) if state else None


def one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    reason = text[0] if text else ""
    return f"{type(err).__name__}: {reason}" if reason else type(err).__name__


def execute_run(
    run_id: int, *, progress: bool = True, tracker: Any = None, worker_start: str | None = None
) -> RunSummary:
    """Run a PENDING run (or one RUNNING for this pid) to a terminal state; return its summary.

    `worker_start`: "warm" or "cold", how a job's worker started (engine.jobs.worker), kept in
    the run's device_info: the run-time estimate predicts start-up by it.

    Raises RunFailed when it ends FAILED, NotClaimable (writing nothing) when it is not ours.
    """
    import torch  # heavy: only when a run actually executes

    from engine.device import describe, device_info, pick_device, pick_precision
    from engine.jobs import threads
    from engine.strategies.base import RunContext
    from engine.strategies.registry import get_strategy
    from engine.tracking.db_tracker import DbTracker
    from engine.training.distributed import run_strategy

    with read_session() as s:
        detail = queries.get_run(s, run_id)
    if detail is None:
        raise RunFailed(f"run {run_id} does not exist")
    tracker = tracker or DbTracker(run_id)
    previous_threads = torch.get_num_threads()
    try:
        cfg = parse_config(detail.config)
        device = pick_device(cfg.train.device)
        dtype = pick_precision(device, cfg.train.precision)
        # Chosen now, from the cores free at this moment, not when the process was started.
        choice = threads.measure(run_id)
        threads.apply(choice)
        info = device_info(device) | {
            "precision": str(dtype).removeprefix("torch."),
            "threads_chosen": choice.describe(),
        }
        if worker_start:
            info["worker_start"] = worker_start
        with write_session() as s:
            if not run_store.claim_run(
                s, run_id, pid=os.getpid(), device=describe(device), device_info=info
            ):
                raise NotClaimable(f"run {run_id} is not this process's to run ({detail.status})")
        if progress:
            print(
                f"run {run_id}: {cfg.strategy.kind} on {describe(device)} ({info['precision']})",
                flush=True,
            )
            print(f"run {run_id}: {choice.describe()}", flush=True)
        torch.manual_seed(cfg.train.seed)
        ctx = RunContext(run_id, cfg, tracker, device, dtype, run_dir(run_id), progress)
        ctx.resume_from = resume_source(detail.resumed_from)
        # train.devices > 1: this process is rank 0 of a data-parallel group
        summary = run_strategy(get_strategy(cfg.strategy.kind), ctx)
        tracker.flush()
        tracker.update_summary(**summary)
    except NotClaimable:
        raise  # someone else's run: leave its status alone
    except (Exception, KeyboardInterrupt) as err:
        _finish_failed(run_id, tracker, err)
        if isinstance(err, RunFailed):
            raise
        raise RunFailed(one_line(err)) from err
    finally:
        torch.set_num_threads(previous_threads)  # an in-process caller keeps its own setting
    result = RunSummary.model_validate(summary)
    final = RunStatus.STOPPED if result.cancelled else RunStatus.SUCCEEDED
    with write_session() as s:
        run_store.transition(s, run_id, final)
    return result


def _finish_failed(run_id: int, tracker: Any, err: BaseException) -> None:
    # the database may be what failed; the status write below still tries
    with contextlib.suppress(Exception):
        tracker.flush()
    stopped = isinstance(err, KeyboardInterrupt)
    status = RunStatus.STOPPED if stopped else RunStatus.FAILED
    reason = "interrupted" if stopped else one_line(err)
    if not stopped and not isinstance(err, USER_ERRORS):
        print(traceback.format_exc(), flush=True)  # detail for the log; the UI shows the reason
    with write_session() as s:
        run_store.transition(s, run_id, status, error=reason)
