"""Command line (the contract in DESIGN.md; scripts and CI depend on it).

    python -m engine run CONFIG.yaml [--set key.path=value ...]   # last line: run_id=<ID>
    python -m engine submit CONFIG.yaml [--set ...] [--group NAME] # background; run_id=<ID>
    python -m engine cancel RUN_ID [--grace SECONDS]
    python -m engine show RUN_ID [--json]
    python -m engine list [--json]
    python -m engine export RUN_ID DIR
    python -m engine validate FILE... [--json]

Exit 0 on success; on failure a one-line reason on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from engine.config import ConfigError, load_config
from engine.data.types import DataError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m engine", description="Lifelong NER Lab engine")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a config in the foreground")
    run.add_argument("config", nargs="?", help="YAML config (omit with --from-run)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--from-run", type=int, help="repeat the exact config of an earlier run")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    submit = sub.add_parser("submit", help="queue a config as a background job")
    submit.add_argument("config", help="YAML config")
    submit.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    submit.add_argument("--group", help="group name (compare runs of one experiment)")
    cancel = sub.add_parser("cancel", help="stop a queued or running job")
    cancel.add_argument("run_id", type=int)
    cancel.add_argument("--grace", type=float, default=10.0, help="seconds before SIGKILL")
    show = sub.add_parser("show", help="summary of a run")
    show.add_argument("run_id", type=int)
    show.add_argument("--json", action="store_true")
    lst = sub.add_parser("list", help="list runs, newest first")
    lst.add_argument("--json", action="store_true")
    lst.add_argument("--limit", type=int, default=50)
    exp = sub.add_parser("export", help="write config, metrics, reports and checkpoint to DIR")
    exp.add_argument("run_id", type=int)
    exp.add_argument("dir")
    val = sub.add_parser("validate", help="check NER data files and report problems")
    val.add_argument("files", nargs="+")
    val.add_argument("--json", action="store_true")
    return p


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    from engine.db_tracker import DbTracker
    from engine.heartbeat import Heartbeat
    from engine.runner import RunFailed, create_run_record, execute_run

    if args.from_run is not None:
        from engine.run_summary import stored_config

        cfg = load_config(None, overrides=args.overrides, base=stored_config(args.from_run))
    elif args.config:
        cfg = load_config(args.config, overrides=args.overrides)
    else:
        return _fail("give a CONFIG.yaml or --from-run ID", 2)
    # Claimed at creation: a dispatcher must not start a background worker for this run.
    run_id = create_run_record(cfg, claim_pid=os.getpid())
    tracker = DbTracker(run_id)
    # Beats through model loading and evaluation; stops training if the run is cancelled.
    heartbeat = Heartbeat(run_id, on_lost=tracker.stop_event.set).start()
    try:
        summary = execute_run(run_id, progress=not args.quiet, tracker=tracker)
    except RunFailed as err:
        print(f"error: run {run_id} failed: {err}", file=sys.stderr)
        print(f"run_id={run_id}")
        return 1
    finally:
        heartbeat.stop()
    if summary.get("cancelled"):
        print(f"error: run {run_id} was stopped", file=sys.stderr)
        print(f"run_id={run_id}")
        return 1
    if not args.quiet:
        shown = {
            k: summary.get(k) for k in ("dev_f1", "test_f1", "train_tokens_per_s", "train_seconds")
        }
        print("result: " + ", ".join(f"{k}={v}" for k, v in shown.items() if v is not None))
    print(f"run_id={run_id}")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from engine.launcher import submit

    cfg = load_config(args.config, overrides=args.overrides)
    run_id = submit(cfg, group_name=args.group)
    print(f"submitted run {run_id} ({_status(run_id)}); log: python -m engine show {run_id}")
    print(f"run_id={run_id}")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    from engine.launcher import cancel

    cancelled = cancel(args.run_id, grace_s=args.grace, wait=True)
    status = _status(args.run_id)
    if status is None:
        return _fail(f"no run {args.run_id}")
    print(f"run {args.run_id}: {status}")
    return 0 if cancelled else _fail(f"run {args.run_id} had already finished ({status})")


def _status(run_id: int) -> str | None:
    from storage import queries
    from storage.db import read_session

    with read_session() as s:
        run = queries.get_run(s, run_id)
    return None if run is None else str(run.status)


def cmd_show(args: argparse.Namespace) -> int:
    from engine.launcher import reconcile
    from engine.run_summary import format_summary, run_summary

    reconcile()  # a vanished job shows as FAILED (lost), not as RUNNING forever
    summary = run_summary(args.run_id)
    if summary is None:
        return _fail(f"no run {args.run_id}")
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from engine.launcher import reconcile
    from engine.run_summary import format_run_table, list_summaries

    reconcile()

    rows = list_summaries(args.limit)
    print(json.dumps(rows, indent=2, default=str) if args.json else format_run_table(rows))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from engine.export import export_run

    out = export_run(args.run_id, args.dir)
    print(f"exported run {args.run_id} to {out}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from engine.data.validate import main_validate

    return main_validate(args.files, as_json=args.json)


COMMANDS = {
    "run": cmd_run,
    "submit": cmd_submit,
    "cancel": cmd_cancel,
    "show": cmd_show,
    "list": cmd_list,
    "export": cmd_export,
    "validate": cmd_validate,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, DataError, FileNotFoundError, ValueError) as err:
        return _fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
