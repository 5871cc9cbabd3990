"""Lesson 1 on a busy machine: torch threads = every core (the old rule) vs the free cores
(engine.jobs.threads), at load 0, 2 and 4.

The load is made here: N busy-loop processes, each ending by itself after --max-seconds or when
this script is gone, and killed when a load level (or the script) ends. After starting them the
script waits --settle seconds, so the 1-minute load average (what the rule reads) has caught up,
as it has on a laptop whose browser has been open for a while. Each level then runs lesson 1's
preset (engine/lessons/presets.py, "mapping") once with LAB_TORCH_THREADS=<all cores> and once
with the rule, as a background job like the Lessons page starts it (LAB_MAX_JOBS=1, no warm
worker, so both start alike). Prints wall seconds (submit -> finished), the threads each run
took, and old/new.

    .venv/bin/python bench/lesson_load.py                      # the real thing: alone, ~15 min
    .venv/bin/python bench/lesson_load.py --levels 0,1 --sentences 32 --epochs 1 --settle 0
"""

from __future__ import annotations

import argparse
import atexit
import copy
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# Spins until its deadline or until its parent (this script) is gone.
BUSY_LOOP = (
    "import os, sys, time\n"
    "end, parent = time.monotonic() + float(sys.argv[1]), os.getppid()\n"
    "while time.monotonic() < end and os.getppid() == parent:\n"
    "    for _ in range(200_000): pass\n"
)


class Load:
    """N busy-loop processes for at most `max_seconds`; stop() (or exit) kills them."""

    def __init__(self, n: int, max_seconds: float):
        self.procs = [
            subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(max_seconds)]) for _ in range(n)
        ]
        atexit.register(self.stop)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            proc.wait()
        self.procs = []


def lesson_config(sentences: int | None, epochs: int | None) -> Any:
    from engine.config import parse_config
    from engine.lessons import presets

    run = presets.lesson("mapping").step("run").run
    assert run is not None
    raw = copy.deepcopy(run.presets[0])
    if sentences:
        raw["data"]["max_train_sentences"] = sentences
    if epochs:
        raw["train"]["epochs"] = epochs
    return parse_config(raw)


def run_once(cfg: Any, threads: str | None) -> tuple[float, str]:
    """Wall seconds of one background run, and the threads line it logged."""
    from engine import api
    from storage import queries
    from storage.db import read_session
    from storage.models import TERMINAL_STATES

    if threads is None:
        os.environ.pop("LAB_TORCH_THREADS", None)
    else:
        os.environ["LAB_TORCH_THREADS"] = threads
    started = time.monotonic()
    run_id = api.submit(cfg)
    while True:
        api.reconcile()
        with read_session() as s:
            run = queries.get_run(s, run_id)
        assert run is not None
        if run.status in TERMINAL_STATES:
            break
        time.sleep(0.2)
    wall = time.monotonic() - started
    if run.status.value != "SUCCEEDED":
        raise SystemExit(f"run {run_id} ended {run.status.value}: {run.error}")
    chosen = str((run.device_info or {}).get("threads_chosen", "threads: ?"))
    return wall, chosen.split()[1]  # "threads: 1 of 2 cores free (load 4.3)" -> "1"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--levels", default="0,2,4", help="busy-loop processes per level")
    p.add_argument("--settle", type=float, default=90.0, help="seconds for the load to show")
    p.add_argument("--max-seconds", type=float, default=1800.0, help="a busy loop's lifetime")
    p.add_argument("--sentences", type=int, help="train sentences (default: the preset's)")
    p.add_argument("--epochs", type=int, help="epochs (default: the preset's)")
    args = p.parse_args()
    os.environ.setdefault("LAB_HOME", tempfile.mkdtemp(prefix="lesson-load-"))
    os.environ["LAB_MAX_JOBS"] = "1"
    os.environ["LAB_WARM_WORKER"] = "0"  # both rules start cold, alike
    os.environ.pop("OMP_NUM_THREADS", None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # atexit still kills the load
    cfg = lesson_config(args.sentences, args.epochs)
    cores = str(os.cpu_count() or 1)
    rows = []
    for level in [int(x) for x in args.levels.split(",") if x.strip()]:
        load = Load(level, args.max_seconds)
        try:
            time.sleep(args.settle if level else 0)
            loadavg = os.getloadavg()[0]
            old_wall, old_threads = run_once(cfg, cores)
            new_wall, new_threads = run_once(cfg, None)
        finally:
            load.stop()
        rows.append((level, loadavg, old_threads, old_wall, new_threads, new_wall))
        print(f"load {level}: old {old_wall:.1f} s, new {new_wall:.1f} s", file=sys.stderr)
    print(f"lesson 1 ({cfg.name}), {cores} CPUs, LAB_HOME={os.environ['LAB_HOME']}")
    print("| busy loops | load avg | old threads | old s | new threads | new s | old / new |")
    print("|---|---|---|---|---|---|---|")
    for level, loadavg, old_t, old_s, new_t, new_s in rows:
        print(
            f"| {level} | {loadavg:.1f} | {old_t} | {old_s:.1f} | {new_t} | {new_s:.1f} "
            f"| {old_s / new_s:.2f}x |"
        )


if __name__ == "__main__":
    main()
