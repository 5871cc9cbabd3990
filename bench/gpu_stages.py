"""GPU check, the stages: a bert-base-sized backbone from scratch, the engine's fine-tune, the
tuned Trainer's, and a continual and a meta run through their strategies (bench/gpu_check.py
runs them; import this only after gpu_bootstrap.bootstrap()).

    check = Check(args, device); finetune_stages(check, args, folder, splits, dtype)
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from training_sides import (
    DEVICE_MODULES,
    engine_attr,
    engine_fit,
    memory_tracker,
    scores,
    trainer_fit,
)

from engine.config import TrainConfig, parse_config
from engine.data.alignment import SpecialIds, encode_sentences
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.strategies.base import RunContext
from engine.training.distributed import run_strategy

# engine.runner's own device and precision rules (engine/device.py, a root module that may move)
pick_device = engine_attr("pick_device", *DEVICE_MODULES)
pick_precision = engine_attr("pick_precision", *DEVICE_MODULES)
describe = engine_attr("describe", *DEVICE_MODULES)
# the run function of a strategy kind (loads its module): engine.strategies.registry, formerly
# engine.strategies
get_strategy = engine_attr("get_strategy", "engine.strategies.registry", "engine.strategies")

BERT_BASE = {
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
    "vocab_size": 30522,
}


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

    def checked(res: dict[str, Any], model: Any, who: str) -> dict[str, Any]:
        """The stage's row, once the run took every step, ended finite and on the device."""
        require(res["steps"] == args.steps, f"ran {res['steps']} steps, not {args.steps}")
        require(math.isfinite(res["last_loss"]), f"loss is {res['last_loss']}")
        where = next(model.parameters()).device
        require(where.type == device.type, f"{who} trained on {where}, not {device}")
        return {
            "device": str(where),
            "precision": res["precision"],
            "steps": res["steps"],
            "loss": res["last_loss"],
            "matmul_params": matmul_params(model),
            **check.rates(res, matmul_params(model)),
            **scores(model, tokenizer, splits, device),
        }

    def engine_stage() -> dict[str, Any]:
        model = fresh_model().to(device)
        res = engine_fit(
            model, windows, cfg=train, device=device, dtype=dtype, pad_id=pad, sync=check.sync
        )
        return checked(res, model, "the engine")

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
        return checked(res, model, "the Trainer")

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


def strategy_configs(args: argparse.Namespace, folder: Path) -> dict[str, dict[str, Any]]:
    """The continual run (LwF, class-incremental on builtin:news) and the meta run (ProtoNet,
    5-way 1-shot on builtin:mixed), a few steps each, on the check's backbone."""
    common = {"backbone": str(folder), "mapping": {"enabled": False}}
    train = {
        "device": "auto",
        "precision": "bf16",
        "batch_size": min(args.batch_size, 32),
        "max_steps": args.task_steps,
        "lr": args.lr,
        "seed": args.seed,
        "save_checkpoint": False,
    }
    tasks = {
        "by": "types",
        "first_types": 1,
        "types_per_task": 2,
        "max_train_sentences": args.task_sentences,
    }
    continual = common | {
        "name": "gpu-check-continual",
        "data": {"train": "builtin:news"},
        "strategy": {"kind": "continual", "method": "lwf", "tasks": tasks},
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
    return {"continual (lwf)": continual, "meta (protonet)": meta}


def strategy_stages(check: Check, args: argparse.Namespace, folder: Path, run_root: Path) -> None:
    for name, raw in strategy_configs(args, folder).items():
        kind = raw["strategy"]["kind"]
        check.stage(name, strategy_stage(check, kind, raw, run_root))
