"""The masked-LM training loop: fresh masks every step, held-out perplexity at each evaluation.

Same optimiser, schedule, clipping and autocast as the token-classification loop
(engine.training), but the loss is computed only where a token was masked: the vocabulary
projection of a BERT-style model (30k outputs) then runs on ~15% of the positions instead of all,
which is most of a step's cost on a CPU. Held-out documents get one fixed set of masks (seeded),
so perplexities logged at different steps compare the same predictions.

    result = train_mlm(model, train_examples, heldout_examples, cfg=cfg.train, spec=spec, ...)
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from engine.config import TrainConfig
from engine.data.alignment import IGNORE
from engine.data.batching import sorted_batches
from engine.strategies.pretrain.masking import MaskSpec, MlmExample, collate_masked
from engine.tracking.tracker import Tracker
from engine.training.loop import epoch_batches, total_steps
from engine.training.optim import make_optimizer, make_scheduler, optimizer_step
from engine.training.predict import autocast_for

HELDOUT_SEED_OFFSET = 7919  # held-out masks differ from any training epoch's


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 50.0))


@dataclass
class MlmResult:
    steps: int = 0
    train_tokens: int = 0
    train_seconds: float = 0.0
    last_loss: float = math.nan
    initial_heldout_loss: float | None = None
    heldout_loss: float | None = None
    stopped: bool = False

    @property
    def tokens_per_s(self) -> float:
        return self.train_tokens / self.train_seconds if self.train_seconds > 0 else 0.0


def masked_lm_loss(model: Any, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
    """(mean cross-entropy over masked positions, how many there were)."""
    labels = batch["labels"]
    keep = labels != IGNORE
    head = getattr(model, "cls", None)
    if head is None:
        head = getattr(model, "lm_head", None)
    if head is None:  # not BERT/RoBERTa-shaped: let the model compute its own loss
        return model(**batch).loss, int(keep.sum())
    hidden = model.base_model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    logits = head(hidden[keep])
    return F.cross_entropy(logits.float(), labels[keep]), int(keep.sum())


def fixed_batches(
    examples: Sequence[MlmExample], spec: MaskSpec, pad_id: int, batch_size: int, seed: int
) -> list[dict[str, torch.Tensor]]:
    rng = random.Random(seed + HELDOUT_SEED_OFFSET)
    return [
        collate_masked([examples[i] for i in ids], rng, spec, pad_id)
        for ids in sorted_batches([e.length for e in examples], batch_size)
    ]


@torch.inference_mode()
def heldout_loss(
    model: Any, batches: Sequence[dict[str, torch.Tensor]], device: torch.device, dtype
) -> float | None:
    """Mean loss per masked token over the fixed held-out batches (None without any)."""
    if not batches:
        return None
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for batch in batches:
        on_device = {k: v.to(device) for k, v in batch.items()}
        with autocast_for(device, dtype):
            loss, n = masked_lm_loss(model, on_device)
        total += float(loss) * n
        count += n
    model.train(was_training)
    return total / max(count, 1)


@dataclass
class MlmTrainer:
    model: Any
    cfg: TrainConfig
    spec: MaskSpec
    device: torch.device
    dtype: torch.dtype
    pad_id: int
    tracker: Tracker
    heldout: list[dict[str, torch.Tensor]]

    def evaluate(self, step: int) -> float | None:
        loss = heldout_loss(self.model, self.heldout, self.device, self.dtype)
        if loss is not None:
            self.tracker.log_metric("heldout_loss", loss, step)
            self.tracker.log_metric("heldout_perplexity", perplexity(loss), step)
        return loss

    def step(self, batch: dict[str, torch.Tensor], optimizer, scheduler, scaler) -> float:
        batch = {k: v.to(self.device) for k, v in batch.items()}
        with autocast_for(self.device, self.dtype):
            loss, _ = masked_lm_loss(self.model, batch)
        optimizer_step(loss, self.model, optimizer, scheduler, scaler, self.cfg.grad_clip)
        return float(loss.detach())


def train_mlm(
    model: Any,
    train: Sequence[MlmExample],
    heldout: Sequence[MlmExample],
    *,
    cfg: TrainConfig,
    spec: MaskSpec,
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
    tracker: Tracker,
    progress: bool = True,
) -> MlmResult:
    """Train `model` in place; held-out loss before training and at each evaluation."""
    if not train:
        raise ValueError("no training text: the corpus gave no examples")
    fixed = fixed_batches(heldout, spec, pad_id, cfg.batch_size, cfg.seed)
    run = MlmTrainer(model, cfg, spec, device, dtype, pad_id, tracker, fixed)
    steps = total_steps(len(train), cfg)
    optimizer = make_optimizer(model, cfg.lr, cfg.head_lr, cfg.weight_decay)
    scheduler = make_scheduler(optimizer, steps, cfg.warmup_ratio)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    res = MlmResult()
    res.initial_heldout_loss = res.heldout_loss = run.evaluate(0)
    rng = random.Random(cfg.seed)
    bar = tqdm(total=steps, desc="mlm", unit="step", disable=not progress, file=sys.stderr)
    model.train()
    epoch = 0
    while res.steps < steps and not res.stopped:
        batches = epoch_batches(train, cfg, epoch)  # type: ignore[arg-type]  # needs .length
        for b_idx, ids in enumerate(batches):
            if tracker.should_stop():
                res.stopped = True
                break
            batch = collate_masked([train[i] for i in ids], rng, spec, pad_id)
            started = time.perf_counter()
            loss = run.step(batch, optimizer, scheduler, scaler)
            res.train_seconds += time.perf_counter() - started
            res.train_tokens += int(batch["attention_mask"].sum())
            res.steps += 1
            res.last_loss = loss
            if res.steps % cfg.log_every == 0 or res.steps == 1:
                tracker.log_metric("train_loss", loss, res.steps)
                tracker.log_metric("lr", scheduler.get_last_lr()[0], res.steps)
                tracker.log_metric("tokens_per_s", res.tokens_per_s, res.steps)
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
            end_of_epoch = b_idx == len(batches) - 1
            due = (cfg.eval_every and res.steps % cfg.eval_every == 0) or (
                cfg.eval_every is None and end_of_epoch
            )
            if due or res.steps >= steps:
                res.heldout_loss = run.evaluate(res.steps)
            if res.steps >= steps:
                break
        epoch += 1
    bar.close()
    tracker.flush()
    return res
