"""Online EWC: penalise moving the weights that mattered for earlier tasks.

After each task the diagonal Fisher F is estimated from squared log-likelihood gradients on that
task's training batches and folded into a running one (F <- gamma * F + F_task); the weights
then become the anchor theta*. The penalty is lambda / 2 * sum F (theta - theta*)^2. A grown head is
penalised on its old rows only (the new rows have no anchor yet).
"""

from __future__ import annotations

from typing import Any

import torch

from engine.data.alignment import IGNORE
from engine.data.batching import sorted_batches
from engine.strategies.continual.methods import EwcConfig
from engine.strategies.continual.plugin import ContinualPlugin, TaskState
from engine.training.predict import autocast_for
from engine.training.tensors import collate


def _overlap(param: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
    """The part of `param` an anchor of (possibly smaller) shape covers."""
    return param[tuple(slice(0, n) for n in anchor.shape)]


def ewc_penalty(
    model: Any, fisher: dict[str, torch.Tensor], anchor: dict[str, torch.Tensor]
) -> torch.Tensor:
    """sum over anchored weights of F * (theta - theta*)^2 (without the lambda / 2)."""
    total = None
    for name, p in model.named_parameters():
        if name in anchor:
            term = (fisher[name] * (_overlap(p, anchor[name]) - anchor[name]) ** 2).sum()
            total = term if total is None else total + term
    return total if total is not None else torch.zeros(())


def diagonal_fisher(state: TaskState, max_batches: int) -> dict[str, torch.Tensor]:
    """Diagonal Fisher per labelled token: squared log-likelihood gradients of the task's training
    batches, with labels sampled from the model (the empirical Fisher, with gold labels, vanishes
    on data the model already fits)."""
    model, windows = state.model, state.train_windows
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    fisher = {n: torch.zeros_like(p, dtype=torch.float32) for n, p in params.items()}
    batches = sorted_batches([w.length for w in windows], state.batch_size)[:max_batches]
    was_training = model.training
    model.eval()  # no dropout: the Fisher of the model as it will be used
    for ids in batches:
        tensors = collate([windows[i] for i in ids], state.pad_id)
        batch = {k: v.to(state.device) for k, v in tensors.items()}
        model.zero_grad(set_to_none=True)
        labels = batch.pop("labels")
        keep = labels != IGNORE
        with autocast_for(state.device, state.dtype):
            logits = model(**batch).logits[keep].float()
        sampled = torch.distributions.Categorical(logits=logits.detach()).sample()
        # sum / sqrt(n): the batch's squared gradient then estimates the per-token Fisher
        # (sampled-label gradients have mean zero, so a mean over n tokens shrinks it n times)
        loss = torch.nn.functional.cross_entropy(logits, sampled, reduction="sum")
        (loss / max(len(sampled), 1) ** 0.5).backward()
        for n, p in params.items():
            if p.grad is not None:
                fisher[n] += p.grad.detach().float() ** 2 / len(batches)
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    return fisher


class EwcPlugin(ContinualPlugin):
    def __init__(self, lam: float, gamma: float = 1.0, fisher_batches: int = 50):
        self.lam, self.gamma, self.fisher_batches = lam, gamma, fisher_batches
        self.fisher: dict[str, torch.Tensor] = {}
        self.anchor: dict[str, torch.Tensor] = {}

    def extra_loss(self, model: Any, batch: dict[str, torch.Tensor], outputs: Any):
        if not self.anchor or self.lam == 0:
            return None
        return self.lam / 2 * ewc_penalty(model, self.fisher, self.anchor)

    def after_task(self, state: TaskState) -> None:
        new = diagonal_fisher(state, self.fisher_batches)
        for name, f in new.items():
            old = self.fisher.get(name)
            if old is not None:
                f = f.clone()
                f[tuple(slice(0, n) for n in old.shape)] += self.gamma * old
            self.fisher[name] = f
        self.anchor = {
            n: p.detach().clone() for n, p in state.model.named_parameters() if n in self.fisher
        }


def plugins(config: EwcConfig, seed: int) -> list[ContinualPlugin]:
    return [EwcPlugin(config.lam, config.gamma, config.fisher_batches)]
