"""Science check: a strategy race on WNUT-17 split by entity types into 3 tasks (minilm-l6).

Runs naive / replay / ewc / lwf / mapping / joint one after another on the same stream and seed
(each through the engine, recorded in LAB_HOME as one race group) and prints ACC, BWT, FWT,
forgetting and minutes per run as a Markdown table.

    LAB_HOME=/tmp/race .venv/bin/python bench/continual_race.py [--methods naive,lwf] [--epochs 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WNUT = REPO.parent / "shared" / "datasets" / "wnut17"
METHODS = ("naive", "replay", "ewc", "lwf", "mapping", "joint")


def race_config(method: str, args: argparse.Namespace) -> dict:
    return {
        "name": f"wnut17-race-{method}",
        "data": {
            "train": str(WNUT / "train.txt"),
            "dev": str(WNUT / "dev.txt"),
            "test": str(WNUT / "test.txt"),
        },
        "backbone": args.backbone,
        "strategy": {
            "kind": "continual",
            "method": method,
            "tasks": {"by": "types", "types_per_task": 2},
        },
        "train": {"epochs": args.epochs, "batch_size": 16, "lr": args.lr, "seed": args.seed},
    }


def main() -> None:
    from engine.config import parse_config
    from engine.jobs.runner import create_run_record, execute_run

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--backbone", default="minilm-l6")
    args = p.parse_args()
    if not WNUT.is_dir():
        raise SystemExit(f"WNUT-17 not found at {WNUT}")
    group = f"wnut17-race-{int(time.time())}"
    rows = []
    for method in args.methods.split(","):
        cfg = parse_config(race_config(method, args))
        run_id = create_run_record(cfg, group_name=group)
        started = time.perf_counter()
        summary = execute_run(run_id, progress=False)
        minutes = (time.perf_counter() - started) / 60
        c = summary.continual.model_dump()
        rows.append(
            {
                "method": method,
                "run": run_id,
                "acc": c["acc"],
                "bwt": c["bwt"],
                "fwt": c["fwt"],
                "forgetting": c["forgetting"],
                "minutes": minutes,
                "tasks": [t["types"] for t in c["tasks"]],
                "matrix": c["matrix"],
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    print("\n| method | ACC | BWT | FWT | forgetting | minutes |\n|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['method']} | {r['acc']:.3f} | {r['bwt']:.3f} | {r['fwt']:.3f} | "
            f"{r['forgetting']:.3f} | {r['minutes']:.1f} |"
        )


if __name__ == "__main__":
    main()
