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
   schedule (bench/finetune_throughput.trainer_fit: it counts the real tokens by wrapping the
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

    python3 bench/gpu_check.py              # on the GPU machine, from the repo root
    python3 bench/gpu_check.py --dry-run    # anywhere: CPU, a handful of steps
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WHEELS = REPO / "bench" / "wheels"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

# module the engine imports -> the distributions that provide it (with the ones it needs that
# the GPU image does not have); installed only when the module is missing.
CARRIED: dict[str, tuple[str, ...]] = {
    "pydantic": (
        "pydantic",
        "pydantic-core",
        "annotated-types",
        "typing-inspection",
        "typing-extensions",
    ),
    "seqeval": ("seqeval",),  # its numpy + scikit-learn are in the image
    "tqdm": ("tqdm",),  # a transformers dependency, so normally there already
    # engine.training.distributed imports engine.jobs.task_gate -> storage.db -> sqlalchemy and
    # (storage.schema) alembic at module level: the training loop cannot be imported without
    # them, though no database is opened. alembic's Mako needs MarkupSafe: in the image (jinja2).
    "sqlalchemy": ("sqlalchemy",),
    "alembic": ("alembic", "mako"),
}
# The image's own packages; the check says which is missing rather than failing on an import.
IMAGE = ("torch", "transformers", "accelerate", "safetensors", "numpy", "sklearn", "yaml")

BERT_BASE = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
    "vocab_size": 30522,
}


def deps_dir() -> Path:
    tag = f"py{sys.version_info.major}{sys.version_info.minor}-{platform.machine()}"
    return Path(tempfile.gettempdir()) / f"lab-gpu-check-deps-{tag}"


def missing_modules() -> list[str]:
    importlib.invalidate_caches()
    return [m for m in CARRIED if importlib.util.find_spec(m) is None]


def unpack_wheels(dists: list[str], target: Path) -> None:
    """No pip in the image: unpack the best-fitting wheel of each distribution (a wheel is a
    zip of what site-packages would hold)."""
    from packaging.tags import sys_tags
    from packaging.utils import canonicalize_name, parse_wheel_filename

    rank = {tag: i for i, tag in enumerate(sys_tags())}
    for dist in dists:
        best: tuple[int, Path] | None = None
        for wheel in WHEELS.glob("*.whl"):
            name, _, _, tags = parse_wheel_filename(wheel.name)
            if name != canonicalize_name(dist):
                continue
            fit = min((rank[t] for t in tags if t in rank), default=None)
            if fit is not None and (best is None or fit < best[0]):
                best = (fit, wheel)
        if best is None:
            raise RuntimeError(f"no wheel of {dist} in {WHEELS} fits this Python")
        with zipfile.ZipFile(best[1]) as archive:
            archive.extractall(target)


def bootstrap() -> dict[str, Any]:
    """Make the engine importable here: install what the image lacks from bench/wheels."""
    if sys.version_info < (3, 11):  # noqa: UP036  (the image's python3 is not ours to pick)
        raise SystemExit(f"the engine needs Python >= 3.11; this is {platform.python_version()}")
    absent = [m for m in IMAGE if importlib.util.find_spec(m) is None]
    if absent:
        raise SystemExit(f"this image lacks {', '.join(absent)}; gpu_check expects them installed")
    target = deps_dir()
    if target.is_dir():  # an earlier run on this machine installed them
        sys.path.insert(0, str(target))
    missing = missing_modules()
    info: dict[str, Any] = {"missing": missing, "installed": [], "target": None, "how": None}
    if not missing:
        return info
    if not WHEELS.is_dir() or not any(WHEELS.glob("*.whl")):
        raise SystemExit(
            f"{', '.join(missing)} missing and no wheels in {WHEELS}: run "
            "`bash bench/gpu_wheels.sh` where a package index is reachable and carry bench/wheels"
        )
    dists = sorted({d for m in missing for d in CARRIED[m]})
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if importlib.util.find_spec("pip") is not None:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
        cmd += ["--disable-pip-version-check", "--upgrade", "--find-links", str(WHEELS)]
        cmd += ["--target", str(target), *dists]
        subprocess.run(cmd, check=True)
        info["how"] = "pip --no-index --target"
    else:
        unpack_wheels(dists, target)
        info["how"] = "unpacked wheels"
    if str(target) not in sys.path:
        sys.path.insert(0, str(target))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(target), str(REPO), os.environ.get("PYTHONPATH")) if p
    )
    still = missing_modules()
    if still:
        raise SystemExit(f"installed from {WHEELS} but still cannot import {', '.join(still)}")
    info.update(
        installed=dists, target=str(target), seconds=round(time.perf_counter() - started, 1)
    )
    return info


# The GPU machine reaches no network: nothing may wait on the Hugging Face Hub.
for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
    os.environ.setdefault(var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
BOOT = bootstrap()  # before torch and the engine are imported

import torch  # noqa: I001  (only after bootstrap: it may put typing_extensions first on the path)

from engine.config import DataConfig, TrainConfig, parse_config
from engine.data.alignment import SpecialIds, encode_sentences
from engine.data.sources import load_splits
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.strategies.base import RunContext
from engine.training.distributed import run_strategy
from finetune_throughput import (
    DEVICE_MODULES,
    engine_attr,
    engine_fit,
    memory_tracker,
    scores,
    trainer_fit,
)

# engine.runner's own device and precision rules (engine/device.py, a root module that may move)
pick_device = engine_attr("pick_device", *DEVICE_MODULES)
pick_precision = engine_attr("pick_precision", *DEVICE_MODULES)
describe = engine_attr("describe", *DEVICE_MODULES)
# the run function of a strategy kind (loads its module): engine.strategies.registry, formerly
# engine.strategies
get_strategy = engine_attr("get_strategy", "engine.strategies.registry", "engine.strategies")

# Which of the carried modules the engine's import actually pulled in (the import surface).
BOOT["engine_imports"] = sorted(m for m in CARRIED if m in sys.modules)


def matmul_params(model: Any) -> int:
    """Parameters that take part in matrix multiplies: all but the embedding tables."""
    return sum(p.numel() for n, p in model.named_parameters() if ".embeddings." not in f".{n}")


def build_backbone(folder: Path, corpus: list, layers: int, seed: int) -> dict[str, Any]:
    """A bert-base-sized encoder from scratch, saved as a model folder every stage loads."""
    from transformers import BertConfig, BertModel

    tokenizer = load_tokenizer(resolve_backbone("tiny-corpus"), corpus=corpus)
    torch.manual_seed(seed)
    config = BertConfig(**(BERT_BASE | {"num_hidden_layers": layers}))
    config.vocab_size = max(config.vocab_size, len(tokenizer))
    model = BertModel(config, add_pooling_layer=False)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    total = sum(p.numel() for p in model.parameters())
    return {"parameters": total, "vocab": len(tokenizer), "layers": layers}


class Check:
    """Runs the stages, keeps one row each, and decides the exit status."""

    def __init__(self, args: argparse.Namespace, device: torch.device):
        self.args = args
        self.device = device
        self.cuda = device.type == "cuda"
        self.rows: list[dict[str, Any]] = []
        self.started = time.perf_counter()

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def peak_gib(self) -> float | None:
        return torch.cuda.max_memory_allocated() / 2**30 if self.cuda else None

    def stage(
        self, name: str, fn: Callable[[], dict[str, Any]], on_gpu: bool = True
    ) -> dict[str, Any]:
        """Run one stage; `on_gpu` stages must have allocated GPU memory on a CUDA machine."""
        row: dict[str, Any] = {"stage": name}
        if time.perf_counter() - self.started > self.args.budget_s:
            row["status"] = f"SKIPPED: past the {self.args.budget_s:.0f} s budget"
            self.rows.append(row)
            print(f"== {name}: {row['status']}", flush=True)
            return row
        print(f"== {name}", flush=True)
        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        began = time.perf_counter()
        try:
            row.update(fn())
            row["status"] = "ok"
        except Exception as err:  # one stage failing must not hide the others
            traceback.print_exc()
            row["status"] = f"FAILED: {type(err).__name__}: {str(err).strip()[:200]}"
        row["seconds"] = round(time.perf_counter() - began, 1)
        row["peak_gib"] = self.peak_gib()
        if on_gpu and self.cuda and row["status"] == "ok" and not row["peak_gib"]:
            row["status"] = "FAILED: nothing was allocated on the GPU"
        self.rows.append(row)
        print(f"   {json.dumps(row)}", flush=True)
        return row

    def rates(self, res: dict[str, Any], n_matmul: int) -> dict[str, Any]:
        tflops = 6 * n_matmul * res["tokens_per_s"] / 1e12
        return {
            "tokens_per_s": res["tokens_per_s"],
            "call_tokens_per_s": res["call_tokens_per_s"],
            "model_tflops": tflops,
            "mfu": tflops / self.args.peak_tflops if self.cuda else None,
        }

    @property
    def failed(self) -> bool:
        return any(row["status"] != "ok" for row in self.rows)


def require(ok: bool, message: str) -> None:
    if not ok:
        raise RuntimeError(message)


def finetune_stages(check: Check, args, folder: Path, splits, dtype: torch.dtype) -> None:
    device = check.device
    label2id = {lab: i for i, lab in enumerate(splits.labels)}
    backbone = resolve_backbone(str(folder))
    tokenizer = load_tokenizer(backbone)
    pad = SpecialIds.of(tokenizer).pad
    windows = encode_sentences(splits.train, tokenizer, label2id, 128)
    train = TrainConfig(
        device="auto",
        precision="bf16",
        batch_size=args.batch_size,
        max_steps=args.steps,
        lr=args.lr,
        warmup_ratio=0.1,
        weight_decay=0.0,
        seed=args.seed,
        save_checkpoint=False,
    )

    def fresh_model() -> Any:
        torch.manual_seed(args.seed)
        return load_token_classifier(backbone, splits.labels, vocab_size=len(tokenizer))

    def warm_up() -> dict[str, Any]:
        model = fresh_model().to(device)
        cfg = train.model_copy(update={"max_steps": args.warmup_steps})
        res = engine_fit(model, windows, cfg=cfg, device=device, dtype=dtype, pad_id=pad)
        return {"device": str(device), "precision": res["precision"], "steps": res["steps"]}

    def engine_stage() -> dict[str, Any]:
        model = fresh_model().to(device)
        res = engine_fit(
            model, windows, cfg=train, device=device, dtype=dtype, pad_id=pad, sync=check.sync
        )
        require(res["steps"] == args.steps, f"ran {res['steps']} steps, not {args.steps}")
        require(math.isfinite(res["last_loss"]), f"loss is {res['last_loss']}")
        where = next(model.parameters()).device
        require(where.type == device.type, f"the model ended on {where}, not {device}")
        return {
            "device": str(where),
            "precision": res["precision"],
            "steps": res["steps"],
            "loss": res["last_loss"],
            "matmul_params": matmul_params(model),
            **check.rates(res, matmul_params(model)),
            **scores(model, tokenizer, splits, device),
        }

    def trainer_stage() -> dict[str, Any]:
        model = fresh_model()
        features = [
            {
                "input_ids": list(w.input_ids),
                "attention_mask": [1] * w.length,
                "labels": list(w.labels),
            }
            for w in windows
        ]
        res = trainer_fit(
            model,
            tokenizer,
            features,
            steps=args.steps,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=args.seed,
            tuned=True,
            use_cpu=not check.cuda,
            output_dir=str(Path(tempfile.gettempdir()) / "lab-gpu-check-trainer"),
            sync=check.sync,
        )
        require(res["steps"] == args.steps, f"ran {res['steps']} steps, not {args.steps}")
        require(math.isfinite(res["last_loss"]), f"loss is {res['last_loss']}")
        where = next(model.parameters()).device
        require(where.type == device.type, f"the Trainer trained on {where}, not {device}")
        return {
            "device": str(where),
            "precision": res["precision"],
            "steps": res["steps"],
            "loss": res["last_loss"],
            **check.rates(res, matmul_params(model)),
            **scores(model, tokenizer, splits, device),
        }

    check.stage("warm-up (engine)", warm_up)
    check.stage("engine fine-tune", engine_stage)
    check.stage("tuned Trainer", trainer_stage)


def strategy_stage(
    check: Check, kind: str, raw: dict[str, Any], run_root: Path
) -> Callable[[], dict]:
    """One strategy run through a RunContext, as engine.runner.execute_run builds it (minus
    the database): the config's `train.device: auto` resolved by the engine."""

    def run() -> dict[str, Any]:
        cfg = parse_config(raw)
        device = pick_device(cfg.train.device)
        dtype = pick_precision(device, cfg.train.precision)
        require(device == check.device, f"train.device auto gave {device}, not {check.device}")
        folder = run_root / kind
        folder.mkdir(parents=True, exist_ok=True)
        ctx = RunContext(None, cfg, memory_tracker(), device, dtype, folder, progress=True)
        torch.manual_seed(cfg.train.seed)
        summary = run_strategy(get_strategy(kind), ctx)
        require(not summary.get("cancelled"), "the run was cancelled")
        require(summary.get("test_f1") is not None, f"no test F1 in the summary: {summary}")
        return {
            "device": str(device),
            "precision": str(dtype).removeprefix("torch."),
            "steps": summary.get("steps"),
            "test_f1": summary["test_f1"],
            "train_seconds": summary.get("train_seconds"),
        }

    return run


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
            common = {
                "backbone": str(folder),
                "mapping": {"enabled": False},
            }
            train = {
                "device": "auto",
                "precision": "bf16",
                "batch_size": min(args.batch_size, 32),
                "max_steps": args.task_steps,
                "lr": args.lr,
                "seed": args.seed,
                "save_checkpoint": False,
            }
            continual = common | {
                "name": "gpu-check-continual",
                "data": {"train": "builtin:news"},
                "strategy": {
                    "kind": "continual",
                    "method": "lwf",
                    "tasks": {
                        "by": "types",
                        "first_types": 1,
                        "types_per_task": 2,
                        "max_train_sentences": args.task_sentences,
                    },
                },
                "train": train,
            }
            meta = common | {
                "name": "gpu-check-meta",
                "data": {"train": "builtin:mixed"},
                "strategy": {
                    "kind": "meta",
                    "method": "protonet",
                    "n_way": 5,
                    "k_shot": 1,
                    "episodes": {"train": args.episodes[0], "test": args.episodes[1]},
                    "examples": 0,
                },
                "train": train | {"lr": 3e-5},
            }
            check.stage("continual (lwf)", strategy_stage(check, "continual", continual, run_root))
            check.stage("meta (protonet)", strategy_stage(check, "meta", meta, run_root))
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
