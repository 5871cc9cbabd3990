"""One rank of a `train.launcher: torchrun` run: `python -m engine.training.torchrun_rank RUN_ID`.

torchrun starts it on every rank with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE and
MASTER_ADDR/PORT in the environment; it joins the group (init_method env://), builds the run's
context from the database (so a rank on another machine needs only LAB_DB_URL) and runs the
strategy. The writer (local rank 0 of the job's machine, engine.training.torchrun.OWNER_ENV)
reports through a DbTracker, beats the heartbeat and stops on SIGTERM at the next step; the
other ranks discard (DiscardingTracker) and ignore SIGTERM, since a stop is agreed in `fit`.
torchrun runs each rank in a session of its own, so each rank dies with the torchrun that
started it: a killed job leaves no rank behind.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from engine.training.torchrun import OWNER_ENV, write_summary

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engine.training.torchrun_rank")
    p.add_argument("run_id", type=int)
    p.add_argument("--fn", help="module:name of the strategy function; default the registry's")
    args = p.parse_args(argv)
    _die_with_parent()
    writer = os.environ.get(OWNER_ENV) == "1" and int(os.environ["LOCAL_RANK"]) == 0
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, (lambda *_: stop.set()) if writer else signal.SIG_IGN)
    summary = run_rank(args.run_id, args.fn, writer, stop)
    if writer:
        from engine.jobs.runner import run_dir

        write_summary(run_dir(args.run_id), summary, int(os.environ["WORLD_SIZE"]))
    return 0


def run_rank(run_id: int, fn_ref: str | None, writer: bool, stop: threading.Event) -> dict:
    import torch

    from engine.config import parse_config
    from engine.device import pick_device, pick_precision
    from engine.jobs.runner import resume_source, run_dir
    from engine.strategies.base import RunContext
    from engine.training import distributed
    from storage import queries
    from storage.db import read_session

    with read_session() as s:
        detail = queries.get_run(s, run_id)
    if detail is None:
        raise SystemExit(f"run {run_id} is not in this lab's database (LAB_DB_URL)")
    cfg = parse_config(detail.config)
    device = pick_device(cfg.train.device)
    local_rank, local_world = int(os.environ["LOCAL_RANK"]), int(os.environ["LOCAL_WORLD_SIZE"])
    backend = distributed.backend_for(device, local_world)
    distributed.join_env_group(local_rank, local_world, backend, device)
    torch.manual_seed(cfg.train.seed)  # as engine.jobs.runner does for a one-process run
    tracker, beat = _tracker(run_id, writer, stop)
    if not writer:
        cfg = cfg.model_copy(deep=True)
        cfg.train.save_checkpoint = False  # the writer alone writes checkpoints
    ctx = RunContext(
        run_id,
        cfg,
        tracker,
        distributed.rank_device(device, local_rank),
        pick_precision(device, cfg.train.precision),
        run_dir(run_id),
        progress=writer,
    )
    # After an elastic restart the newest state is this run's own, else where it began
    ctx.resume_from = _restart_state(ctx.run_dir) or resume_source(detail.resumed_from)
    if writer and _restart_count() > 0:
        _forget_the_failed_attempt(run_id, ctx.resume_from)
    try:
        summary = _load(fn_ref, cfg.strategy.kind)(ctx)
        tracker.flush()
    finally:
        if beat is not None:
            beat.stop()
        distributed._leave_group()
    return summary


def _tracker(run_id: int, writer: bool, stop: threading.Event) -> tuple[Any, Any]:
    from engine.training.distributed import DiscardingTracker

    if not writer:
        return DiscardingTracker(run_id), None
    from engine.jobs.heartbeat import Heartbeat
    from engine.tracking.db_tracker import DbTracker

    tracker = DbTracker(run_id)
    tracker.stop_event = stop
    # The job beats too; this one also stops the ranks when the run is taken away
    # (cancelled from a machine that cannot signal this one, or marked lost).
    return tracker, Heartbeat(run_id, on_lost=stop.set).start()


def _restart_count() -> int:
    return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))


def _forget_the_failed_attempt(run_id: int, state: Any) -> None:
    """What the failed attempt wrote past the state this one resumes from would be written
    twice (two loss points at one step, two dev scores for one epoch): remove it first."""
    from engine.training.train_state import saved_step
    from storage import runs as run_store
    from storage.db import write_session

    kept = saved_step(state) if state is not None else None
    with write_session() as s:
        gone = run_store.forget_after(s, run_id, kept)
    where = f"step {kept}" if kept is not None else "the start"
    print(f"[torchrun] restart {_restart_count()}: resumes from {where}; "
          f"{gone} rows of the failed attempt removed", flush=True)  # fmt: skip


def _restart_state(run_dir: Any) -> Any:
    """After an elastic restart: the last epoch's training state, when every rank can read it
    (another machine sees it only with a shared LAB_HOME); else the run starts over."""
    if _restart_count() == 0:
        return None
    import torch
    import torch.distributed as dist

    from engine.training.train_state import STATE_FILE, TRAIN_STATE_DIR

    folder = run_dir / TRAIN_STATE_DIR
    seen = torch.tensor([float((folder / STATE_FILE).is_file())])
    dist.all_reduce(seen, op=dist.ReduceOp.MIN)
    return folder if seen.item() == 1.0 else None


def _load(fn_ref: str | None, kind: str) -> Callable[[Any], dict[str, Any]]:
    if fn_ref is None:
        from engine.strategies.registry import get_strategy, load_all

        load_all()
        return get_strategy(kind)
    module, _, name = fn_ref.partition(":")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def _die_with_parent() -> None:
    """torchrun puts each rank in a session of its own, out of reach of the job's SIGKILL:
    end with it (prctl on Linux, a watching thread elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0:
            return
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _exit_now(code: int) -> None:
    # The worker's fast exit (no torch teardown): a stopped rank must leave well inside the
    # 30 s torchrun waits before it kills.
    from engine.jobs.worker import exit_now

    exit_now(code)


if __name__ == "__main__":
    try:
        code = main()
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else 1
        if not isinstance(err.code, int) and err.code is not None:
            print(err.code, file=sys.stderr, flush=True)
    _exit_now(code)
