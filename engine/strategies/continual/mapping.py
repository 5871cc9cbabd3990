"""Mapping alignment: keep the new mapping f'(x) close to the old one f(x) while learning a task.

The model is a mapping from tokens to a representation space; forgetting is what happens to old
inputs when it moves. This plugin pins it: on every training batch (the current task's inputs,
and the replayed memory when the method also replays) it adds lambda * distance(f'(x), f(x))
between the encoder's token representations of the model being trained and of a frozen copy
taken after the previous task. Distance: mean squared error per dimension (l2) or 1 - cosine.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from engine.strategies.continual.methods import MappingAlignConfig
from engine.strategies.continual.plugin import ContinualPlugin, TaskState, frozen_copy
from engine.strategies.continual.replay import ReplayPlugin


def alignment_loss(
    new: torch.Tensor, old: torch.Tensor, mask: torch.Tensor, distance: str = "l2"
) -> torch.Tensor:
    """Mean over `mask`ed tokens of the distance between two [batch, tokens, dim] tensors."""
    new, old = new[mask].float(), old[mask].float()
    if distance == "l2":
        per_token = ((new - old) ** 2).mean(-1)
    elif distance == "cosine":
        per_token = 1.0 - F.cosine_similarity(new, old, dim=-1)
    else:
        raise ValueError(f"distance must be l2 or cosine, not {distance!r}")
    return per_token.mean() if per_token.numel() else new.sum() * 0.0


def encoder_of(model: Any) -> Any:
    """The backbone without its head (BertModel inside BertForTokenClassification, ...)."""
    return getattr(model, model.base_model_prefix, model)


class MappingPlugin(ContinualPlugin):
    def __init__(self, weight: float = 1.0, distance: str = "l2"):
        self.weight, self.distance = weight, distance
        self.teacher: Any = None
        self.features: torch.Tensor | None = None
        self._tap: Any = None

    def _keep_features(self, module: Any, args: Any, output: Any) -> None:
        self.features = output[0]  # last hidden state, still attached to the graph

    def before_task(self, state: TaskState) -> None:
        if self.teacher is not None:
            self._tap = encoder_of(state.model).register_forward_hook(self._keep_features)

    def extra_loss(self, model: Any, batch: dict[str, torch.Tensor], outputs: Any):
        if self.teacher is None or self.features is None:
            return None
        with torch.no_grad():
            old = encoder_of(self.teacher)(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            )[0]
        mask = batch["attention_mask"].bool()
        loss = self.weight * alignment_loss(self.features, old, mask, self.distance)
        self.features = None
        return loss

    def after_task(self, state: TaskState) -> None:
        if self._tap is not None:  # remove before copying: a copied hook would fire on the copy
            self._tap.remove()
            self._tap = None
        self.features = None
        self.teacher = frozen_copy(state.model)


def plugins(config: MappingAlignConfig, seed: int) -> list[ContinualPlugin]:
    """The alignment, and (config.replay) a memory it also aligns on."""
    align = MappingPlugin(config.weight, config.distance)
    if not config.replay:
        return [align]
    return [align, ReplayPlugin(config.memory_size, config.selection, seed)]
