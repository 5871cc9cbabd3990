"""Prototypical networks for NER (ProtoBERT, Snell et al. 2017; Few-NERD's baseline).

Each class of an episode (O and each of its N types) gets a prototype: the mean vector of its
support tokens. A query token scores each class by minus its squared Euclidean distance to the
prototype. Meta-training moves the encoder so that, episode after episode, query tokens land
nearest their own type's prototype; at test time nothing is trained, the new types' prototypes
are simply averaged from their support tokens.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.strategies.meta.learner import (
    Adapted,
    EpisodeTensors,
    LearnerSetup,
    class_means,
    clip_and_step,
    meta_optimizer,
)
from engine.strategies.meta.methods import ProtoNetConfig

MISSING = -1e4  # the score of a class with no support token (never the argmax)


def squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """||a_i - b_j||^2 for every pair; expanded so the gradient at distance 0 is finite."""
    return (a * a).sum(1, keepdim=True) - 2 * a @ b.T + (b * b).sum(1).unsqueeze(0)


def prototypes(
    vectors: torch.Tensor, targets: torch.Tensor, n_classes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each class's mean vector (zeros for a class without vectors) and which classes have none."""
    means = class_means(vectors, targets, n_classes)
    return torch.nan_to_num(means), torch.isnan(means[:, 0])


def prototype_logits(
    query: torch.Tensor, support: torch.Tensor, targets: torch.Tensor, n_classes: int
) -> torch.Tensor:
    means, missing = prototypes(support, targets, n_classes)
    logits = -squared_distances(query, means)
    return logits.masked_fill(missing.unsqueeze(0), MISSING)


class ProtoNet:
    meta_trained = True

    def __init__(self, encoder: torch.nn.Module, lr: float, grad_clip: float = 1.0):
        self.encoder = encoder
        self.params = [p for p in encoder.parameters() if p.requires_grad]
        self.optimizer = meta_optimizer(encoder, lr) if self.params else None
        self.grad_clip = grad_clip

    def logits(
        self, query: torch.Tensor, support: torch.Tensor, targets: torch.Tensor, n_classes: int
    ) -> torch.Tensor:
        return prototype_logits(query, support, targets, n_classes)

    def episode_logits(self, episode: EpisodeTensors) -> tuple[torch.Tensor, ...]:
        support = self.encoder(*episode.support.inputs())
        query = self.encoder(*episode.query.inputs())
        logits = self.logits(query, support, episode.support.targets, episode.n_classes)
        return logits, query, support

    def meta_step(self, episode: EpisodeTensors) -> float:
        assert self.optimizer is not None, "the encoder has no trainable parameters"
        self.encoder.train()
        logits, _, _ = self.episode_logits(episode)
        loss = F.cross_entropy(logits, episode.query.targets)
        loss.backward()
        clip_and_step(self.params, self.optimizer, self.grad_clip)
        return float(loss.detach())

    @torch.no_grad()
    def adapt(self, episode: EpisodeTensors) -> Adapted:
        self.encoder.eval()
        logits, query, support = self.episode_logits(episode)
        return Adapted([0], [logits.argmax(-1).cpu()], query.cpu(), support.cpu())


def learner(config: ProtoNetConfig, encoder: torch.nn.Module, setup: LearnerSetup) -> ProtoNet:
    return ProtoNet(encoder, setup.lr, setup.grad_clip)
