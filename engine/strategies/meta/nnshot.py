"""NNShot (Yang & Katiyar, 2020): a query token takes the class of its nearest support token.

The same episodic training as ProtoNet, with the class score being minus the squared distance
to the *closest* support token of that class instead of to the class mean. Types whose mentions
look different from each other (a `misc` type, multi-word names) are served better by a nearest
neighbour than by one average, which is why it beats ProtoBERT on Few-NERD.
"""

from __future__ import annotations

import torch

from engine.strategies.meta.learner import LearnerSetup
from engine.strategies.meta.methods import NNShotConfig
from engine.strategies.meta.protonet import MISSING, ProtoNet, squared_distances


def nearest_logits(
    query: torch.Tensor, support: torch.Tensor, targets: torch.Tensor, n_classes: int
) -> torch.Tensor:
    distances = squared_distances(query, support)  # [query tokens, support tokens]
    columns = []
    for c in range(n_classes):
        mine = targets == c
        if bool(mine.any()):
            columns.append(-distances[:, mine].min(dim=1).values)
        else:
            columns.append(torch.full_like(distances[:, 0], MISSING))
    return torch.stack(columns, dim=1)


class NNShot(ProtoNet):
    def logits(
        self, query: torch.Tensor, support: torch.Tensor, targets: torch.Tensor, n_classes: int
    ) -> torch.Tensor:
        return nearest_logits(query, support, targets, n_classes)


def learner(config: NNShotConfig, encoder: torch.nn.Module, setup: LearnerSetup) -> NNShot:
    return NNShot(encoder, setup.lr, setup.grad_clip)
