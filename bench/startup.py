"""Job start-up: submit -> RUNNING -> claimed -> first metric point, cold worker vs warm worker.

Each run submits examples/tiny_quick.yaml (a metric every step) through the real launcher
(engine.jobs.launcher.submit) in a temporary LAB_HOME, watches the database every 20 ms, then
cancels the run and times that too (start-up must not cost cancel). The script reconciles every
3 s while it waits, as the dashboard does (views.parts.calls.RECONCILE_EVERY_S), so the warm
worker is refilled the way it is in use. `--mode cold` sets LAB_WARM_WORKER=0 (a fresh
`python -m engine.jobs.worker` per job); `--mode warm` waits until a warm worker is ready before
each submit (a dashboard that has been open a few seconds). The breakdown comes from the
worker's own "[worker] start-up:" log line.

    .venv/bin/python bench/startup.py --runs 3 --mode both
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

POLL_S = 0.02
RECONCILE_EVERY_S = 3.0
SETTINGS = ["train.epochs=200", "train.log_every=1", "train.save_checkpoint=false"]
STARTUP = re.compile(
    r"python and light imports (?P<python>[\d.]+) s, claim (?P<claim>[\d.]+) s, "
    r"torch/transformers/engine imports (?P<imports>[\d.]+) s"
)


def watch(run_id: int, submitted: float, timeout: float) -> dict[str, float]:
    """Seconds after `submitted` at which the run was RUNNING, claimed, and had a metric."""
    from engine.jobs import launcher
    from storage import queries
    from storage.db import read_session

    seen: dict[str, float] = {}
    last_reconcile = time.monotonic()
    while "first metric" not in seen:
        now = time.monotonic()
        if now - submitted > timeout:
            raise SystemExit(f"run {run_id}: no metric after {timeout:g} s")
        if now - last_reconcile >= RECONCILE_EVERY_S:
            launcher.reconcile()
            last_reconcile = now
        with read_session() as s:
            run = queries.get_run(s, run_id)
            has_metric = bool(queries.metric_keys(s, run_id))
        assert run is not None
        if run.status.value not in ("PENDING", "RUNNING"):
            raise SystemExit(f"run {run_id} ended {run.status.value}: {run.error}")
        stamp = time.monotonic() - submitted
        if run.status.value == "RUNNING":
            seen.setdefault("RUNNING", stamp)
        if run.device not in (None, "starting"):
            seen.setdefault("claimed", stamp)
        if has_metric:
            seen.setdefault("claimed", stamp)
            seen["first metric"] = stamp
        time.sleep(POLL_S)
    return seen


def wait_for_warm(timeout: float) -> None:
    from engine.jobs import launcher, warm_pool

    deadline = time.monotonic() + timeout
    while True:
        launcher.reconcile()
        warm = warm_pool.current()
        if warm is not None and warm.is_ready():
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"no warm worker ready after {timeout:g} s")
        time.sleep(0.2)


def one_run(mode: str, timeout: float) -> dict[str, Any]:
    from engine.config import load_config
    from engine.jobs import launcher

    cfg = load_config(str(REPO / "examples" / "tiny_quick.yaml"), overrides=SETTINGS)
    if mode == "warm":
        wait_for_warm(timeout)
    load = os.getloadavg()[0]
    submitted = time.monotonic()
    run_id = launcher.submit(cfg)
    returned = time.monotonic() - submitted
    seen = watch(run_id, submitted, timeout)
    asked = time.monotonic()
    launcher.cancel(run_id, grace_s=10.0, wait=True)
    row: dict[str, Any] = {"mode": mode, "run": run_id, "load": load, "submit call": returned}
    row |= seen | {"cancel": time.monotonic() - asked}
    log = launcher.log_tail(run_id, 400)
    if match := STARTUP.search(log):
        row |= {k: float(v) for k, v in match.groupdict().items()}
    return row


COLUMNS = (
    "submit call",
    "RUNNING",
    "claimed",
    "first metric",
    "cancel",
    "python",
    "claim",
    "imports",
)


def table(rows: list[dict[str, Any]]) -> str:
    head = "| mode | run | load | " + " | ".join(f"{c} s" for c in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for row in rows:
        cells = [f"{row[c]:.2f}" if c in row else "-" for c in COLUMNS]
        lines.append(f"| {row['mode']} | {row['run']} | {row['load']:.1f} | " + " | ".join(cells))
    for mode in dict.fromkeys(r["mode"] for r in rows):
        mine = [r for r in rows if r["mode"] == mode]
        cells = [
            f"{statistics.median(r[c] for r in mine):.2f}" if all(c in r for r in mine) else "-"
            for c in COLUMNS
        ]
        lines.append(f"| {mode} | median | | " + " | ".join(cells))
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="runs per mode")
    p.add_argument("--mode", choices=("cold", "warm", "both"), default="both")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for a step")
    args = p.parse_args()
    os.environ["LAB_MAX_JOBS"] = "1"
    modes = ["cold", "warm"] if args.mode == "both" else [args.mode]
    rows = []
    for mode in modes:
        # One LAB_HOME per mode; LAB_WARM_WORKER is part of the worker's environment, so a warm
        # worker of one mode is never used by the other.
        os.environ["LAB_HOME"] = tempfile.mkdtemp(prefix=f"startup-{mode}-")
        os.environ.pop("LAB_DB_URL", None)
        os.environ["LAB_WARM_WORKER"] = "1" if mode == "warm" else "0"
        from storage.db import dispose_engines

        dispose_engines()
        for _ in range(args.runs):
            rows.append(one_run(mode, args.timeout))
            print(f"{rows[-1]}", file=sys.stderr, flush=True)
    from engine.jobs import warm_pool

    warm_pool.retire_all()
    print(f"{os.cpu_count()} CPUs; seconds after submit (cancel: cancel -> STOPPED)")
    print(table(rows))


if __name__ == "__main__":
    main()
