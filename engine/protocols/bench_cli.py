"""`python -m engine bench`: launch a benchmark race, or print a race's paper-layout table.

    python -m engine bench cl-ner-fg1-pg1 --data builtin:news \\
        --methods naive,lwf,pseudo_label,pseudo_lwf,joint [--backbone minilm-l6] \\
        [--epochs N] [--lr X] [--max-train-sentences N] [--group NAME] [--submit | --run]
    python -m engine bench few-shot-5way-1shot --data politics.txt,science.txt \\
        --methods protonet,nnshot,structshot,finetune-baseline [--episodes N]
    python -m engine bench --table GROUP [--format markdown|csv|latex]

`--submit` (the default) queues the runs as one group and returns; `--run` runs them here one
after another. `--table` prints exactly what the Benchmarks page shows: the published rows,
then the lab's finished runs ("this lab"), with backbone and budget columns; on stderr, how
many runs are still to finish. Torch loads only when `--run` executes a run.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from engine.protocols.published import render
from engine.protocols.race import (
    DEFAULT_METHODS,
    DataSpec,
    RaceRun,
    RaceTable,
    choice,
    choices,
    group_name,
    race_configs,
    race_table,
)

FORMATS = ("markdown", "csv", "latex")


def add_parser(sub: Any) -> None:
    """The `bench` subcommand of engine.cli."""
    names = ", ".join(c.name for c in choices())
    bench = sub.add_parser(
        "bench",
        help="race methods on a published protocol, or print a race's table",
        description=f"Protocols: {names}.",
    )
    bench.add_argument("protocol", nargs="?", help="e.g. cl-ner-fg1-pg1, few-shot-5way-1shot")
    bench.add_argument("--data", help="TRAIN, TRAIN,TEST or TRAIN,DEV,TEST (or builtin:NAME)")
    bench.add_argument("--methods", help="comma-separated (default: the protocol's five/four)")
    bench.add_argument("--backbone", default="minilm-l6")
    bench.add_argument("--epochs", type=int, help="epochs per step (default: published 10)")
    bench.add_argument("--lr", type=float, help="learning rate (default: the protocol's)")
    bench.add_argument("--episodes", type=int, help="few-shot: meta-training episodes")
    bench.add_argument("--max-train-sentences", type=int, help="at most N sentences per step")
    bench.add_argument("--seed", type=int, default=13)
    bench.add_argument("--group", help="group name (default: bench-PROTOCOL-TIMESTAMP)")
    how = bench.add_mutually_exclusive_group()
    how.add_argument("--submit", action="store_true", help="queue as background jobs (default)")
    how.add_argument("--run", action="store_true", help="run here, one after another")
    how.add_argument("--table", metavar="GROUP", help="print the table of a race")
    bench.add_argument("--format", choices=FORMATS, default="markdown", help="with --table")


def group_runs(group: str) -> list[RaceRun]:
    """The runs of a group as the table reads them, oldest first."""
    from storage import queries
    from storage.db import read_session

    with read_session() as s:
        rows = queries.list_runs(s, group_name=group, limit=1000)
        configs = queries.run_configs(s, [r.id for r in rows])
    return [
        RaceRun(r.id, r.method, str(r.status), configs.get(r.id, {}), r.summary.stored())
        for r in sorted(rows, key=lambda r: r.id)
    ]


def progress_line(table: RaceTable) -> str:
    line = f"{table.finished} of {table.total} runs in the table"
    if table.waiting:
        line += f"; {len(table.waiting)} still to finish ({', '.join(table.waiting)})"
    if table.failed:
        line += f"; failed or stopped: {', '.join(table.failed)}"
    return line


def print_table(group: str, fmt: str) -> int:
    runs = group_runs(group)
    if not runs:
        print(f"error: no runs in group {group!r}", file=sys.stderr)
        return 1
    table = race_table(runs)
    sys.stdout.write(render(table.grid, fmt))  # type: ignore[arg-type]
    print(progress_line(table), file=sys.stderr)
    return 0


def launch(args: argparse.Namespace) -> int:
    from engine.config import parse_config

    if not args.data:
        print("error: give --data TRAIN[,DEV,TEST] (or builtin:NAME)", file=sys.stderr)
        return 2
    family = choice(args.protocol).family
    methods = args.methods.split(",") if args.methods else list(DEFAULT_METHODS[family])
    raw = race_configs(
        args.protocol,
        DataSpec.parse(args.data),
        [m.strip() for m in methods if m.strip()],
        backbone=args.backbone,
        epochs=args.epochs,
        lr=args.lr,
        episodes=args.episodes,
        max_train_sentences=args.max_train_sentences,
        seed=args.seed,
    )
    configs = [parse_config(c) for c in raw]  # every config checked before any run starts
    group = args.group or group_name(args.protocol)
    ids = [_run_here(c, group) if args.run else _submit(c, group) for c in configs]
    print(f"group {group}: runs {', '.join(str(i) for i in ids)}")
    print(f"table: python -m engine bench --table {group}")
    print(f"group={group}")
    return 0


def _submit(cfg: Any, group: str) -> int:
    from engine.jobs.launcher import submit

    run_id = submit(cfg, group_name=group)
    print(f"submitted run {run_id} ({cfg.strategy.method})", flush=True)
    return run_id


def _run_here(cfg: Any, group: str) -> int:
    """One run in this process (claimed at creation, as `engine run` does)."""
    from engine.jobs.heartbeat import Heartbeat
    from engine.jobs.runner import RunFailed, create_run_record, execute_run
    from engine.tracking.db_tracker import DbTracker

    run_id = create_run_record(cfg, group_name=group, claim_pid=os.getpid())
    tracker = DbTracker(run_id)
    heartbeat = Heartbeat(run_id, on_lost=tracker.stop_event.set).start()
    try:
        execute_run(run_id, progress=False, tracker=tracker)
        print(f"run {run_id} ({cfg.strategy.method}) finished", flush=True)
    except RunFailed as err:  # the race goes on; the table lists it as failed
        print(f"run {run_id} ({cfg.strategy.method}) failed: {err}", file=sys.stderr)
    finally:
        heartbeat.stop()
    return run_id


def main(args: argparse.Namespace) -> int:
    if args.table:
        return print_table(args.table, args.format)
    if not args.protocol:
        print("error: give a PROTOCOL to launch, or --table GROUP", file=sys.stderr)
        return 2
    return launch(args)
