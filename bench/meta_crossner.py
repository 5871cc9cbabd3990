"""Science check: cross-domain few-shot NER, CrossNER politics -> science (minilm-l6).

Meta-trains on the politics domain's 9 types (train + dev + test sentences pooled) and
meta-tests on 5-way episodes of the science domain's 11 types that politics never has
(scientist, protein, enzyme, ...; the shared ones such as person or location become O), at
1~2 and 5~10 shots. Every method runs on the same test episodes (same seed), each through the
engine and recorded in LAB_HOME as one group, so the Meta page can show them side by side.
Prints a Markdown table of mean query F1 ± 95% CI and minutes per run.

    LAB_HOME=/tmp/meta-bench nice -n 10 .venv/bin/python bench/meta_crossner.py \
        [--methods protonet,nnshot] [--shots 1,5] [--train-episodes 40] [--test-episodes 40]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATASETS = REPO.parent / "shared" / "datasets"
DOMAINS = ("crossner_politics", "crossner_science")
METHODS = ("protonet", "nnshot", "maml", "reptile", "finetune-baseline")
SPLITS = ("train", "dev", "test")


def pooled_file(domain: str, folder: Path) -> Path:
    """All of a domain's sentences in one CoNLL file (few-shot needs every mention it has)."""
    parts = [(DATASETS / domain / f"{s}.txt").read_text(encoding="utf-8") for s in SPLITS]
    target = folder / f"{domain}.txt"
    target.write_text("\n\n".join(p.strip("\n") for p in parts) + "\n", encoding="utf-8")
    return target


def bench_config(method: str, shots: int, files: dict[str, Path], args) -> dict:
    scale = 2 if shots > 1 else 1  # 5~10-shot episodes are ~4x larger: fewer of them
    return {
        "name": f"crossner-{method}-{shots}shot",
        "data": {"train": str(files[DOMAINS[0]]), "test": str(files[DOMAINS[1]])},
        "backbone": args.backbone,
        "strategy": {
            "kind": "meta",
            "method": method,
            "n_way": 5,
            "k_shot": shots,
            "episodes": {
                "train": max(1, args.train_episodes // scale),
                "test": max(2, args.test_episodes // scale),
            },
            "inner_steps": args.inner_steps,
            "inner_lr": args.inner_lr,
            "finetune_steps": args.finetune_steps,
            "finetune_lr": args.finetune_lr,
            "examples": 3,
        },
        "train": {"lr": args.lr, "seed": args.seed, "save_checkpoint": False, "log_every": 5},
    }


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--shots", default="1,5", help="K of the K~2K-shot settings")
    p.add_argument("--train-episodes", type=int, default=40)
    p.add_argument("--test-episodes", type=int, default=40)
    p.add_argument("--inner-steps", type=int, default=3)
    p.add_argument("--inner-lr", type=float, default=1e-3)
    p.add_argument("--finetune-steps", type=int, default=10)
    p.add_argument("--finetune-lr", type=float, default=1e-3)
    p.add_argument("--lr", type=float, default=3e-5)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--backbone", default="minilm-l6")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: busy machine)")
    p.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    return p.parse_args()


def main() -> None:
    import torch

    from engine.config import parse_config
    from engine.jobs.runner import create_run_record, execute_run
    from storage import queries
    from storage.db import read_session

    args = parse_args()
    missing = [d for d in DOMAINS if not (DATASETS / d).is_dir()]
    if missing:
        raise SystemExit(f"CrossNER not found: {', '.join(missing)} under {DATASETS}")
    torch.set_num_threads(args.threads)
    group = f"crossner-meta-{args.shots.replace(',', '-')}shot-{int(time.time())}"
    rows = []
    with tempfile.TemporaryDirectory(prefix="crossner-") as folder:
        files = {d: pooled_file(d, Path(folder)) for d in DOMAINS}
        for shots in (int(s) for s in args.shots.split(",")):
            for method in args.methods.split(","):
                cfg = parse_config(bench_config(method, shots, files, args))
                run_id = create_run_record(cfg, group_name=group)
                started = time.perf_counter()
                execute_run(run_id, progress=False)
                minutes = (time.perf_counter() - started) / 60
                with read_session() as s:
                    meta = queries.get_run(s, run_id).summary["meta"]
                rows.append(
                    {"run": run_id, "method": method, "shots": f"{shots}~{2 * shots}"}
                    | {k: meta[k] for k in ("f1_mean", "f1_ci95", "f1_micro", "episodes")}
                    | {"train_episodes": meta["train_episodes"], "minutes": round(minutes, 2)}
                )
                print(json.dumps(rows[-1]), flush=True)
    print(f"\ngroup: {group}; test types: {', '.join(meta['test_types'])}\n")
    print("| method | shots | F1 mean ± 95% CI | pooled F1 | meta-train eps | test eps | min |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['method']} | {r['shots']} | {r['f1_mean']:.3f} ± {r['f1_ci95'] or 0:.3f} | "
            f"{r['f1_micro']:.3f} | {r['train_episodes']} | {r['episodes']} | {r['minutes']:.1f} |"
        )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
