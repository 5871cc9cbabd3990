"""Pseudo-labels (the idea CFNER, RDP and CPFD share): the previous model labels old types in
the new task's data.

In task t an old type's mentions in the new data are annotated O (background shift), so plain
fine-tuning teaches the model that they are O. Here a frozen copy of the model from before the
task reads each batch too; where a token's label is O and that old model predicts an old
entity label with probability >= `threshold`, the token is trained towards that label instead
of O. Tokens of the new types keep their labels. `pseudo_lwf` also distils the old model's soft
labels (LwF, lwf.py) on the O tokens it was not sure of.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from engine.data.alignment import IGNORE
from engine.strategies.continual.lwf import O_ID, distillation_loss
from engine.strategies.continual.methods import PseudoLabelConfig, PseudoLwfConfig
from engine.strategies.continual.plugin import ContinualPlugin, TaskState, frozen_copy


def pseudo_targets(
    labels: torch.Tensor, old_logits: torch.Tensor, threshold: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(the old model's label per token, mask of the O tokens it relabels: an entity label
    predicted with probability >= threshold)."""
    confidence, guess = F.softmax(old_logits.float(), dim=-1).max(dim=-1)
    relabel = (labels == O_ID) & (guess != O_ID) & (confidence >= threshold)
    return guess, relabel


class PseudoLabelPlugin(ContinualPlugin):
    """`temperature` set: also distil (LwF) on the O tokens that were not relabelled."""

    def __init__(self, threshold: float = 0.9, temperature: float | None = None, weight=1.0):
        self.threshold, self.temperature, self.weight = threshold, temperature, weight
        self.teacher: Any = None
        self.relabelled = 0  # O tokens trained towards an old type in the current task

    def before_task(self, state: TaskState) -> None:
        self.relabelled = 0

    def extra_loss(self, model: Any, batch: dict[str, torch.Tensor], outputs: Any):
        labels = batch["labels"]
        background = labels == O_ID
        if self.teacher is None or not background.any():
            return None
        with torch.no_grad():
            old = self.teacher(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).logits
        guess, relabel = pseudo_targets(labels, old, self.threshold)
        logits = outputs.logits
        n = (labels != IGNORE).sum()  # the loop's cross-entropy is a mean over these tokens
        total = logits.sum() * 0.0
        if relabel.any():
            picked = logits[relabel].float()
            # the loop's loss has O as these tokens' target: swap it for the old model's label
            swapped = F.cross_entropy(picked, guess[relabel], reduction="sum")
            total = total + swapped - F.cross_entropy(picked, labels[relabel], reduction="sum")
            self.relabelled += int(relabel.sum())
        rest = background & ~relabel
        if self.temperature is not None and rest.any():
            soft = distillation_loss(logits, old, rest, self.temperature) * rest.sum()
            hard = F.cross_entropy(logits[rest].float(), labels[rest], reduction="sum")
            total = total + self.weight * soft - hard
        return total / n

    def after_task(self, state: TaskState) -> None:
        self.teacher = frozen_copy(state.model)


def plugins(config: PseudoLabelConfig | PseudoLwfConfig, seed: int) -> list[ContinualPlugin]:
    if isinstance(config, PseudoLwfConfig):
        return [PseudoLabelPlugin(config.threshold, config.temperature, config.weight)]
    return [PseudoLabelPlugin(config.threshold)]
