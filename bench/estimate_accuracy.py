"""How close the run-time estimate (engine.runs.estimate) comes to the real wall time.

Runs small configs of every kind one after another (tiny and minilm-l6; finetune, continual,
meta, pretrain) as background jobs in a fresh LAB_HOME, one job at a time, the way the dashboard
starts them. Before each run it prints the estimate made from the runs before it: the first run
of a backbone has no history, so it waits for that backbone's calibration (a short timing test,
timed apart) and the estimate is "calibrated"; later runs are "measured". After each run it
prints the actual wall time (the run's started_at to finished_at, worker start-up included) and
ratio = estimate / actual; the goal is a ratio in [0.5, 2] on a quiet machine. Run it alone:
other processes on the CPUs slow the runs and void the comparison.

    .venv/bin/python bench/estimate_accuracy.py            # 12 runs, a few minutes quiet
    .venv/bin/python bench/estimate_accuracy.py --quick    # 3 tiny runs: a smoke check
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

NEWS = {"train": "builtin:news"}
SMALL_TRAIN = {"batch_size": 32, "lr": 3.0e-3, "max_length": 64}
NO_MAP = {"enabled": False}
PROBE = {"probe_sentences": 80, "max_tokens": 800}


def finetune(name: str, backbone: str, sentences: int, epochs: int) -> dict[str, Any]:
    data = NEWS | {"max_train_sentences": sentences}
    lr = 3.0e-3 if backbone.startswith("tiny") else 1.0e-4
    train = SMALL_TRAIN | {"epochs": epochs, "lr": lr}
    return {"name": name, "data": data, "backbone": backbone, "train": train, "mapping": PROBE}


def continual(name: str, backbone: str, method: str, per_task: int) -> dict[str, Any]:
    tasks = {"by": "types", "order": [["PER"], ["LOC"], ["ORG"]], "max_train_sentences": per_task}
    strategy = {"kind": "continual", "method": method, "tasks": tasks, "dev_per_task": False}
    lr = 3.0e-3 if backbone.startswith("tiny") else 3.0e-4
    return {"name": name, "data": NEWS, "backbone": backbone, "strategy": strategy,
            "train": SMALL_TRAIN | {"epochs": 2, "lr": lr}, "mapping": NO_MAP}  # fmt: skip


def meta(name: str, backbone: str, method: str, train_episodes: int) -> dict[str, Any]:
    episodes = {"train": train_episodes, "test": 20}
    strategy = {"kind": "meta", "method": method, "n_way": 5, "k_shot": 1, "episodes": episodes}
    if method == "finetune-baseline":
        strategy["params"] = {"steps": 10}  # as lesson 4
    train = {"lr": 3.0e-5, "max_length": 64, "save_checkpoint": False}
    data = {"train": "builtin:mixed"}
    return {"name": name, "data": data, "backbone": backbone, "strategy": strategy,
            "train": train, "mapping": NO_MAP}  # fmt: skip


def pretrain(name: str, backbone: str, mode: str, documents: int, epochs: int) -> dict[str, Any]:
    strategy = {"kind": "pretrain", "mode": mode, "corpus": "builtin:news"}
    strategy["max_documents"] = documents
    lr = 3.0e-3 if mode == "from_scratch" else 1.0e-4
    return {"name": name, "data": NEWS, "backbone": backbone, "strategy": strategy,
            "train": SMALL_TRAIN | {"epochs": epochs, "lr": lr}, "mapping": PROBE}  # fmt: skip


# In this order the first run of each backbone is calibrated, the first of each other kind is
# scaled from the kinds before it, and the later ones are measured on the same kind.
RUNS = [
    finetune("ft-tiny", "tiny", 600, 4),
    continual("cl-tiny-naive", "tiny", "naive", 200),
    pretrain("pt-tiny-scratch", "tiny", "from_scratch", 800, 3),
    meta("meta-tiny-protonet", "tiny", "protonet", 100),
    finetune("ft-minilm", "minilm-l6", 300, 2),
    continual("cl-minilm-lwf", "minilm-l6", "lwf", 100),
    meta("meta-minilm-protonet", "minilm-l6", "protonet", 60),
    pretrain("pt-minilm-continued", "minilm-l6", "continued", 300, 1),
    finetune("ft-tiny-more", "tiny", 1000, 3),
    continual("cl-tiny-replay", "tiny", "replay", 250),
    meta("meta-minilm-baseline", "minilm-l6", "finetune-baseline", 0),
    finetune("ft-minilm-more", "minilm-l6", 500, 2),
]
QUICK = 3


def wait_for(run_id: int) -> Any:
    from engine import api
    from storage import queries
    from storage.db import read_session
    from storage.models import TERMINAL_STATES

    while True:
        api.reconcile()
        with read_session() as s:
            row = queries.get_run(s, run_id)
        if row is not None and row.status in TERMINAL_STATES:
            return row
        time.sleep(0.5)


def fmt_range(est: Any) -> str:
    return f"{est.low_s:.0f}-{est.high_s:.0f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help=f"only the first {QUICK} runs (tiny)")
    args = p.parse_args()
    os.environ["LAB_HOME"] = tempfile.mkdtemp(prefix="estimate-bench-")  # no history at all
    os.environ.pop("LAB_DB_URL", None)
    os.environ["LAB_MAX_JOBS"] = "1"
    from engine import api
    from engine.config import parse_config
    from engine.runs import calibrate
    from engine.runs.estimate import estimate_run
    from engine.runs.throughput import load_history

    print(f"LAB_HOME={os.environ['LAB_HOME']}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)  # fmt: skip
    rows = []
    for number, raw in enumerate(RUNS[:QUICK] if args.quick else RUNS, start=1):
        cfg = parse_config(raw)
        est = estimate_run(cfg, history=load_history(0), start_calibration=False, load=0.0)
        assert est is not None, cfg.name
        if est.basis == "guess":  # no run of this backbone yet: calibrate, timed apart
            started = time.perf_counter()
            calibrate.run(est.backbone, est.device)
            print(f"calibrated {est.backbone} on {est.device} in "
                  f"{time.perf_counter() - started:.0f} s", file=sys.stderr)  # fmt: skip
            est = estimate_run(cfg, history=load_history(0), start_calibration=False, load=0.0)
            assert est is not None
        load = os.getloadavg()[0]
        row = wait_for(api.submit(cfg))
        actual = (row.finished_at - row.started_at).total_seconds() if row.finished_at else 0.0
        s = row.summary
        timed = (s.train_seconds or 0.0) + (s.test_seconds or 0.0 if cfg.strategy.kind == "meta"
                                            else 0.0)  # fmt: skip
        predicted_train = est.train_tokens / est.tokens_per_s if est.tokens_per_s else 0.0
        line = (number, cfg.name, cfg.strategy.kind, est.backbone, est.basis, est.runs,
                fmt_range(est), est.seconds, actual, est.seconds / max(actual, 1e-9),
                est.low_s <= actual <= est.high_s, load, predicted_train, timed,
                str(row.status))  # fmt: skip
        rows.append(line)
        print(f"#{number} {cfg.name}: estimate {est.seconds:.0f} s [{fmt_range(est)}] "
              f"({est.basis}), actual {actual:.0f} s ({row.status}), ratio "
              f"{line[9]:.2f}; training predicted {predicted_train:.1f} s, timed {timed:.1f} s; "
              f"{est.explanation}", file=sys.stderr, flush=True)  # fmt: skip
    print("| # | run | kind | backbone | basis (runs) | range s | estimate s | actual s | ratio |"
          " in range | load | train s est / timed | status |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, name, kind, bk, basis, runs, rng, est_s, act, ratio, inside, load, pt, tt, st in rows:
        print(f"| {n} | {name} | {kind} | {bk} | {basis} ({runs}) | {rng} | {est_s:.0f} | "
              f"{act:.0f} | {ratio:.2f} | {'yes' if inside else 'no'} | {load:.1f} | "
              f"{pt:.1f} / {tt:.1f} | {st} |")  # fmt: skip
    good = sum(0.5 <= r[9] <= 2.0 for r in rows)
    print(f"\n{good} of {len(rows)} ratios in [0.5, 2]")


if __name__ == "__main__":
    main()
