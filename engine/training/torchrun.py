"""`train.launcher: torchrun`: a data-parallel run started by PyTorch's own launcher.

The job's process (the worker, or `engine run`) keeps everything the lab's jobs rely on: it
claims the run, beats its heartbeat, takes the cancel signal and writes the final state. In place
of spawning ranks itself (engine.training.distributed) it runs torchrun (the main of
`torch.distributed.run`, through engine.training.torchrun_agent; c10d rendezvous), which starts
`engine.training.torchrun_rank RUN_ID` on every rank and restarts them on failure
(`--max-restarts`). More machines join the same rendezvous with
`python -m engine join RUN_ID --nnodes N --rdzv HOST:PORT` (docs/scaling.md).

The rank that writes (metrics, checkpoints, the summary) is local rank 0 of the job's own
machine, marked by OWNER_ENV: c10d hands out global ranks in an order of its own, so "global
rank 0" may sit on another machine. It leaves the strategy's summary in SUMMARY_FILE for the job.

Settings of the job's machine, from its environment (a multi-machine run is a deployment, not
part of the experiment, so they stay out of the stored config): LAB_TORCHRUN_NNODES (machines,
default 1), LAB_TORCHRUN_RDZV (HOST:PORT this machine serves the rendezvous on; default a free
port on 127.0.0.1), LAB_TORCHRUN_MAX_RESTARTS (default 0). No torch here: the CLI imports it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.jobs.machine import whole_number

OWNER_ENV = "LAB_TORCHRUN_OWNER"  # set on the job's machine only: its local rank 0 writes
SUMMARY_FILE = "torchrun-summary.json"  # under the run's folder, written by the writing rank
RANK_ENTRY = "engine.training.torchrun_rank"
AGENT_ENTRY = "engine.training.torchrun_agent"  # torch.distributed.run, quiet about a cancel
STOP_WAIT_S = 60.0  # after Ctrl-C, how long the job waits for torchrun to stop its ranks


@dataclasses.dataclass(frozen=True)
class Rendezvous:
    """Where and how many machines meet (torchrun's --nnodes, --rdzv-endpoint, --max-restarts)."""

    nnodes: int = 1
    endpoint: str | None = None  # HOST:PORT; None: a free port on this machine (one machine only)
    max_restarts: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Rendezvous:
        nnodes = _int_env(env, "LAB_TORCHRUN_NNODES", 1, minimum=1)
        endpoint = env.get("LAB_TORCHRUN_RDZV") or None
        if nnodes > 1 and endpoint is None:
            raise ValueError(
                "LAB_TORCHRUN_NNODES > 1 needs LAB_TORCHRUN_RDZV=HOST:PORT, an address of this "
                "machine that the other machines reach"
            )
        return cls(nnodes, endpoint, _int_env(env, "LAB_TORCHRUN_MAX_RESTARTS", 0, minimum=0))


def _int_env(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    return whole_number(raw, name, minimum) if raw else default


def agent_env(base: Mapping[str, str], *, owner: bool) -> dict[str, str]:
    """torchrun's environment: OWNER_ENV on the job's machine only; and the ranks' store not
    shared with the rendezvous. Shared, it outlives a restart, and a restarted rank could read
    the dead attempt's address of rank 0 ("Gloo connectFullMesh failed ... Connection refused",
    every second restart here); unshared, each attempt's rank 0 serves a fresh one."""
    env = {k: v for k, v in base.items() if k != OWNER_ENV}
    env.setdefault("TORCH_DISABLE_SHARE_RDZV_TCP_STORE", "1")
    return env | ({OWNER_ENV: "1"} if owner else {})


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def torchrun_command(
    run_id: int, nproc: int, rdzv: Rendezvous, endpoint: str, fn_ref: str | None = None
) -> list[str]:
    """The command line every machine of the run starts (the same rendezvous id on each)."""
    command = [
        sys.executable,
        "-m",
        AGENT_ENTRY,
        f"--nnodes={rdzv.nnodes}",
        f"--nproc-per-node={nproc}",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint={endpoint}",
        f"--rdzv-id=lab-run-{run_id}",
        f"--max-restarts={rdzv.max_restarts}",
        "-m",
        RANK_ENTRY,
        str(run_id),
    ]
    return command + (["--fn", fn_ref] if fn_ref else [])


def function_ref(fn: Callable[..., Any]) -> str:
    """`module:name` of a strategy function, for ranks that import it by name."""
    ref = f"{fn.__module__}:{fn.__qualname__}"
    target: Any = importlib.import_module(fn.__module__)
    for part in fn.__qualname__.split("."):
        target = getattr(target, part, None)
    if target is not fn:
        raise ValueError(f"train.launcher torchrun needs a module-level strategy function: {ref}")
    return ref


# --- the job's side ----------------------------------------------------------------------------


def launch(ctx: Any, fn: Callable[..., Any], backend: str) -> dict[str, Any]:
    """Run `fn` on `train.devices` ranks per machine through torchrun; the writer's summary."""
    if ctx.run_id is None:
        raise ValueError(
            "train.launcher torchrun runs a run of the lab database (engine run, engine submit); "
            "use train.launcher: lab here"
        )
    rdzv = Rendezvous.from_env()
    nproc = ctx.config.train.devices
    endpoint = rdzv.endpoint or f"127.0.0.1:{free_port()}"
    summary_path = Path(ctx.run_dir) / SUMMARY_FILE
    summary_path.unlink(missing_ok=True)
    command = torchrun_command(ctx.run_id, nproc, rdzv, endpoint, function_ref(fn))
    world = nproc * rdzv.nnodes
    ctx.say(f"data parallel through torchrun: {world} processes ({backend}), rendezvous {endpoint}")
    # Same process group as the job: a cancel's SIGTERM reaches torchrun, which passes it to
    # the ranks (they run in sessions of their own) and kills those that do not stop in 30 s.
    env = agent_env(os.environ, owner=True)
    proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # Ctrl-C reached torchrun too: let it stop the ranks first
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(STOP_WAIT_S)
        raise
    summary, world = _read_summary(summary_path, world)
    if summary is None:
        if ctx.tracker.should_stop():  # cancelled before the ranks got to training
            return {"cancelled": True}
        raise RuntimeError(
            f"torchrun exited with code {code} before the run finished (see the log)"
        )
    if code != 0 and not summary.get("cancelled"):
        raise RuntimeError(f"torchrun exited with code {code} after the run finished (see the log)")
    summary["data_parallel"] = {
        "processes": world,
        "backend": backend,
        "launcher": "torchrun",
        "nodes": rdzv.nnodes,
    }
    return summary


def _read_summary(path: Path, world: int) -> tuple[dict[str, Any] | None, int]:
    """The writer's summary and the group's real size (other machines may run other counts)."""
    try:
        written = json.loads(path.read_text())
    except FileNotFoundError:
        return None, world
    path.unlink()  # a later run of the same id (resume) must not read this one's
    return written["summary"], int(written["world"])


def write_summary(run_dir: Path, summary: dict[str, Any], world: int) -> None:
    """The writing rank's result for the job; renamed into place, so never read half-written."""
    tmp = Path(run_dir) / f"{SUMMARY_FILE}.tmp"
    tmp.write_text(json.dumps({"summary": summary, "world": world}))
    tmp.replace(Path(run_dir) / SUMMARY_FILE)


# --- another machine: python -m engine join ----------------------------------------------------


def add_parser(sub: Any) -> None:
    join = sub.add_parser(
        "join", help="add this machine's GPUs to a torchrun run started on another machine"
    )
    join.add_argument("run_id", type=int)
    join.add_argument("--rdzv", required=True, metavar="HOST:PORT", help="the first machine's")
    join.add_argument("--nnodes", type=int, required=True, help="machines in the run, all told")
    join.add_argument("--nproc-per-node", type=int, help="processes here; default train.devices")
    join.add_argument("--max-restarts", type=int, default=0, help="as on the first machine")


def cmd_join(args: argparse.Namespace) -> int:
    """Run torchrun here for a stored run (its ranks read the config from the shared database)."""
    from engine.config import parse_config
    from storage import queries
    from storage.db import read_session

    with read_session() as s:
        detail = queries.get_run(s, args.run_id)
    if detail is None:
        raise ValueError(f"run {args.run_id} is not in this lab's database (LAB_DB_URL)")
    cfg = parse_config(detail.config)
    if cfg.train.launcher != "torchrun":
        raise ValueError(f"run {args.run_id} does not use train.launcher: torchrun")
    nproc = args.nproc_per_node or cfg.train.devices
    rdzv = Rendezvous(args.nnodes, args.rdzv, args.max_restarts)
    env = agent_env(os.environ, owner=False)  # this machine never writes
    print(f"joining run {args.run_id}: {nproc} processes here, rendezvous {args.rdzv}", flush=True)
    return subprocess.call(torchrun_command(args.run_id, nproc, rdzv, args.rdzv), env=env)
