"""Science check: domain-adaptive MLM on WNUT-17 text before fine-tuning, vs fine-tuning directly.

Gururangan et al. (2020, "Don't Stop Pretraining") found that continuing masked-LM pretraining
on in-domain text (DAPT) before fine-tuning helps. Here, at lab scale, with minilm-l6:

- direct: fine-tune minilm-l6 on WNUT-17 train (dev for early stopping / best checkpoint).
- dapt: masked-LM on the *text* of WNUT-17 train + dev (labels ignored; never the test text),
  then fine-tune from that checkpoint (`backbone: run:<ID>`) with the same fine-tuning budget.

Every run goes through the engine and is recorded in LAB_HOME (run chaining for real). Prints a
Markdown table: test/dev F1, held-out perplexity before/after MLM, and minutes per stage.

    LAB_HOME=/tmp/dapt nice -n 10 .venv/bin/python bench/dapt_wnut17.py [--mlm-epochs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WNUT = REPO.parent / "shared" / "datasets" / "wnut17"


def finetune_config(backbone: str, seed: int, args: argparse.Namespace) -> dict:
    return {
        "name": f"wnut17-ft-{'dapt' if backbone.startswith('run:') else 'direct'}-s{seed}",
        "data": {
            "train": str(WNUT / "train.txt"),
            "dev": str(WNUT / "dev.txt"),
            "test": str(WNUT / "test.txt"),
            "max_train_sentences": args.ft_max_train,
        },
        "backbone": backbone,
        "train": {"epochs": args.ft_epochs, "batch_size": 16, "lr": args.ft_lr, "seed": seed},
        "mapping": {"probe_sentences": 100},
    }


def pretrain_config(corpus: Path, seed: int, args: argparse.Namespace) -> dict:
    return {
        "name": f"wnut17-dapt-mlm-s{seed}",
        "data": {"train": str(WNUT / "train.txt"), "dev": str(WNUT / "dev.txt")},  # probe set
        "backbone": "minilm-l6",
        "strategy": {
            "kind": "pretrain",
            "mode": "continued",
            "corpus": str(corpus),
            "corpus_format": "text",
            "whole_word_mask": True,
            "held_out": 0.05,
            "max_documents": args.mlm_max_docs,
        },
        "train": {
            "epochs": args.mlm_epochs,
            "batch_size": 32,
            "lr": args.mlm_lr,
            "head_lr": args.mlm_head_lr,
            "max_length": args.mlm_max_length,
            "seed": seed,
        },
        "mapping": {"probe_sentences": 100},
    }


def write_text_corpus(target: Path) -> int:
    """Train + dev sentences as plain text, one per line, shuffled (the unlabelled corpus)."""
    from engine.strategies.pretrain.corpus import load_documents

    docs = load_documents(str(WNUT / "train.txt")) + load_documents(str(WNUT / "dev.txt"))
    random.Random(0).shuffle(docs)  # so --mlm-max-docs takes train and dev text alike
    target.write_text("\n".join(" ".join(d) for d in docs) + "\n", encoding="utf-8")
    return len(docs)


def run(raw: dict) -> tuple[int, dict, float]:
    from engine.config import parse_config
    from engine.jobs.runner import create_run_record, execute_run

    # claimed at once: no dispatcher (any `engine show` reconciles) may start a worker for it
    run_id = create_run_record(parse_config(raw), claim_pid=os.getpid())
    started = time.perf_counter()
    summary = execute_run(run_id, progress=False)
    return run_id, summary, (time.perf_counter() - started) / 60


def one_seed(seed: int, corpus: Path, args: argparse.Namespace) -> list[dict]:
    rows = []
    if "direct" in args.arms:
        _, direct, direct_min = run(finetune_config("minilm-l6", seed, args))
        rows.append({"arm": "direct", "seed": seed, "ft_min": direct_min, **scores(direct)})
        print(json.dumps(rows[-1]), flush=True)
    if "dapt" not in args.arms:
        return rows
    mlm_id, mlm, mlm_min = run(pretrain_config(corpus, seed, args))
    _, dapt, dapt_min = run(finetune_config(f"run:{mlm_id}", seed, args))
    rows.append(
        {
            "arm": "dapt",
            "seed": seed,
            "mlm_min": mlm_min,
            "ft_min": dapt_min,
            "ppl_before": mlm["initial_heldout_perplexity"],
            "ppl_after": mlm["heldout_perplexity"],
            "mlm_steps": mlm["steps"],
            **scores(dapt),
        }
    )
    print(json.dumps(rows[-1]), flush=True)
    return rows


def scores(summary: dict) -> dict:
    mapping = summary.mapping.model_dump() if summary.mapping else {}
    silhouette = mapping.get("silhouette") or {}
    return {
        "dev_f1": summary.dev_f1,
        "test_f1": summary.test_f1,
        "silhouette_final": silhouette.get("final"),
    }


def table(rows: list[dict]) -> str:
    head = "| arm | seed | test F1 | dev F1 | MLM ppl before -> after | MLM min | fine-tune min |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        ppl = f"{r['ppl_before']:.0f} -> {r['ppl_after']:.1f}" if "ppl_after" in r else "-"
        mlm = f"{r['mlm_min']:.1f}" if "mlm_min" in r else "-"
        lines.append(
            f"| {r['arm']} | {r['seed']} | {r['test_f1']:.3f} | {r['dev_f1']:.3f} | {ppl} | "
            f"{mlm} | {r['ft_min']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="13", help="comma-separated fine-tuning/MLM seeds")
    p.add_argument("--mlm-epochs", type=int, default=2)
    p.add_argument("--mlm-lr", type=float, default=1e-4)
    p.add_argument("--ft-epochs", type=int, default=3)
    p.add_argument("--ft-lr", type=float, default=1e-4)
    p.add_argument("--ft-max-train", type=int, default=None, help="labelled sentences used")
    p.add_argument("--mlm-max-docs", type=int, default=None, help="corpus sentences used")
    p.add_argument("--mlm-max-length", type=int, default=64)
    p.add_argument("--mlm-head-lr", type=float, default=None, help="lr of the (fresh) MLM head")
    p.add_argument("--arms", default="direct,dapt", help="direct, dapt or both")
    args = p.parse_args()
    if not WNUT.is_dir():
        raise SystemExit(f"WNUT-17 not found at {WNUT}")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "wnut17_train_dev.txt"
        print(f"corpus: {write_text_corpus(corpus)} sentences of WNUT-17 train + dev", flush=True)
        for seed in (int(s) for s in args.seeds.split(",")):
            rows += one_seed(seed, corpus, args)
    print(table(rows))


if __name__ == "__main__":
    main()
