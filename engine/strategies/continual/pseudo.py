"""Pseudo-labels (the idea CFNER, RDP and CPFD share): the previous model labels old types in
the new task's data.

In task t an old type's mentions in the new data are annotated O (background shift), so plain
fine-tuning teaches the model that they are O. Here a frozen copy of the model from before the
task reads each batch too; where a token's label is O and that old model predicts an old
entity label with probability >= its threshold, the token is trained towards that label
instead of O. Tokens of the new types keep their labels. `pseudo_lwf` also distils the old
model's soft labels (LwF, lwf.py) on the O tokens it was not sure of.

The threshold is `threshold` for every label (rule `fixed`), or each old label's own
(`class_median`, RDP's class-wise rule): before the task the old model reads the task's
training data once, and a label's threshold is the median confidence of the O words it gives
that label, capped at `threshold`. A weak old model is rarely 0.9 sure of anything (on WNUT-17
at a short budget no word ever was, and pseudo_label trained exactly as naive), while the
median keeps the surer half of what it recognises. Either way the run log says, each task, how
many of the task's O words the rule relabels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engine.data.alignment import IGNORE, Window
from engine.strategies.continual.lwf import O_ID, distillation_loss
from engine.strategies.continual.methods import PseudoLabelConfig, PseudoLwfConfig, ThresholdRule
from engine.strategies.continual.plugin import ContinualPlugin, TaskState, frozen_copy
from engine.training.predict import predict_positions


def relabel_mask(
    labels: torch.Tensor,
    guess: torch.Tensor,
    confidence: torch.Tensor,
    threshold: float | torch.Tensor,
) -> torch.Tensor:
    """The O tokens the old model guesses as an entity label at least as surely as its
    threshold (one number, or one per label id)."""
    if isinstance(threshold, torch.Tensor):
        threshold = threshold.to(confidence.device, confidence.dtype)[guess]
    return (labels == O_ID) & (guess != O_ID) & (confidence >= threshold)


def pseudo_targets(
    labels: torch.Tensor, old_logits: torch.Tensor, threshold: float | torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(the old model's label per token, mask of the O tokens it relabels: relabel_mask)."""
    confidence, guess = F.softmax(old_logits.float(), dim=-1).max(dim=-1)
    return guess, relabel_mask(labels, guess, confidence, threshold)


def class_medians(
    gold: np.ndarray, guess: np.ndarray, confidence: np.ndarray, n_labels: int, cap: float
) -> torch.Tensor:
    """Per label id: the median confidence of the gold-O words guessed as it, at most `cap`
    (`cap` for a label never guessed on an O word). Float64, so an uncapped label's threshold
    is `cap` exactly; relabel_mask compares at the confidences' precision."""
    thresholds = torch.full((n_labels,), cap, dtype=torch.float64)
    background = gold == O_ID
    for label in np.unique(guess[background & (guess != O_ID)]):
        scores = confidence[background & (guess == label)]
        thresholds[int(label)] = min(cap, float(np.median(scores)))
    return thresholds


def relabel_count(
    gold: np.ndarray, guess: np.ndarray, confidence: np.ndarray, thresholds: float | torch.Tensor
) -> int:
    """How many words relabel_mask relabels (arrays of one task's labelled words)."""
    tensors = (torch.from_numpy(gold), torch.from_numpy(guess), torch.from_numpy(confidence))
    return int(relabel_mask(*tensors, thresholds).sum())


class PseudoLabelPlugin(ContinualPlugin):
    """`temperature` set: also distil (LwF) on the O tokens that were not relabelled."""

    def __init__(
        self,
        threshold: float = 0.9,
        temperature: float | None = None,
        weight=1.0,
        rule: ThresholdRule = "class_median",
    ):
        self.threshold, self.temperature, self.weight = threshold, temperature, weight
        self.rule = rule
        self.thresholds: float | torch.Tensor = threshold  # per label id under class_median
        self.teacher: Any = None
        self.relabelled = 0  # O tokens trained towards an old type in the current task

    def before_task(self, state: TaskState) -> None:
        self.relabelled, self.thresholds, self.note, self.facts = 0, self.threshold, None, None
        if self.teacher is None:
            return
        windows = state.encode(list(state.task.train))
        if not windows:
            return
        gold, guess, confidence = self._read(state, windows)
        if self.rule == "class_median":
            n_labels = int(self.teacher.config.num_labels)
            self.thresholds = class_medians(gold, guess, confidence, n_labels, self.threshold)
        count = relabel_count(gold, guess, confidence, self.thresholds)
        lowered = self._lowered(state.labels)
        background = int((gold == O_ID).sum())
        self.facts = {"rule": self.rule, "threshold": self.threshold, "o_words": background,
                      "relabelled": count, "thresholds": lowered}  # fmt: skip
        self.note = f"pseudo-labels: {count:,} of {background:,} O words take an old type"
        if self.rule == "class_median":
            listed = ", ".join(f"{k} {v:.2f}" for k, v in lowered.items()) or "none below"
            self.note += f" (class-median thresholds: {listed})"
        else:
            self.note += f" (threshold {self.threshold:g})"

    def _read(self, state: TaskState, windows: list[Window]):
        """(gold label, old model's label, its probability) at every labelled word."""
        guess, confidence, _ = predict_positions(
            self.teacher, windows, state.device, state.dtype, state.pad_id, with_scores=True
        )
        gold = np.fromiter((x for w in windows for x in w.labels if x != IGNORE), np.int64)
        assert confidence is not None
        return gold, guess, confidence

    def _lowered(self, labels: list[str]) -> dict[str, float]:
        """The labels whose class-median threshold is below `threshold`, with it."""
        if not isinstance(self.thresholds, torch.Tensor):
            return {}
        return {
            labels[i]: round(v, 4)
            for i, v in enumerate(self.thresholds.tolist())
            if i != O_ID and v < self.threshold
        }

    def extra_loss(self, model: Any, batch: dict[str, torch.Tensor], outputs: Any):
        labels = batch["labels"]
        background = labels == O_ID
        if self.teacher is None or not background.any():
            return None
        with torch.no_grad():
            old = self.teacher(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).logits
        guess, relabel = pseudo_targets(labels, old, self.thresholds)
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
    rule = config.threshold_rule
    if isinstance(config, PseudoLwfConfig):
        return [PseudoLabelPlugin(config.threshold, config.temperature, config.weight, rule)]
    return [PseudoLabelPlugin(config.threshold, rule=rule)]
