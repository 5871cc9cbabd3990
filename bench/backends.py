"""Benchmark: the same tiny run on the local job backend and on Ray, side by side in one run.

Starts a Ray head on 127.0.0.1 (2 CPUs, dashboard on loopback; or uses --address), then submits
the same tiny fine-tuning run through engine.api with LAB_JOB_BACKEND=local and =ray, taking
turns, and measures for each: submit -> RUNNING (the worker claimed the run), submit -> final
state as the dashboard sees it (reconcile every 0.2 s), and the run's own duration (started_at to
finished_at). Overhead = submit-to-done minus the run's own time. Stops the head it started.

    nice -n 10 .venv/bin/python bench/backends.py [--repeats 2] [--address http://HOST:8265]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TINY = str(REPO / "examples" / "tiny_quick.yaml")
QUICK = ["data.max_train_sentences=64", "train.epochs=1", "train.save_checkpoint=false"]
KEYS = ("to_running_s", "to_first_metric_s", "to_done_s", "train_s", "torch_threads")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_env() -> dict[str, str]:
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def start_head() -> tuple[str, float]:
    """A local Ray head on loopback; (dashboard address, seconds `ray start` took)."""
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    dashboard = free_port()
    started = time.perf_counter()
    subprocess.run(
        [ray, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={free_port()}",
         "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard}", "--num-cpus=2",
         "--num-gpus=0", "--include-dashboard=true", "--disable-usage-stats"],
        env=ray_env(), check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return f"http://127.0.0.1:{dashboard}", time.perf_counter() - started


def stop_head() -> None:
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    subprocess.run([ray, "stop", "--force"], env=ray_env(), capture_output=True, timeout=120)


def one_run(backend: str) -> dict[str, float | str]:
    from engine import api as jobs
    from engine.config import load_config
    from storage import queries
    from storage.db import read_session
    from storage.models import TERMINAL_STATES, RunStatus

    os.environ["LAB_JOB_BACKEND"] = backend
    submitted_at = time.time()  # metric points carry wall-clock times
    submitted = time.perf_counter()
    run_id = jobs.submit(load_config(TINY, overrides=QUICK))
    running_s = None
    while True:
        jobs.reconcile()
        with read_session() as s:
            run = queries.get_run(s, run_id)
        now = time.perf_counter() - submitted
        if running_s is None and run.status is not RunStatus.PENDING:
            running_s = now
        if run.status in TERMINAL_STATES:
            break
        if now > 600:
            raise SystemExit(f"{backend}: run {run_id} not finished after 600 s")
        time.sleep(0.2)
    with read_session() as s:
        first_point = queries.metric_series(s, run_id, "train_loss")[0][2]
    return {
        "backend": backend,
        "status": str(run.status),
        "to_running_s": round(running_s, 2),
        "to_first_metric_s": round(first_point - submitted_at, 2),
        "to_done_s": round(now, 2),
        "train_s": run.summary["train_seconds"],
        "torch_threads": (run.device_info or {}).get("threads"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--address", help="an existing Ray cluster's dashboard address")
    parser.add_argument(
        "--threads",
        default="1",
        help="OMP_NUM_THREADS of the local worker: Ray gives a job as many threads as CPUs it "
        "reserves (1), so the runs compare only when the local one gets the same",
    )
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = args.threads  # the local worker inherits this environment

    home = Path(tempfile.mkdtemp(prefix="bench-backends-"))
    os.environ.update(LAB_HOME=str(home), LAB_DB_URL=f"sqlite:///{home / 'lab.db'}")
    head_s = None
    if args.address:
        address = args.address
    else:
        address, head_s = start_head()
    os.environ["LAB_RAY_ADDRESS"] = address
    rows = []
    try:
        for _ in range(args.repeats):
            for backend in ("local", "ray"):
                rows.append(one_run(backend))
                print(json.dumps(rows[-1]), flush=True)
    finally:
        if not args.address:
            stop_head()
        shutil.rmtree(home, ignore_errors=True)
    summary = {"ray_start_s": None if head_s is None else round(head_s, 1), "runs": rows}
    for backend in ("local", "ray"):
        mine = [r for r in rows if r["backend"] == backend]
        summary[backend] = {k: round(statistics.median(r[k] for r in mine), 2) for k in KEYS}
    print(f"\nRay head start: {summary['ray_start_s']} s")
    print(f"{'median of ' + str(args.repeats):<18}{'local':>9}{'ray':>9}")
    for key in KEYS:
        print(f"{key:<18}{summary['local'][key]:>9}{summary['ray'][key]:>9}")
    out = REPO / "bench" / "results" / "backends.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
