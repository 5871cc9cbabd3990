"""Command line (the contract in docs/DESIGN.md; scripts and CI depend on it).

    python -m engine run CONFIG.yaml [--set key.path=value ...]   # last line: run_id=<ID>
    python -m engine resume RUN_ID                                 # a killed fine-tune, continued
    python -m engine submit CONFIG.yaml [--set ...] [--group NAME] # background; run_id=<ID>
    python -m engine cancel RUN_ID [--grace SECONDS]
    python -m engine show RUN_ID [--json]
    python -m engine list [--json]
    python -m engine export RUN_ID DIR
    python -m engine export --dataset NAME [--format conll|labelstudio|jsonl|...] OUT
    python -m engine validate FILE... [--json] [--format F] [--span-policy snap|reject]
                              [--unknown-prefix reject|suggested|map_to_o]
    python -m engine db current | upgrade [REVISION] | revision MSG # the database schema
    python -m engine predict RUN_ID [--stage S] [--text TEXT] [--json]  # text on stdin
    python -m engine predict RUN_ID --input FILE --format labelstudio|doccano|spacy|conll|jsonl
                             [--output OUT] [--input-format F]       # pre-annotate a file
    python -m engine bundle export ID... OUT.zip [--group NAME] [--no-checkpoints]
    python -m engine bundle import FILE.zip    # last line: run_ids=<ID>,<ID>
    python -m engine bench PROTOCOL --data TRAIN[,DEV,TEST] [--methods a,b] [--run]  # a race
    python -m engine bench --table GROUP [--format markdown|csv|latex]  # beside the papers
    python -m engine join RUN_ID --nnodes N --rdzv HOST:PORT   # more machines for a torchrun run

Exit 0 on success; on failure a one-line reason on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence

from engine import db_cli
from engine.config import ConfigError, load_config
from engine.data.export import EXPORT_FORMATS
from engine.data.readers import SPAN_POLICIES
from engine.data.schemes import UNKNOWN_PREFIX_POLICIES
from engine.data.types import DataError
from engine.inference import predict_file as predict_cli
from engine.protocols import bench_cli
from engine.training import torchrun
from storage.db import StorageError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m engine", description="Lifelong NER Lab engine")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a config in the foreground")
    run.add_argument("config", nargs="?", help="YAML config (omit with --from-run)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--from-run", type=int, help="repeat the exact config of an earlier run")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    resume = sub.add_parser("resume", help="continue a killed fine-tune from its last state")
    resume.add_argument("run_id", type=int)
    resume.add_argument("--quiet", action="store_true", help="no progress output")
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
    exp = sub.add_parser(
        "export",
        help="write a run's config, metrics, reports and checkpoint to DIR, or a dataset to OUT",
        usage="python -m engine export RUN_ID DIR | --dataset NAME [--format F] [--split S] OUT",
    )
    exp.add_argument("targets", nargs="+", metavar="RUN_ID DIR | OUT")
    exp.add_argument("--dataset", help="export this dataset (imported name or builtin:NAME)")
    exp.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        help="dataset format (default from OUT: .json labelstudio, .jsonl jsonl, else conll; "
        "spacy is span JSONL)",
    )
    exp.add_argument("--split", default="train", help="split of a built-in corpus (train)")
    val = sub.add_parser("validate", help="check NER data files and report problems")
    val.add_argument("files", nargs="+")
    val.add_argument("--json", action="store_true")
    val.add_argument("--format", help="read as this format instead of the detected one")
    val.add_argument("--span-policy", choices=SPAN_POLICIES, default="snap")
    val.add_argument("--unknown-prefix", choices=UNKNOWN_PREFIX_POLICIES, default="reject")
    db_cli.add_parser(sub)
    predict_cli.add_parser(sub)
    bench_cli.add_parser(sub)
    torchrun.add_parser(sub)
    bundle = sub.add_parser("bundle", help="export runs as a zip bundle, or import one")
    bundle_sub = bundle.add_subparsers(dest="bundle_command", required=True)
    bexp = bundle_sub.add_parser("export", help="write runs (or a group's race) to OUT.zip")
    bexp.add_argument("items", nargs="+", metavar="ID... OUT.zip")
    bexp.add_argument("--group", help="export every run of this group (a strategy race)")
    bexp.add_argument("--no-checkpoints", action="store_true", help="leave the weights out")
    bimp = bundle_sub.add_parser("import", help="add a bundle's runs to this lab")
    bimp.add_argument("file")
    return p


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    from engine.jobs.runner import create_run_record

    if args.from_run is not None:
        from engine.runs.summary import stored_config

        cfg = load_config(None, overrides=args.overrides, base=stored_config(args.from_run))
    elif args.config:
        cfg = load_config(args.config, overrides=args.overrides)
    else:
        return _fail("give a CONFIG.yaml or --from-run ID", 2)
    # Claimed at creation: a dispatcher must not start a background worker for this run.
    run_id = create_run_record(cfg, claim_pid=os.getpid())
    return _run_foreground(run_id, quiet=args.quiet)


def _run_foreground(run_id: int, *, quiet: bool) -> int:
    """Execute a run claimed by this process; print the result and `run_id=ID` last."""
    from engine.jobs.heartbeat import Heartbeat
    from engine.jobs.runner import RunFailed, execute_run
    from engine.tracking.db_tracker import DbTracker

    tracker = DbTracker(run_id)
    # Beats through model loading and evaluation; stops training if the run is cancelled.
    heartbeat = Heartbeat(run_id, on_lost=tracker.stop_event.set).start()
    try:
        summary = execute_run(run_id, progress=not quiet, tracker=tracker)
    except RunFailed as err:
        print(f"error: run {run_id} failed: {err}", file=sys.stderr)
        print(f"run_id={run_id}")
        return 1
    finally:
        heartbeat.stop()
    if summary.cancelled:
        print(f"error: run {run_id} was stopped", file=sys.stderr)
        print(f"run_id={run_id}")
        return 1
    if not quiet:
        shown = {
            "dev_f1": summary.dev_f1,
            "test_f1": summary.test_f1,
            "train_tokens_per_s": summary.train_tokens_per_s,
            "train_seconds": summary.train_seconds,
        }
        print("result: " + ", ".join(f"{k}={v}" for k, v in shown.items() if v is not None))
    print(f"run_id={run_id}")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from engine.jobs.resume import ResumeError, prepare_resume

    try:
        run_id = prepare_resume(args.run_id, claim_pid=os.getpid())
    except ResumeError as err:
        return _fail(str(err))
    print(f"run {run_id} resumes run {args.run_id} from its last training state", flush=True)
    return _run_foreground(run_id, quiet=args.quiet)


def cmd_submit(args: argparse.Namespace) -> int:
    from engine.jobs.launcher import submit

    cfg = load_config(args.config, overrides=args.overrides)
    run_id = submit(cfg, group_name=args.group)
    print(f"submitted run {run_id} ({_status(run_id)}); log: python -m engine show {run_id}")
    print(f"run_id={run_id}")
    return 0


def cmd_cancel(args: argparse.Namespace) -> int:
    from engine.jobs.launcher import cancel

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
    from engine.jobs.launcher import reconcile
    from engine.runs.summary import format_summary, run_summary

    reconcile()  # a vanished job shows as FAILED (lost), not as RUNNING forever
    summary = run_summary(args.run_id)
    if summary is None:
        return _fail(f"no run {args.run_id}")
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from engine.jobs.launcher import reconcile
    from engine.runs.summary import format_run_table, list_summaries

    reconcile()

    rows = list_summaries(args.limit)
    print(json.dumps(rows, indent=2, default=str) if args.json else format_run_table(rows))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if args.dataset is not None:
        from engine.data.export import export_dataset

        if len(args.targets) != 1:
            return _fail("give one OUT file after --dataset NAME", 2)
        n, fmt = export_dataset(args.dataset, args.targets[0], args.format, args.split)
        print(f"exported dataset {args.dataset} ({n} sentences, {fmt}) to {args.targets[0]}")
        return 0
    from engine.runs.export import export_run

    if len(args.targets) != 2 or not args.targets[0].isdigit():
        return _fail("give RUN_ID DIR, or --dataset NAME OUT", 2)
    run_id, folder = int(args.targets[0]), args.targets[1]
    out = export_run(run_id, folder)
    print(f"exported run {run_id} to {out}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from engine.data.validate import main_validate

    return main_validate(
        args.files,
        as_json=args.json,
        unknown_prefix=args.unknown_prefix,
        fmt=args.format,
        span_policy=args.span_policy,
    )


def cmd_bundle(args: argparse.Namespace) -> int:
    from engine.runs.bundle import BundleError, export_bundle
    from engine.runs.bundle_import import import_bundle

    try:
        if args.bundle_command == "import":
            new_ids = import_bundle(args.file)
            print(f"imported {len(new_ids)} run(s) from {args.file}")
            print("run_ids=" + ",".join(str(i) for i in new_ids))
            return 0
        *ids, out = args.items
        run_ids = [int(i) for i in ids] if ids else []
        if args.group:
            from engine.runs.run_data import group_run_ids

            run_ids += group_run_ids(args.group)
            if not run_ids:
                return _fail(f"no runs in group {args.group!r}")
        if not out.endswith(".zip"):
            return _fail(f"the last argument must be the bundle to write (OUT.zip), not {out!r}")
        manifest = export_bundle(run_ids, out, checkpoints=not args.no_checkpoints)
    except BundleError as err:
        return _fail(str(err))
    size = os.path.getsize(out) / 2**20
    shown = ", ".join(str(r["id"]) for r in manifest["runs"])
    print(f"exported run(s) {shown} to {out} ({size:.1f} MiB)")
    return 0


COMMANDS = {
    "run": cmd_run,
    "resume": cmd_resume,
    "submit": cmd_submit,
    "cancel": cmd_cancel,
    "show": cmd_show,
    "list": cmd_list,
    "export": cmd_export,
    "validate": cmd_validate,
    "db": db_cli.cmd_db,
    "predict": predict_cli.cmd_predict,
    "bundle": cmd_bundle,
    "bench": bench_cli.main,
    "join": torchrun.cmd_join,
}


@contextlib.contextmanager
def _no_warm_worker() -> Iterator[None]:
    # A command's reconcile would start a warm worker (engine.jobs.warm_pool) that dies unused
    # when the command exits a moment later: only a long-lived process (the dashboard) keeps one.
    before = os.environ.get("LAB_WARM_WORKER")
    os.environ.setdefault("LAB_WARM_WORKER", "0")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("LAB_WARM_WORKER", None)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with _no_warm_worker():
            return COMMANDS[args.command](args)
    # StorageError: an unreachable LAB_DB_URL server, a schema newer than this code, ...
    except (ConfigError, DataError, FileNotFoundError, ValueError, StorageError) as err:
        return _fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
