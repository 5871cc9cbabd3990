"""The control: no meta-training, fine-tune the backbone on each test episode's support set.

A copy of the backbone and a freshly initialised head (O plus the episode's N types) are trained
with AdamW for `steps` on the support sentences, then predict the query. This is what a
practitioner does without meta-learning; the question the meta page answers is whether learning
to learn beats it.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from engine.strategies.meta.learner import (
    WEIGHT_DECAY,
    Adapted,
    EpisodeTensors,
    LearnerSetup,
    clip_and_step,
    curve_steps,
)
from engine.strategies.meta.maml import EpisodeModel
from engine.strategies.meta.methods import FinetuneBaselineConfig
from engine.training.optim import make_optimizer


class FinetuneBaseline:
    meta_trained = False

    def __init__(self, encoder: torch.nn.Module, *, lr: float, steps: int, grad_clip: float = 1.0):
        self.encoder, self.lr, self.steps, self.grad_clip = encoder, lr, steps, grad_clip

    def meta_step(self, episode: EpisodeTensors) -> float:
        raise RuntimeError("finetune-baseline has no meta-training")

    def adapt(self, episode: EpisodeTensors) -> Adapted:
        model = EpisodeModel(copy.deepcopy(self.encoder), episode.n_classes)
        model.to(episode.support.device)
        optimizer = make_optimizer(model, self.lr, None, WEIGHT_DECAY)
        record = set(curve_steps(self.steps))
        steps, predictions = [], []
        for step in range(self.steps + 1):
            if step in record:
                model.eval()
                with torch.no_grad():
                    predictions.append(model(*episode.query.inputs()).argmax(-1).cpu())
                steps.append(step)
            if step == self.steps:
                break
            model.train()
            loss = F.cross_entropy(model(*episode.support.inputs()), episode.support.targets)
            loss.backward()
            clip_and_step(list(model.parameters()), optimizer, self.grad_clip)
        model.eval()
        with torch.no_grad():
            query = model.encoder(*episode.query.inputs())
            support = model.encoder(*episode.support.inputs())
        return Adapted(steps, predictions, query.cpu(), support.cpu())


def learner(
    config: FinetuneBaselineConfig, encoder: torch.nn.Module, setup: LearnerSetup
) -> FinetuneBaseline:
    return FinetuneBaseline(encoder, lr=config.lr, steps=config.steps, grad_clip=setup.grad_clip)
