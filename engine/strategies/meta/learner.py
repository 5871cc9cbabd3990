"""What every meta method is to the meta-training loop and the evaluation: a `Learner`.

`meta_step(episode)` learns from one training episode and returns its loss; `adapt(episode)`
adapts to a test episode's support set and predicts its query set, after 0..k adaptation steps
for the gradient-based methods (the adaptation curve) and once for the metric-based ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import torch

from engine.strategies.meta.encoder import EncodedSet
from engine.training.optim import make_optimizer

WEIGHT_DECAY = 0.01  # the meta-optimizer's (AdamW, fused where it can be: engine.training.optim)


@dataclass(frozen=True)
class LearnerSetup:
    """What a method's factory gets besides its config and the encoder."""

    lr: float  # the meta-optimizer's (strategy.meta_lr, else train.lr)
    grad_clip: float
    pad_id: int
    # IOB2 tags of the meta-training sentences (StructShot estimates its transitions on them)
    train_tags: Sequence[Sequence[str]] = field(default_factory=tuple)


@dataclass(frozen=True)
class EpisodeTensors:
    types: tuple[str, ...]
    support: EncodedSet
    query: EncodedSet

    @property
    def n_classes(self) -> int:
        return len(self.types) + 1  # O plus one class per type


@dataclass
class Adapted:
    """A test episode after adaptation: query predictions at each recorded step."""

    steps: list[int]
    predictions: list[torch.Tensor]  # IO ids of the query's kept positions, one per step
    query_vectors: torch.Tensor  # the (adapted) encoder's query vectors, for the map
    support_vectors: torch.Tensor

    @property
    def final(self) -> torch.Tensor:
        return self.predictions[-1]


class Learner(Protocol):
    meta_trained: bool  # False: the method has no meta-training (the fine-tuning control)

    def meta_step(self, episode: EpisodeTensors) -> float: ...

    def adapt(self, episode: EpisodeTensors) -> Adapted: ...


def class_means(vectors: torch.Tensor, targets: torch.Tensor, n_classes: int) -> torch.Tensor:
    """One mean vector per class; a class without vectors gets NaN (callers mask it)."""
    sums = torch.zeros(n_classes, vectors.shape[1], device=vectors.device, dtype=vectors.dtype)
    sums.index_add_(0, targets, vectors)
    counts = torch.bincount(targets, minlength=n_classes).to(vectors.dtype)
    return sums / counts.unsqueeze(1)  # 0/0 = NaN for an empty class


def curve_steps(total: int, points: int = 12) -> list[int]:
    """Steps at which to score the query while adapting: all of them, or ~`points` spread
    geometrically (scoring after every one of 100 steps would cost more than adapting)."""
    if total + 1 <= points:
        return list(range(total + 1))
    steps = {0, total}
    ratio = total ** (1 / (points - 1))
    steps.update(min(total, round(ratio**i)) for i in range(points))
    return sorted(steps)


def meta_optimizer(module: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    """The meta-optimizer of `module`'s trainable weights: AdamW with WEIGHT_DECAY."""
    return make_optimizer(module, lr, None, WEIGHT_DECAY)


def clip_and_step(
    params: Sequence[torch.nn.Parameter], optimizer: torch.optim.Optimizer, clip: float
) -> None:
    torch.nn.utils.clip_grad_norm_(params, clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
