"""Benchmark: this engine's fine-tuning throughput vs `transformers.Trainer`, plain and tuned.

Three sides, same model (minilm-l6), same data, same batch size, steps, learning rate and
warmup + linear-decay schedule, in one process:

- engine: engine.training.loop.fit (`--precision`, default auto: bf16 where the CPU runs it fast;
  `--batching tokens` for token-budget batches, `--compile` for train.compile)
- plain Trainer: TrainingArguments defaults (fp32, random batches)
- tuned Trainer: what a user who cares turns on: `bf16=True` autocast and
  `train_sampling_strategy="group_by_length"` (the transformers 5 spelling; `group_by_length=`
  is gone)

Each side counts the real (non-pad) training tokens it was fed: the engine through its loop, a
Trainer through a wrapper around its data collator. Two rates per side: "steps" is real tokens
over the time spent inside the optimizer steps (the engine's LoopResult.train_seconds; a
Trainer's on_step_begin -> on_step_end), "call" is real tokens over the wall clock of the whole
training call (fit() / trainer.train(): set-up, sampler, batching included). Dev and test F1 of
every side are scored by the same windows, decoding and seqeval call.

After an untimed warm-up run of each side (`--warmup-steps`), the timed runs alternate (engine,
plain, tuned; then plain, tuned, engine; ...) so machine load hits each side alike, and the
table shows the median of `--repeats` runs per side.

Data: WNUT-17 from ../shared/datasets/wnut17 when present, else the built-in news corpus
(`--data` picks: wnut17, builtin:NAME or a folder with train/dev/test.txt).

    .venv/bin/python bench/finetune_throughput.py [--epochs 1] [--batch-size 16] [--repeats 3]
    .venv/bin/python bench/finetune_throughput.py --steps 5 --repeats 1 --warmup-steps 1  # quick
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from training_sides import (
    DEVICE_MODULES,
    data_config,
    engine_attr,
    engine_fit,
    scores,
    trainer_dataset,
    trainer_fit,
)

from engine.config import TrainConfig
from engine.data.alignment import SpecialIds, encode_sentences
from engine.data.sources import load_splits
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone

SIDES = ("engine", "plain Trainer", "tuned Trainer")


def engine_side(splits, args, steps: int, score: bool = True) -> dict:
    torch.manual_seed(args.seed)
    backbone = resolve_backbone(args.backbone)
    tok = load_tokenizer(backbone)
    model = load_token_classifier(backbone, splits.labels, len(tok))
    label2id = {lab: i for i, lab in enumerate(splits.labels)}
    train_w = encode_sentences(splits.train, tok, label2id, 128)
    cfg = TrainConfig(
        epochs=args.epochs,
        max_steps=steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        warmup_ratio=0.1,
        weight_decay=0.0,
        batching=args.batching,
        compile=args.compile,
    )
    device = torch.device("cpu")
    dtype = engine_attr("pick_precision", *DEVICE_MODULES)(device, args.precision)
    res = engine_fit(
        model, train_w, cfg=cfg, device=device, dtype=dtype, pad_id=SpecialIds.of(tok).pad
    )
    return res | (scores(model, tok, splits) if score else {})


def trainer_side(splits, args, steps: int, tuned: bool, score: bool = True) -> dict:
    torch.manual_seed(args.seed)
    backbone = resolve_backbone(args.backbone)
    tok = load_tokenizer(backbone)
    model = load_token_classifier(backbone, splits.labels, len(tok))
    label2id = {lab: i for i, lab in enumerate(splits.labels)}
    res = trainer_fit(
        model,
        tok,
        trainer_dataset(splits, tok, label2id),
        steps=steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        tuned=tuned,
        use_cpu=True,
    )
    return res | (scores(model, tok, splits) if score else {})


def run_side(side: str, splits, args, steps: int, score: bool = True) -> dict:
    if side == "engine":
        return engine_side(splits, args, steps, score)
    return trainer_side(splits, args, steps, tuned=side == "tuned Trainer", score=score)


def median_of(runs: list[dict]) -> dict:
    keys = ("tokens_per_s", "call_tokens_per_s", "dev_f1", "test_f1", "tokens", "step_seconds")
    out = {k: statistics.median(r[k] for r in runs) for k in keys if runs[0].get(k) is not None}
    out["precision"] = runs[0]["precision"]
    return out


def fmt_f1(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(medians: dict[str, dict], repeats: int, steps: int) -> str:
    tuned = medians["tuned Trainer"]
    rows = [
        f"real tokens/s, median of {repeats} alternated run(s), {steps} steps each",
        f"{'side':<15} {'precision':<9} {'tok/s steps':>11} {'tok/s call':>10} "
        f"{'vs tuned':>8} {'dev F1':>7} {'test F1':>7}",
    ]
    for side in SIDES:
        m = medians[side]
        ratio = m["tokens_per_s"] / tuned["tokens_per_s"] if tuned["tokens_per_s"] else math.nan
        rows.append(
            f"{side:<15} {m['precision']:<9} {m['tokens_per_s']:>11.0f} "
            f"{m['call_tokens_per_s']:>10.0f} {ratio:>7.2f}x {fmt_f1(m.get('dev_f1')):>7} "
            f"{fmt_f1(m.get('test_f1')):>7}"
        )
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--steps", type=int, default=None, help="optimizer steps (default: --epochs)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    p.add_argument("--repeats", type=int, default=3, help="runs per side; the table shows medians")
    p.add_argument(
        "--warmup-steps",
        type=int,
        default=3,
        help="an untimed first run of each side this long (one-time kernel and allocator set-up "
        "would otherwise land on whichever side runs first); 0: none",
    )
    p.add_argument(
        "--batching", default="sentences", choices=["sentences", "tokens"], help="engine side"
    )
    p.add_argument("--compile", action="store_true", help="engine side: train.compile")
    p.add_argument("--data", default="auto", help="auto, wnut17, builtin:NAME or a folder")
    p.add_argument("--backbone", default="minilm-l6")
    p.add_argument("--json", type=Path, default=None, help="also write every run here")
    args = p.parse_args()
    if args.repeats < 1 or (args.steps is not None and args.steps < 1):
        p.error("--repeats and --steps must be at least 1")
    data = data_config(args.data)
    splits = load_splits(data, seed=args.seed)
    per_epoch = math.ceil(len(splits.train) / args.batch_size)
    steps = args.steps or per_epoch * args.epochs
    print(
        f"data {data.train}: {len(splits.train)} train / {len(splits.dev)} dev / "
        f"{len(splits.test or [])} test sentences; {steps} steps of batch {args.batch_size}; "
        f"torch threads {torch.get_num_threads()}; engine batching {args.batching}, "
        f"compile {args.compile}",
        flush=True,
    )
    if args.warmup_steps > 0:
        for side in SIDES:
            run_side(side, splits, args, args.warmup_steps, score=False)
        print(f"warmed up: {args.warmup_steps} untimed steps of each side", flush=True)
    runs: dict[str, list[dict]] = {side: [] for side in SIDES}
    for r in range(args.repeats):
        order = SIDES[r % len(SIDES) :] + SIDES[: r % len(SIDES)]  # rotate: load hits all alike
        for side in order:
            res = run_side(side, splits, args, steps)
            assert res["steps"] == steps, f"{side} ran {res['steps']} steps, not {steps}"
            runs[side].append(res)
            print(f"run {r + 1} {side}: {json.dumps(res)}", flush=True)
    medians = {side: median_of(runs[side]) for side in SIDES}
    result = {
        "data": data.train,
        "steps": steps,
        "batch_size": args.batch_size,
        "engine_batching": args.batching,
        "engine_compile": args.compile,
        "repeats": args.repeats,
        "threads": torch.get_num_threads(),
        "median": medians,
        "ratio_vs_tuned": medians["engine"]["tokens_per_s"]
        / medians["tuned Trainer"]["tokens_per_s"],
        "ratio_vs_plain": medians["engine"]["tokens_per_s"]
        / medians["plain Trainer"]["tokens_per_s"],
        "runs": runs,
    }
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))
    print(table(medians, args.repeats, steps))


if __name__ == "__main__":
    main()
