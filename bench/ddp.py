"""Benchmark: the same fine-tuning run with 1 and 2 data-parallel processes (gloo on the CPU).

Runs one config through the runner (a temporary lab database, as `engine run` does) with
train.devices=1 and train.devices=2, same global batch, and reports wall time, training time,
real tokens/s, the final training loss and dev/test F1 side by side. On a CPU the two processes
share the cores (each gets cores // 2 threads), so the fair comparison is one process with that
many threads too (the middle column); the first is one process with every core, as `engine run`
starts. On GPUs each rank has a device of its own.

    nice -n 10 .venv/bin/python bench/ddp.py [--sentences 400] [--epochs 2] [--backbone tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def run_once(devices: int, threads: int, args: argparse.Namespace) -> dict[str, Any]:
    """One run; `threads` for a single process (a data-parallel rank takes cores // devices)."""
    import torch

    from engine.config import parse_config
    from engine.jobs.runner import create_run_record, execute_run
    from storage import queries
    from storage.db import read_session

    cfg = parse_config(
        {
            "name": f"ddp-{devices}",
            "backbone": args.backbone,
            "data": {"train": "builtin:news", "max_train_sentences": args.sentences},
            "train": {
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "lr": args.lr,
                "device": "cpu",
                "precision": "fp32",
                "devices": devices,
                "save_checkpoint": False,
            },
        }
    )
    run_id = create_run_record(cfg)
    torch.set_num_threads(threads)
    started = time.perf_counter()
    summary = execute_run(run_id, progress=False)
    wall = time.perf_counter() - started
    with read_session() as s:
        loss = queries.metric_series(s, run_id, "train_loss")
        keys = [(p.key, p.step, p.task) for p in queries.metric_points(s, run_id)]
    return {
        "setup": f"{devices} x {threads} thread(s)",
        "wall_s": round(wall, 1),
        "train_s": summary.train_seconds,
        "tokens_per_s": summary.train_tokens_per_s,
        "steps": summary.steps,
        "final_loss": round(loss[-1][1], 4),
        "dev_f1": round(summary.dev_f1 or 0.0, 4),
        "test_f1": round(summary.test_f1 or 0.0, 4),
        "duplicate_metric_rows": len(keys) - len(set(keys)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=400)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--backbone", default="tiny")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-ddp-"))
    os.environ.update(LAB_HOME=str(home), LAB_DB_URL=f"sqlite:///{home / 'lab.db'}")
    cores = os.cpu_count() or 1
    per_rank = max(1, cores // 2)
    setups = [(1, cores), (1, per_rank), (2, per_rank)]  # default; same threads per process; DDP
    try:
        rows = [run_once(devices, threads, args) for devices, threads in setups]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"{'processes x threads':<22}" + "".join(f"{r['setup']:>18}" for r in rows))
    for key in rows[0]:
        if key != "setup":
            print(f"{key:<22}" + "".join(f"{r[key]!s:>18}" for r in rows))
    out = REPO / "bench" / "results" / "ddp.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
