"""Benchmark: this engine's fine-tuning throughput vs a plain `transformers.Trainer`.

Same model (minilm-l6), same data (WNUT-17 from ../shared/datasets), same batch size, steps,
learning rate and schedule, run side by side in one process. Prints real training tokens/s
(padding excluded) of each, the ratio, and both dev F1s (scored by the same seqeval function).

    .venv/bin/python bench/finetune_throughput.py [--epochs 1] [--batch-size 16]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from engine.config import DataConfig, TrainConfig
from engine.data.alignment import SpecialIds, encode_sentences
from engine.data.sources import load_splits
from engine.device import pick_precision
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.tracker import MemoryTracker
from engine.training.loop import fit
from engine.training.predict import evaluate

WNUT = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "wnut17"


def scores(model, tok, splits) -> dict:
    """Dev and test F1 of either side, by the same windows, decoding and seqeval call."""
    label2id = {lab: i for i, lab in enumerate(splits.labels)}
    out = {}
    for name, sents in (("dev", splits.dev), ("test", splits.test)):
        windows = encode_sentences(sents, tok, label2id, 128)
        report = evaluate(
            model,
            sents,
            windows,
            dict(enumerate(splits.labels)),
            torch.device("cpu"),
            torch.float32,
            SpecialIds.of(tok).pad,
        )
        out[f"{name}_f1"] = report.f1
    return out


def engine_side(splits, args) -> dict:
    torch.manual_seed(args.seed)
    backbone = resolve_backbone("minilm-l6")
    tok = load_tokenizer(backbone)
    model = load_token_classifier(backbone, splits.labels, len(tok))
    label2id = {lab: i for i, lab in enumerate(splits.labels)}
    train_w = encode_sentences(splits.train, tok, label2id, 128)
    cfg = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        warmup_ratio=0.1,
        weight_decay=0.0,
    )
    device = torch.device("cpu")
    dtype = pick_precision(device, args.precision)
    res = fit(
        model,
        train_w,
        cfg=cfg,
        device=device,
        dtype=dtype,
        pad_id=SpecialIds.of(tok).pad,
        tracker=MemoryTracker(),
        progress=False,
    )
    return {
        "tokens_per_s": res.tokens_per_s,
        "steps": res.steps,
        "train_seconds": res.train_seconds,
        **scores(model, tok, splits),
        "precision": str(dtype),
    }


def trainer_side(splits, args, steps: int) -> dict:
    from datasets import Dataset
    from transformers import DataCollatorForTokenClassification, Trainer, TrainingArguments

    torch.manual_seed(args.seed)
    backbone = resolve_backbone("minilm-l6")
    tok = load_tokenizer(backbone)
    model = load_token_classifier(backbone, splits.labels, len(tok))
    label2id = {lab: i for i, lab in enumerate(splits.labels)}

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
    data = raw.map(encode, batched=True, remove_columns=["tokens", "tags"])
    counted = {"tokens": 0}
    base = DataCollatorForTokenClassification(tok)

    def collator(features):
        batch = base(features)
        counted["tokens"] += int(batch["attention_mask"].sum())
        return batch

    targs = TrainingArguments(
        output_dir="/tmp/bench_trainer",
        per_device_train_batch_size=args.batch_size,
        max_steps=steps,
        learning_rate=args.lr,
        warmup_steps=0.1,  # transformers 5: a float < 1 is a ratio
        weight_decay=0.0,
        lr_scheduler_type="linear",
        save_strategy="no",
        eval_strategy="no",
        report_to=[],
        logging_steps=10**6,
        seed=args.seed,
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = Trainer(model=model, args=targs, train_dataset=data, data_collator=collator)
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    return {
        "tokens_per_s": counted["tokens"] / seconds,
        "steps": steps,
        "train_seconds": seconds,
        **scores(model, tok, splits),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    args = p.parse_args()
    if not WNUT.is_dir():
        raise SystemExit(f"WNUT-17 not found at {WNUT}; the benchmark needs ../shared/datasets")
    splits = load_splits(
        DataConfig(
            train=str(WNUT / "train.txt"), dev=str(WNUT / "dev.txt"), test=str(WNUT / "test.txt")
        )
    )
    ours = engine_side(splits, args)
    print(f"engine: {json.dumps(ours)}", flush=True)
    theirs = trainer_side(splits, args, ours["steps"])
    assert ours["steps"] == math.ceil(len(splits.train) / args.batch_size) * args.epochs
    result = {
        "engine": ours,
        "trainer": theirs,
        "ratio": ours["tokens_per_s"] / theirs["tokens_per_s"],
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(result, indent=2))
    print(
        f"engine {ours['tokens_per_s']:.0f} tok/s ({ours['precision']}), trainer "
        f"{theirs['tokens_per_s']:.0f} tok/s: ratio {result['ratio']:.2f}; dev F1 "
        f"{ours['dev_f1']:.3f} vs {theirs['dev_f1']:.3f}, test F1 {ours['test_f1']:.3f} vs "
        f"{theirs['test_f1']:.3f} after {ours['steps']} steps"
    )


if __name__ == "__main__":
    main()
