"""GPU check: the engine's CUDA path in one short run, on a GPU machine as it comes.

Stages, each timed, each a row of the table at the end (exit status 1 if any fails):
1. set-up: what the image lacks (pydantic, seqeval, SQLAlchemy, alembic; tqdm if absent) is
   installed from the wheels carried in bench/wheels (`bash bench/gpu_wheels.sh` fetches them)
   into a folder under the temp dir with `pip install --no-index --no-deps --target` (or by
   unpacking the wheels where the image has no pip), put first on sys.path before torch is
   imported; `train.device: auto` is resolved by the engine's own rule (pick_device) and must
   give `cuda` (`--dry-run`: whatever the machine has, the CPU here); a bert-base-sized encoder
   (12 x 768, 12 heads, FFN 3072, vocabulary 30522; the dry run keeps 2 of the layers unless
   --layers 12) is initialised from scratch, with a WordPiece vocabulary built from the
   training data, and saved to a temp folder that every stage loads as its backbone: no
   weights are downloaded.
2. engine fine-tune: engine.training.loop.fit, bf16 autocast, length-grouped batches, after a
   short warm-up fit (CUDA context, cuBLAS handles, allocator); real (non-pad) tokens/s, model
   FLOP utilisation, peak GPU memory, dev/test F1.
3. tuned Trainer: transformers.Trainer with bf16=True and
   train_sampling_strategy="group_by_length" on the same windows, model, batch, steps and
   schedule (bench/training_sides.trainer_fit: it counts the real tokens by wrapping the
   data collator).
4. continual: the `continual` strategy (LwF, three class-incremental tasks on builtin:news), a
   few steps per task, through a RunContext as engine.runner builds one (minus the database).
5. meta: the `meta` strategy (ProtoNet, 5-way 1-shot on builtin:mixed), a few episodes.

Model FLOP utilisation (MFU) = 6 * N * real tokens/s / peak, N = the parameters that take part in
matrix multiplies (all but the embedding tables: a lookup costs no FLOPs), 6 = 2 (multiply-add)
x 3 (the forward matmul and the two of the backward pass). Attention's own score/value FLOPs
(12 * layers * hidden * sequence length per token, small for ~20-token sentences) and padded
positions are left out, so this is the useful-work figure; peak: `--peak-tflops`, default 790
(the H200's bf16 figure the issue uses).

Modules: gpu_bootstrap.py (stage 1's installs, before torch is imported), gpu_stages.py (the
stages), training_sides.py (the engine and Trainer runs, shared with finetune_throughput.py).

    python3 bench/gpu_check.py              # on the GPU machine, from the repo root
    python3 bench/gpu_check.py --dry-run    # anywhere: CPU, a handful of steps
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from gpu_bootstrap import CARRIED, bootstrap  # noqa: I001  (standard library only)

# The GPU machine reaches no network: nothing may wait on the Hugging Face Hub.
for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
    os.environ.setdefault(var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
BOOT = bootstrap()  # before torch and the engine are imported

import torch  # noqa: I001  (only after bootstrap: it may put typing_extensions first on the path)
from gpu_stages import (
    Check,
    build_backbone,
    describe,
    finetune_stages,
    pick_device,
    pick_precision,
    strategy_stages,
)

from engine.config import DataConfig, TrainConfig
from engine.data.sources import load_splits

# Which of the carried modules the engine's import actually pulled in (the import surface).
BOOT["engine_imports"] = sorted(m for m in CARRIED if m in sys.modules)


def table(rows: list[dict[str, Any]], peak_tflops: float) -> str:
    def num(value: Any, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    lines = [
        f"{'stage':<18} {'device':<7} {'prec':<8} {'steps':>5} {'tok/s':>7} {'call':>7} "
        f"{'TFLOP/s':>7} {'MFU':>6} {'peak GiB':>8} {'dev F1':>6} {'test F1':>7} {'s':>6}  status"
    ]
    for r in rows:
        mfu = r.get("mfu")
        lines.append(
            f"{r['stage']:<18} {str(r.get('device', '-')):<7} {str(r.get('precision', '-')):<8} "
            f"{num(r.get('steps'), 'd'):>5} {num(r.get('tokens_per_s'), '.0f'):>7} "
            f"{num(r.get('call_tokens_per_s'), '.0f'):>7} {num(r.get('model_tflops'), '.2f'):>7} "
            f"{'-' if mfu is None else f'{100 * mfu:.1f}%':>6} "
            f"{num(r.get('peak_gib'), '.2f'):>8} {num(r.get('dev_f1'), '.3f'):>6} "
            f"{num(r.get('test_f1'), '.3f'):>7} {num(r.get('seconds'), '.1f'):>6}  {r['status']}"
        )
    lines.append(
        "tok/s: real (non-pad) training tokens per second inside the optimizer steps; call: over "
        "the whole fit() / trainer.train()"
    )
    lines.append(
        f"MFU = 6 x matmul parameters x real tokens/s / {peak_tflops:.0f} TFLOP/s (bf16 peak)"
    )
    by_stage = {r["stage"]: r for r in rows}
    ours, theirs = by_stage.get("engine fine-tune", {}), by_stage.get("tuned Trainer", {})
    if ours.get("tokens_per_s") and theirs.get("tokens_per_s"):
        lines.append(
            f"engine / tuned Trainer: {ours['tokens_per_s'] / theirs['tokens_per_s']:.2f}x "
            f"(steps), {ours['call_tokens_per_s'] / theirs['call_tokens_per_s']:.2f}x (call)"
        )
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dry-run", action="store_true", help="CPU is fine; a handful of steps")
    p.add_argument("--steps", type=int, default=None, help="fine-tune steps (300; dry run 3)")
    p.add_argument("--batch-size", type=int, default=None, help="sentences a step (64; dry 32)")
    p.add_argument("--warmup-steps", type=int, default=None, help="untimed first fit (10; dry 1)")
    p.add_argument(
        "--layers", type=int, default=None, help="encoder layers (bert-base: 12; dry run 2)"
    )
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--data", default="builtin:mixed", help="fine-tune data (a builtin or file)")
    p.add_argument("--peak-tflops", type=float, default=790.0, help="the GPU's bf16 peak")
    p.add_argument("--budget-s", type=float, default=480.0, help="skip stages past this")
    p.add_argument("--json", type=Path, default=None, help="write the rows here ($OUT too)")
    args = p.parse_args()
    dry = args.dry_run
    args.steps = args.steps or (3 if dry else 300)
    args.batch_size = args.batch_size or (32 if dry else 64)
    args.warmup_steps = args.warmup_steps or (1 if dry else 10)
    # bert-base width either way; the dry run keeps 2 of its 12 layers so a busy 2-core CPU gets
    # through every stage in a minute or two (--layers 12 for the full size there too)
    args.layers = args.layers or (2 if dry else 12)
    args.task_steps = 2 if dry else 20  # continual: steps per task
    args.task_sentences = 32 if dry else 256
    args.episodes = (2, 2) if dry else (20, 10)  # meta: train, test
    if args.json is None and os.environ.get("OUT"):
        args.json = Path(os.environ["OUT"]) / "gpu_check.json"
    return args


def main() -> int:
    args = parse_args()
    import transformers

    device = pick_device(TrainConfig(device="auto").device)  # the engine's own resolution
    dtype = pick_precision(device, "bf16")
    auto_dtype = pick_precision(device, "auto")
    print(
        f"python {platform.python_version()}, torch {torch.__version__} "
        f"(cuda {torch.version.cuda}), transformers {transformers.__version__}; "
        f"train.device auto -> {describe(device)}; precision bf16 -> {dtype} "
        f"(auto would pick {auto_dtype}); installed from bench/wheels: "
        f"{', '.join(BOOT['installed']) or 'nothing'}; the engine imported "
        f"{', '.join(BOOT['engine_imports'])}",
        flush=True,
    )
    check = Check(args, device)
    if not args.dry_run and device.type != "cuda":
        check.rows.append(
            {"stage": "device", "device": str(device), "status": "FAILED: no CUDA (--dry-run?)"}
        )
    else:
        run_root = Path(tempfile.mkdtemp(prefix="lab-gpu-check-"))
        splits = load_splits(DataConfig(train=args.data), seed=args.seed)
        folder = run_root / "bert-base-scratch"
        built = check.stage(
            "build backbone",
            lambda: build_backbone(
                folder, [s.tokens for s in splits.train], args.layers, args.seed
            ),
            on_gpu=False,  # built on the CPU, loaded onto the device by each stage
        )
        if built["status"] == "ok":
            finetune_stages(check, args, folder, splits, dtype)
            strategy_stages(check, args, folder, run_root)
    total = time.perf_counter() - check.started
    print()
    print(table(check.rows, args.peak_tflops))
    verdict = "FAILED" if check.failed else "passed"
    mode = "dry run" if args.dry_run else "GPU run"
    print(f"gpu_check {verdict} ({mode} on {describe(device)}, {total:.0f} s)")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "passed": not check.failed,
            "dry_run": args.dry_run,
            "device": describe(device),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "transformers": transformers.__version__,
            "bootstrap": BOOT,
            "steps": args.steps,
            "batch_size": args.batch_size,
            "seconds": round(total, 1),
            "rows": check.rows,
        }
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
