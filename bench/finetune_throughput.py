"""Benchmark: this engine's fine-tuning throughput vs `transformers.Trainer`, plain and tuned.

Three sides, same model (minilm-l6), same data, same batch size, steps, learning rate and
warmup + linear-decay schedule, in one process:

- engine: engine.training.loop.fit (`--precision`, default auto: bf16 where the CPU runs it fast)
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
import importlib
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from engine.config import DataConfig, TrainConfig
from engine.data.alignment import SpecialIds, encode_sentences
from engine.data.sources import load_splits
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.training.loop import fit
from engine.training.predict import evaluate

WNUT = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "wnut17"
SIDES = ("engine", "plain Trainer", "tuned Trainer")
DEVICE_MODULES = ("engine.device", "engine.training.device", "engine.jobs.device")


def engine_attr(name: str, *modules: str) -> Any:
    """`name` from the first of `modules` that has it: engine modules at the root of engine/ are
    moving into packages (engine/tracker.py -> engine/tracking/tracker.py, ...), and a bench
    script should run on either side of such a move."""
    for module in modules:
        try:
            found = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name is None or not module.startswith(err.name):
                raise  # the module exists but something it imports is missing
            continue
        if hasattr(found, name):
            return getattr(found, name)
    raise ImportError(f"none of {', '.join(modules)} has {name}")


def memory_tracker() -> Any:
    """The engine's in-memory tracker (tests and benchmarks keep everything in lists)."""
    cls = engine_attr(
        "MemoryTracker", "engine.tracking", "engine.tracking.tracker", "engine.tracker"
    )
    return cls()


def data_config(choice: str) -> DataConfig:
    """auto: WNUT-17 when ../shared/datasets has it, else builtin:news."""
    if choice == "auto":
        choice = "wnut17" if WNUT.is_dir() else "builtin:news"
    if choice.startswith("builtin:"):
        return DataConfig(train=choice)
    folder = WNUT if choice == "wnut17" else Path(choice)
    if not folder.is_dir():
        raise SystemExit(f"no data at {folder} (use --data builtin:news)")
    return DataConfig(
        train=str(folder / "train.txt"), dev=str(folder / "dev.txt"), test=str(folder / "test.txt")
    )


def scores(model, tok, splits, device: torch.device | None = None) -> dict:
    """Dev and test F1 of any side, by the same windows, decoding and seqeval call (fp32)."""
    label2id = {lab: i for i, lab in enumerate(splits.labels)}
    device = device or torch.device("cpu")
    model.to(device)
    out = {}
    for name, sents in (("dev", splits.dev), ("test", splits.test or [])):
        if not sents:
            out[f"{name}_f1"] = None
            continue
        windows = encode_sentences(sents, tok, label2id, 128)
        report = evaluate(
            model,
            sents,
            windows,
            dict(enumerate(splits.labels)),
            device,
            torch.float32,
            SpecialIds.of(tok).pad,
        )
        out[f"{name}_f1"] = report.f1
    return out


def no_sync() -> None:
    return None


def engine_fit(
    model,
    windows,
    *,
    cfg: TrainConfig,
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
    sync: Callable[[], None] = no_sync,
) -> dict:
    """One run of the engine's own loop; real tokens over step time and over the call's wall."""
    sync()
    started = time.perf_counter()
    res = fit(
        model,
        windows,
        cfg=cfg,
        device=device,
        dtype=dtype,
        pad_id=pad_id,
        tracker=memory_tracker(),
        progress=False,
    )
    sync()
    wall = time.perf_counter() - started
    return {
        "tokens": res.train_tokens,
        "steps": res.steps,
        "step_seconds": res.train_seconds,
        "call_seconds": wall,
        "tokens_per_s": res.tokens_per_s,
        "call_tokens_per_s": res.train_tokens / wall if wall > 0 else 0.0,
        "last_loss": res.last_loss,
        "precision": str(dtype).removeprefix("torch."),
    }


def trainer_fit(
    model,
    tokenizer,
    train_data: Sequence[dict] | Any,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    tuned: bool,
    use_cpu: bool,
    output_dir: str = "/tmp/bench_trainer",
    sync: Callable[[], None] = no_sync,
) -> dict:
    """`transformers.Trainer` on `train_data` (a datasets.Dataset or a list of feature dicts).

    tuned: bf16 autocast and length-grouped sampling; else TrainingArguments defaults (fp32,
    random batches). The same warmup ratio (0.1) + linear decay and weight decay 0 as the
    engine side. Real tokens are counted by wrapping the data collator: the count of each batch
    it built is kept, and the first `global_step` of them are the ones trained on (accelerate's
    loader builds one batch ahead, which is never stepped on when max_steps ends mid-epoch).
    """
    from transformers import (
        DataCollatorForTokenClassification,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    per_batch: list[int] = []
    base = DataCollatorForTokenClassification(tokenizer)

    def collator(features):
        batch = base(features)
        per_batch.append(int(batch["attention_mask"].sum()))
        return batch

    class StepTimer(TrainerCallback):
        """Time inside each optimizer step, like the engine's LoopResult.train_seconds."""

        seconds = 0.0
        began = 0.0

        def on_step_begin(self, args, state, control, **kwargs):
            sync()
            self.began = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            sync()
            self.seconds += time.perf_counter() - self.began

    timer = StepTimer()
    targs = TrainingArguments(
        output_dir=output_dir,
        per_device_train_batch_size=batch_size,
        max_steps=steps,
        learning_rate=lr,
        warmup_steps=0.1,  # transformers 5: a float < 1 is a ratio
        weight_decay=0.0,
        lr_scheduler_type="linear",
        bf16=tuned,
        train_sampling_strategy="group_by_length" if tuned else "random",
        save_strategy="no",
        eval_strategy="no",
        report_to=[],
        logging_steps=10**6,
        seed=seed,
        use_cpu=use_cpu,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = Trainer(
        model=model,
        args=targs,
        train_dataset=train_data,
        data_collator=collator,
        callbacks=[timer],
    )
    sync()
    started = time.perf_counter()
    out = trainer.train()
    sync()
    wall = time.perf_counter() - started
    done = trainer.state.global_step
    tokens = sum(per_batch[:done])
    return {
        "tokens": tokens,
        "steps": done,
        "step_seconds": timer.seconds,
        "call_seconds": wall,
        "tokens_per_s": tokens / timer.seconds if timer.seconds > 0 else 0.0,
        "call_tokens_per_s": tokens / wall if wall > 0 else 0.0,
        "last_loss": float(out.training_loss),
        "precision": "bfloat16" if tuned else "float32",
        "sampling": targs.train_sampling_strategy,
    }


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
    )
    device = torch.device("cpu")
    dtype = engine_attr("pick_precision", *DEVICE_MODULES)(device, args.precision)
    res = engine_fit(
        model, train_w, cfg=cfg, device=device, dtype=dtype, pad_id=SpecialIds.of(tok).pad
    )
    return res | (scores(model, tok, splits) if score else {})


def trainer_dataset(splits, tok, label2id: dict[str, int]) -> Any:
    """WNUT-style training data as a user feeds the Trainer: a datasets.Dataset tokenised with
    word_ids alignment (first sub-token labelled, the rest -100), truncated at 128."""
    from datasets import Dataset

    def encode(batch):
        enc = tok(batch["tokens"], is_split_into_words=True, truncation=True, max_length=128)
        labels = []
        for i, tags in enumerate(batch["tags"]):
            prev, row = None, []
            for w in enc.word_ids(i):
                row.append(-100 if w is None or w == prev else label2id[tags[w]])
                prev = w
            labels.append(row)
        enc["labels"] = labels
        return enc

    raw = Dataset.from_dict(
        {
            "tokens": [list(s.tokens) for s in splits.train],
            "tags": [list(s.tags) for s in splits.train],
        }
    )
    return raw.map(encode, batched=True, remove_columns=["tokens", "tags"])


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
        f"torch threads {torch.get_num_threads()}",
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
