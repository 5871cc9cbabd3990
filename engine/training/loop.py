"""The one training loop for token classification (fine-tuning now; continual tasks reuse it).

AdamW, warmup + linear decay, gradient clipping, bf16/fp16 autocast where it pays, length-grouped
or token-budget batches with dynamic padding, an opt-in torch.compile of the forward, dev
evaluation each epoch or every N steps, early stopping on dev F1, best weights kept. The loss
stays on the device between log points: reading it (`float(loss)`) waits for the accelerator.
Methods that need more (EWC, distillation, mapping alignment) pass `hooks` whose `extra_loss`
is added to the task loss: plugins on one loop, not copies of it.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from tqdm.auto import tqdm

from engine.config import TrainConfig
from engine.data.alignment import Window
from engine.data.batching import length_grouped_batches, shuffled_batches
from engine.metrics.ner import NerReport
from engine.tracking.tracker import Tracker
from engine.training.compiled import TrainingForward
from engine.training.distributed import FitParallel, for_fit
from engine.training.optim import make_optimizer, make_scheduler, optimizer_step
from engine.training.predict import autocast_for
from engine.training.tensors import collate
from engine.training.token_batches import GROUP, SENTENCE_CAP, budget_for, token_budget_batches
from engine.training.train_state import restore_train_state, save_train_state


class LoopHook(Protocol):
    def extra_loss(
        self, model: Any, batch: dict[str, torch.Tensor], outputs: Any
    ) -> torch.Tensor | None: ...


@dataclass
class LoopResult:
    steps: int = 0
    train_tokens: int = 0
    train_seconds: float = 0.0
    best_f1: float = -1.0
    best_step: int = 0
    last_loss: float = math.nan  # read at log points, evaluations, epoch ends and the end
    stopped: bool = False  # cancelled through the tracker
    early_stopped: bool = False

    @property
    def tokens_per_s(self) -> float:
        return self.train_tokens / self.train_seconds if self.train_seconds > 0 else 0.0


def epoch_batches(windows: Sequence[Window], cfg: TrainConfig, epoch: int) -> list[list[int]]:
    seed = cfg.seed * 1000 + epoch
    if cfg.batching == "tokens":  # about batch_size x mean length padded tokens a step
        lengths = [w.length for w in windows]
        budget = budget_for(lengths, cfg.batch_size)
        cap, chunk = SENTENCE_CAP * cfg.batch_size, GROUP * cfg.batch_size
        return token_budget_batches(lengths, budget, seed, max_sentences=cap, chunk=chunk)
    if cfg.group_by_length:
        return length_grouped_batches([w.length for w in windows], cfg.batch_size, seed)
    return shuffled_batches(len(windows), cfg.batch_size, seed)


def total_steps(n_windows: int, cfg: TrainConfig) -> int:
    per_epoch = math.ceil(n_windows / cfg.batch_size)
    return cfg.max_steps if cfg.max_steps is not None else per_epoch * cfg.epochs


def planned_steps(windows: Sequence[Window], cfg: TrainConfig) -> int:
    """The steps `fit` will take (the schedule's length): token-budget epochs differ in their
    batch counts, so those are counted epoch by epoch."""
    if cfg.max_steps is not None or cfg.batching != "tokens":
        return total_steps(len(windows), cfg)
    return sum(len(epoch_batches(windows, cfg, epoch)) for epoch in range(cfg.epochs))


@dataclass
class Fit:
    """State of one call to `fit`; methods are the loop's steps."""

    model: Any
    cfg: TrainConfig
    device: torch.device
    dtype: torch.dtype
    pad_id: int
    tracker: Tracker
    evaluate_dev: Callable[[], NerReport] | None
    on_improve: Callable[[int, NerReport], None] | None
    hooks: Sequence[LoopHook]
    task: int | None
    step_offset: int

    def train_step(
        self, batch: dict[str, torch.Tensor], optimizer, scheduler, scaler
    ) -> torch.Tensor:
        """One optimizer step; the loss comes back as a device tensor (no host sync here)."""
        batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        try:
            return self.step_with(self.forward, batch, optimizer, scheduler, scaler)
        except Exception as err:  # a compile failure surfaces at the first call of a shape
            if not self.forward.active:
                raise
            self.forward.fall_back(f"{type(err).__name__}: {str(err).strip()[:300]}")
            return self.step_with(self.forward, batch, optimizer, scheduler, scaler)

    def step_with(
        self, forward: TrainingForward, batch: dict[str, torch.Tensor], optimizer, scheduler, scaler
    ) -> torch.Tensor:
        with autocast_for(self.device, self.dtype):
            outputs = forward(batch)  # the DDP wrapper in a data-parallel run
            loss = outputs.loss
            for hook in self.hooks:
                extra = hook.extra_loss(self.model, batch, outputs)
                if extra is not None:
                    loss = loss + extra
        weighted = self.par.weighted(loss)
        optimizer_step(weighted, self.model, optimizer, scheduler, scaler, self.cfg.grad_clip)
        return loss.detach()

    def loss_value(self, loss: torch.Tensor) -> float:
        """The step's loss as a number (waits for the device), over the whole global batch."""
        return self.par.global_loss(float(loss))

    def evaluate(self, res: LoopResult, step: int, stage: str) -> bool:
        """Evaluate on dev; keep the best weights; return True when patience ran out."""
        if self.evaluate_dev is None:
            return False
        report = self.evaluate_dev()
        self.tracker.log_evaluation("dev", stage, report, step=step, task=self.task)
        self.tracker.log_metric("dev_f1", report.f1, step, self.task)
        if report.f1 > res.best_f1:
            res.best_f1, res.best_step = report.f1, step
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self.evals_without_gain = 0
            if self.on_improve is not None:
                self.on_improve(step, report)
        else:
            self.evals_without_gain += 1
        return self.cfg.patience is not None and self.evals_without_gain >= self.cfg.patience

    best_state: dict[str, torch.Tensor] | None = None
    evals_without_gain: int = 0
    par: FitParallel | None = None  # this fit's share of a data-parallel group (distributed.py)
    forward: TrainingForward | None = None  # par.module, compiled when train.compile asks


def fit(
    model: Any,
    train_windows: Sequence[Window],
    *,
    cfg: TrainConfig,
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
    tracker: Tracker,
    evaluate_dev: Callable[[], NerReport] | None = None,
    on_improve: Callable[[int, NerReport], None] | None = None,
    hooks: Sequence[LoopHook] = (),
    task: int | None = None,
    step_offset: int = 0,
    progress: bool = True,
    state_dir: Path | None = None,
    resume_from: Path | None = None,
) -> LoopResult:
    """Train `model` in place on `train_windows`; on return it holds the best dev weights.

    `state_dir`: write a training state there at each epoch end (engine.training.train_state);
    `resume_from`: continue from such a state as if the run had never stopped.
    """
    if not train_windows:
        raise ValueError("no training data: the training split has no sentences")
    run = Fit(
        model,
        cfg,
        device,
        dtype,
        pad_id,
        tracker,
        evaluate_dev,
        on_improve,
        hooks,
        task,
        step_offset,
    )
    steps = planned_steps(train_windows, cfg)
    optimizer = make_optimizer(model, cfg.lr, cfg.head_lr, cfg.weight_decay)
    scheduler = make_scheduler(optimizer, steps, cfg.warmup_ratio)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    run.par = par = for_fit(model, device)
    run.forward = TrainingForward(par.module, enabled=cfg.compile, device=device)
    res = LoopResult()
    start_epoch = 0
    if resume_from is not None:
        start_epoch = restore_train_state(resume_from, run, res, optimizer, scheduler, scaler)
    bar = tqdm(
        total=steps,
        desc="train",
        unit="step",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    bar.update(res.steps)
    model.train()
    epoch, done = start_epoch, False
    while not done:
        batches = epoch_batches(train_windows, cfg, epoch)
        for b_idx, batch_ids in enumerate(batches):
            batch = collate([train_windows[i] for i in par.shard(batch_ids)], pad_id)
            if par.sync(batch, tracker.should_stop()):  # every rank stops at the same step
                res.stopped = done = True
                break
            end_of_epoch = b_idx == len(batches) - 1
            next_step = res.steps + 1
            due = (cfg.eval_every and next_step % cfg.eval_every == 0) or (
                cfg.eval_every is None and end_of_epoch
            )
            last = next_step >= steps
            logs = next_step % cfg.log_every == 0 or next_step == 1
            started = time.perf_counter()
            loss = run.train_step(batch, optimizer, scheduler, scaler)
            if logs or due or last or end_of_epoch:  # the one host sync: inside the timing
                res.last_loss = run.loss_value(loss)
            res.train_seconds += time.perf_counter() - started
            res.train_tokens += par.tokens
            res.steps = next_step
            step = step_offset + res.steps
            if logs:
                tracker.log_metric("train_loss", res.last_loss, step, task)
                tracker.log_metric("lr", scheduler.get_last_lr()[0], step, task)
                tracker.log_metric("tokens_per_s", res.tokens_per_s, step, task)
                bar.set_postfix(
                    loss=f"{res.last_loss:.3f}", tok_s=f"{res.tokens_per_s:.0f}", refresh=False
                )
            bar.update(1)
            if (due or last) and run.evaluate(
                res, step, f"step-{step}" if cfg.eval_every else f"epoch-{epoch + 1}"
            ):
                res.early_stopped = done = True
                break
            if last:
                done = True
                break
            if end_of_epoch and state_dir is not None:
                save_train_state(state_dir, run, res, optimizer, scheduler, scaler, epoch=epoch + 1)
        epoch += 1
    bar.close()
    if run.best_state is not None:
        model.load_state_dict(run.best_state)
    tracker.flush()
    return res
