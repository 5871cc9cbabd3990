"""StructShot (Yang & Katiyar, 2020): NNShot's token scores, decoded with Viterbi.

Meta-training is NNShot's. At test time each query sentence's nearest-support-token scores are
the emissions, and the transitions are abstract ones (O -> O, O -> entity, entity -> same type,
entity -> another type, ...) counted on the meta-training types' tag sequences and spread over
the episode's concrete IO tags (viterbi.py). `tau` flattens them towards the token scores. So a
query mention whose middle word is nearest a support word of another type (I-A I-B I-A) is read
as one mention when a type switch inside a mention is rare in the training data.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from engine.data.alignment import IGNORE
from engine.strategies.meta.encoder import EncodedSet, io_label_ids
from engine.strategies.meta.learner import Adapted, EpisodeTensors, LearnerSetup
from engine.strategies.meta.methods import StructShotConfig
from engine.strategies.meta.nnshot import NNShot
from engine.strategies.meta.viterbi import (
    AbstractTransitions,
    episode_tags,
    estimate_transitions,
    structshot_decode,
)

SCHEME = "IO"  # the meta methods' class ids are IO: O, then one id per type


def window_spans(query: EncodedSet) -> list[tuple[int, int]]:
    """[start, end) of each window's kept positions in the flat query predictions."""
    spans, start = [], 0
    for window in query.windows:
        n = sum(1 for label in window.labels if label != IGNORE)
        spans.append((start, start + n))
        start += n
    return spans


class StructShot(NNShot):
    def __init__(
        self,
        encoder: torch.nn.Module,
        lr: float,
        grad_clip: float = 1.0,
        *,
        tau: float = 0.32,
        train_tags: Sequence[Sequence[str]] = (),
    ):
        super().__init__(encoder, lr, grad_clip)
        self.tau = tau
        self.transitions: AbstractTransitions | None = (
            estimate_transitions(train_tags, SCHEME) if train_tags else None
        )

    def decode(self, logits: torch.Tensor, episode: EpisodeTensors) -> torch.Tensor:
        """Viterbi over each query window's scores; IO class ids, as argmax would give. With
        no training tags to count (no meta-training data) it is NNShot's argmax."""
        out = logits.argmax(-1).cpu()
        if self.transitions is None:
            return out
        tags = episode_tags(episode.types, SCHEME)
        ids = io_label_ids(episode.types)
        for start, end in window_spans(episode.query):
            if end > start:
                path = structshot_decode(logits[start:end], tags, self.transitions, self.tau)
                out[start:end] = torch.tensor([ids[tag] for tag in path])
        return out

    @torch.no_grad()
    def adapt(self, episode: EpisodeTensors) -> Adapted:
        self.encoder.eval()
        logits, query, support = self.episode_logits(episode)
        return Adapted([0], [self.decode(logits, episode)], query.cpu(), support.cpu())


def learner(config: StructShotConfig, encoder: torch.nn.Module, setup: LearnerSetup) -> StructShot:
    return StructShot(
        encoder, setup.lr, setup.grad_clip, tau=config.tau, train_tags=setup.train_tags
    )
