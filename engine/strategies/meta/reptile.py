"""Reptile (Nichol et al. 2018): adapt to an episode, then move the start towards the result.

    fast = k SGD steps from θ on the episode (support and query together)
    θ ← outer AdamW step with "gradient" θ - fast

No query gradient at all: the direction θ - fast already points (to first order) where MAML's
would, plus a term that favours weights from which every episode's loss drops quickly. Test
time is the same as MAML's: k inner steps on the support set, then predict the query.
"""

from __future__ import annotations

import torch

from engine.strategies.meta.encoder import concat_sets
from engine.strategies.meta.learner import EpisodeTensors, LearnerSetup
from engine.strategies.meta.maml import Maml, inner_loop_options, sgd_adapt
from engine.strategies.meta.methods import ReptileConfig


class Reptile(Maml):
    def __init__(self, encoder: torch.nn.Module, *, pad_id: int, **kwargs):
        super().__init__(encoder, **kwargs)
        self.pad_id = pad_id

    def meta_step(self, episode: EpisodeTensors) -> float:
        self.encoder.train()
        model, params = self.start(episode)
        both = concat_sets(episode.support, episode.query, self.pad_id)
        fast, losses = sgd_adapt(params, self.loss_fn(model), both, self.inner_lr, self.inner_steps)
        self.apply_meta_grads(
            {k: params[k].detach() - fast[k] for k in params if k.startswith("encoder.")}
        )
        return losses[0]  # the episode's loss before adapting: what meta-training lowers


def learner(config: ReptileConfig, encoder: torch.nn.Module, setup: LearnerSetup) -> Reptile:
    return Reptile(encoder, pad_id=setup.pad_id, **inner_loop_options(config, setup))
