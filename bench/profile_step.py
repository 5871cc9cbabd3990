"""Profile: where a training step of the engine's loop spends its time (torch.profiler).

Runs engine.training.loop.fit for `--steps` steps (MiniLM-L6, WNUT-17 from ../shared/datasets
when present, else the built-in news corpus) under torch.profiler, after an untimed warm-up
fit, and prints the top ops by self CPU time and each part's share of the profiled wall time:

- gemm: matrix multiplies (mm, addmm, bmm, linear's kernels), forward and backward
- attention: scaled-dot-product attention and its backward, softmax
- optimizer: everything under the optimizer's step and zero_grad, and gradient clipping
- collate: building the padded batch tensors (engine.training.tensors.collate)
- copies: copy_/clone/contiguous outside those: autocast's fp32 <-> bf16 casts of weights,
  activations and gradients, and the layout copies around attention heads
- other ops: every other aten op (layer norm, GELU, dropout, embedding, adds, the loss)
- python: the wall time no op accounts for (the loop, autograd bookkeeping, hooks, tqdm)

Shares stay meaningful on a busy machine; absolute times do not.

    .venv/bin/python bench/profile_step.py [--steps 20] [--batch-size 16] [--precision auto]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import torch
from torch.profiler import ProfilerActivity, profile, record_function

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from training_sides import DEVICE_MODULES, data_config, engine_attr, engine_fit

import engine.training.loop as loop_module
from engine.config import TrainConfig
from engine.data.alignment import SpecialIds, encode_sentences
from engine.data.sources import load_splits
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone

GEMM = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::addbmm", "mkldnn")
ATTENTION = ("scaled_dot_product", "softmax", "flash_attention")
COPIES = ("aten::copy_", "aten::clone", "aten::contiguous", "aten::_to_copy")
# ranges whose whole subtree belongs to one part, whatever ops run inside
RANGES = {"collate": "collate", "Optimizer.": "optimizer", "clip_grad": "optimizer"}
PARTS = ("gemm", "attention", "optimizer", "collate", "copies", "other ops", "python")


def profiled_collate(collate: Any) -> Any:
    """The loop's collate inside a named range, so its ops count as data/collate time."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with record_function("collate"):
            return collate(*args, **kwargs)

    return wrapped


def profiled_clip(clip: Any) -> Any:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with record_function("clip_grad_norm"):
            return clip(*args, **kwargs)

    return wrapped


def part_of(event: Any) -> str:
    """The part an op's self time goes to: its enclosing range if any, else its name."""
    parent = event
    while parent is not None:
        for prefix, part in RANGES.items():
            if parent.name.startswith(prefix):
                return part
        parent = parent.cpu_parent
    name = event.name
    if any(k in name for k in ATTENTION):
        return "attention"
    if any(k in name for k in GEMM):
        return "gemm"
    if name in COPIES:
        return "copies"
    return "other ops"


def shares(events: Any, wall_us: float) -> dict[str, float]:
    """Self CPU time per part, on the main thread, over the profiled wall time."""
    by_part: dict[str, float] = defaultdict(float)
    for event in events:
        if event.device_type.name != "CPU" or event.name.startswith("ProfilerStep"):
            continue
        if any(event.name.startswith(prefix) for prefix in RANGES):
            continue  # a range's own self time is Python inside it: counted as python
        by_part[part_of(event)] += event.self_cpu_time_total
    by_part["python"] = max(wall_us - sum(by_part.values()), 0.0)
    return {part: by_part[part] / wall_us for part in PARTS}


def setup(
    args: argparse.Namespace,
) -> tuple[Any, list, TrainConfig, torch.device, torch.dtype, int]:
    data = data_config(args.data)
    splits = load_splits(data, seed=args.seed)
    backbone = resolve_backbone(args.backbone)
    tok = load_tokenizer(backbone)
    torch.manual_seed(args.seed)
    model = load_token_classifier(backbone, splits.labels, len(tok))
    label2id = {lab: i for i, lab in enumerate(splits.labels)}
    windows = encode_sentences(splits.train, tok, label2id, 128)
    overrides = dict(arg.split("=", 1) for arg in args.set)
    cfg = TrainConfig(
        max_steps=args.steps, batch_size=args.batch_size, lr=1e-4, seed=args.seed, **overrides
    )
    device = torch.device("cpu")
    dtype = engine_attr("pick_precision", *DEVICE_MODULES)(device, args.precision)
    attention = getattr(model.config, "_attn_implementation", "?")
    print(
        f"data {data.train}: {len(windows)} windows; {args.backbone} (attention {attention}), "
        f"{dtype}, batch {args.batch_size}, torch threads {torch.get_num_threads()}",
        flush=True,
    )
    return model, windows, cfg, device, dtype, SpecialIds.of(tok).pad


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20, help="profiled steps")
    p.add_argument("--warmup-steps", type=int, default=3, help="an untimed fit first")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--data", default="auto", help="auto, wnut17, builtin:NAME or a folder")
    p.add_argument("--backbone", default="minilm-l6")
    p.add_argument("--top", type=int, default=15, help="ops in the table")
    p.add_argument(
        "--set", action="append", default=[], help="a TrainConfig field, e.g. batching=tokens"
    )
    args = p.parse_args()
    model, windows, cfg, device, dtype, pad = setup(args)
    loop_module.collate = profiled_collate(loop_module.collate)
    torch.nn.utils.clip_grad_norm_ = profiled_clip(torch.nn.utils.clip_grad_norm_)
    if args.warmup_steps:
        warm = cfg.model_copy(update={"max_steps": args.warmup_steps})
        engine_fit(model, windows, cfg=warm, device=device, dtype=dtype, pad_id=pad)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        started = time.perf_counter()
        res = engine_fit(model, windows, cfg=cfg, device=device, dtype=dtype, pad_id=pad)
        wall_us = (time.perf_counter() - started) * 1e6
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.top))
    print(
        f"{res['steps']} steps, {res['tokens']} real tokens, {wall_us / 1e6:.2f} s profiled "
        f"(profiler overhead included), loss {res['last_loss']:.3f}"
    )
    for part, share in shares(prof.events(), wall_us).items():
        print(f"{part:<10} {100 * share:5.1f}%")


if __name__ == "__main__":
    main()
