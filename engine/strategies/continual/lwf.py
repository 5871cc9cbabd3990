"""Learning without forgetting, the ExtendNER way: the previous model teaches the old types.

In task t an old entity is annotated O (background shift). So on O-labelled tokens the hard O
target is swapped for the previous model's soft labels (temperature T, its old labels, zero
probability for the new ones); tokens of the new types keep their hard labels.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from engine.data.alignment import IGNORE
from engine.strategies.continual.methods import LwfConfig
from engine.strategies.continual.plugin import ContinualPlugin, TaskState, frozen_copy

O_ID = 0  # label lists start with "O" (engine.data.labels.label_list)


def distillation_loss(
    new_logits: torch.Tensor, old_logits: torch.Tensor, mask: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Mean over `mask`ed tokens of T^2 * KL(teacher || student) at temperature T.

    The teacher's distribution covers its K_old labels and gives the new labels (the extra
    columns of `new_logits`) zero probability; zero when the student matches the teacher.
    """
    if not mask.any():
        return new_logits.sum() * 0.0
    k_old = old_logits.shape[-1]
    teacher = F.softmax(old_logits[mask].float() / temperature, dim=-1)
    student = F.log_softmax(new_logits[mask].float() / temperature, dim=-1)[:, :k_old]
    kl = (teacher * (torch.log(teacher.clamp_min(1e-12)) - student)).sum(-1)
    return kl.mean() * temperature**2


class LwfPlugin(ContinualPlugin):
    def __init__(self, temperature: float = 2.0, weight: float = 1.0):
        self.temperature, self.weight = temperature, weight
        self.teacher: Any = None

    def extra_loss(self, model: Any, batch: dict[str, torch.Tensor], outputs: Any):
        if self.teacher is None:
            return None
        labels = batch["labels"]
        background = labels == O_ID
        if not background.any():
            return None
        with torch.no_grad():
            old = self.teacher(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).logits
        logits = outputs.logits
        n = (labels != IGNORE).sum()  # the loop's cross-entropy is a mean over these tokens
        soft = distillation_loss(logits, old, background, self.temperature) * background.sum()
        hard = F.cross_entropy(logits[background].float(), labels[background], reduction="sum")
        # loop loss + this = (CE on entity tokens + weight * KD on O tokens) / n
        return (self.weight * soft - hard) / n

    def after_task(self, state: TaskState) -> None:
        self.teacher = frozen_copy(state.model)


def plugins(config: LwfConfig, seed: int) -> list[ContinualPlugin]:
    return [LwfPlugin(config.temperature, config.weight)]
