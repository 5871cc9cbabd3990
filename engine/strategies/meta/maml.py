"""First-order MAML (Finn et al. 2017) over the encoder plus a per-episode head.

Weights are passed around as a {name: tensor} dict and applied with
`torch.func.functional_call`, so adapting never touches the module's own parameters:

    fast = θ;  repeat k times: fast = fast - α ∇ L_support(fast)           (inner SGD)
    meta-gradient ≈ ∇ L_query(fast), taken at the adapted weights          (first order)
    θ ← AdamW step with that gradient

First order means the inner steps are treated as constants (no gradient through the
gradient): the memory cost is one more copy of the weights per inner step instead of the whole
inner computation graph. Each episode has its own types, so its head is new: zeros (plain
MAML), or built from the support prototypes (Proto-MAML, Triantafillou et al. 2020), which
starts the head where ProtoNet would be and leaves the inner steps to refine it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch.func import functional_call

from engine.strategies.meta.encoder import EncodedSet
from engine.strategies.meta.learner import (
    Adapted,
    EpisodeTensors,
    LearnerSetup,
    clip_and_step,
    meta_optimizer,
)
from engine.strategies.meta.methods import MamlConfig, ReptileConfig
from engine.strategies.meta.protonet import MISSING, prototypes

Params = dict[str, torch.Tensor]
LossFn = Callable[[Params, Any], torch.Tensor]
StepFn = Callable[[int, Params], None]


def sgd_adapt(
    params: Params,
    loss_fn: LossFn,
    batch: Any,
    lr: float,
    steps: int,
    each: StepFn | None = None,
) -> tuple[Params, list[float]]:
    """`steps` plain SGD steps from `params` on `batch`, first order (each step's new weights
    are fresh leaves). Returns the adapted weights and the loss before each step; `each(step,
    weights)` sees the weights after every step."""
    fast = dict(params)
    losses: list[float] = []
    for step in range(1, steps + 1):
        loss = loss_fn(fast, batch)
        grads = torch.autograd.grad(loss, list(fast.values()), allow_unused=True)
        fast = {
            name: (p.detach() if g is None else p.detach() - lr * g).requires_grad_()
            for (name, p), g in zip(fast.items(), grads, strict=True)
        }
        losses.append(float(loss.detach()))
        if each is not None:
            each(step, fast)
    return fast, losses


def first_order_meta_grads(
    params: Params, loss_fn: LossFn, support: Any, query: Any, lr: float, steps: int
) -> tuple[Params, float]:
    """The FOMAML meta-gradient of each weight: the query loss's gradient at the weights
    adapted on the support set. Returns (gradients, query loss after adapting)."""
    fast, _ = sgd_adapt(params, loss_fn, support, lr, steps)
    loss = loss_fn(fast, query)
    grads = torch.autograd.grad(loss, list(fast.values()), allow_unused=True)
    out = {
        name: torch.zeros_like(p) if g is None else g
        for (name, p), g in zip(fast.items(), grads, strict=True)
    }
    return out, float(loss.detach())


class EpisodeModel(torch.nn.Module):
    """The shared encoder plus one episode's linear head (O and its N types)."""

    def __init__(self, encoder: torch.nn.Module, n_classes: int):
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(encoder.hidden_size, n_classes)

    def forward(self, input_ids, attention_mask, keep) -> torch.Tensor:
        return self.head(self.encoder(input_ids, attention_mask, keep))


def prototype_head(vectors: torch.Tensor, targets: torch.Tensor, n_classes: int) -> Params:
    """A head equal to ProtoNet's scores up to a per-token constant: -|q-c|^2 = 2c.q - |c|^2
    - |q|^2, so W_c = 2c and b_c = -|c|^2 (a class with no support token: never chosen)."""
    means, missing = prototypes(vectors, targets, n_classes)
    bias = -(means * means).sum(1)
    bias = bias.masked_fill(missing, MISSING)
    return {"head.weight": 2 * means, "head.bias": bias}


class Maml:
    meta_trained = True

    def __init__(
        self,
        encoder: torch.nn.Module,
        *,
        lr: float,
        inner_lr: float,
        inner_steps: int,
        head_init: str = "prototypes",
        grad_clip: float = 1.0,
    ):
        self.encoder = encoder
        self.inner_lr, self.inner_steps, self.head_init = inner_lr, inner_steps, head_init
        self.named = {n: p for n, p in encoder.named_parameters() if p.requires_grad}
        self.optimizer = meta_optimizer(encoder, lr)
        self.grad_clip = grad_clip

    def start(self, episode: EpisodeTensors) -> tuple[EpisodeModel, Params]:
        """The episode's model and its starting weights: the encoder's and a new head."""
        model = EpisodeModel(self.encoder, episode.n_classes).to(episode.support.device)
        params: Params = {f"encoder.{n}": p for n, p in self.named.items()}
        if self.head_init == "prototypes":
            with torch.no_grad():
                vectors = self.encoder(*episode.support.inputs())
            head = prototype_head(vectors, episode.support.targets, episode.n_classes)
        else:
            head = {k: torch.zeros_like(v) for k, v in model.head.named_parameters(prefix="head")}
        params.update({k: v.detach().requires_grad_() for k, v in head.items()})
        return model, params

    @staticmethod
    def loss_fn(model: EpisodeModel) -> LossFn:
        def loss(params: Params, batch: EncodedSet) -> torch.Tensor:
            logits = functional_call(model, params, batch.inputs())
            return F.cross_entropy(logits, batch.targets)

        return loss

    def apply_meta_grads(self, grads: Params) -> None:
        for name, p in self.named.items():
            p.grad = grads[f"encoder.{name}"].to(p.dtype)
        clip_and_step(list(self.named.values()), self.optimizer, self.grad_clip)

    def meta_step(self, episode: EpisodeTensors) -> float:
        self.encoder.train()
        model, params = self.start(episode)
        grads, loss = first_order_meta_grads(
            params,
            self.loss_fn(model),
            episode.support,
            episode.query,
            self.inner_lr,
            self.inner_steps,
        )
        self.apply_meta_grads(grads)
        return loss

    def adapt(self, episode: EpisodeTensors) -> Adapted:
        """Inner SGD on the support set; the query predicted after each step (0 = before)."""
        self.encoder.eval()
        model, params = self.start(episode)
        steps, predictions = [], []
        final: list[Params] = [params]

        def score(step: int, weights: Params) -> None:
            model.eval()
            with torch.no_grad():
                logits = functional_call(model, weights, episode.query.inputs())
            steps.append(step)
            predictions.append(logits.argmax(-1).cpu())
            final[0] = weights
            model.train()

        score(0, params)
        model.train()  # the inner steps run with dropout, as in meta-training
        sgd_adapt(
            params, self.loss_fn(model), episode.support, self.inner_lr, self.inner_steps, score
        )
        model.eval()
        with torch.no_grad():
            weights = {
                k.removeprefix("encoder."): v
                for k, v in final[0].items()
                if k.startswith("encoder.")
            }
            query = functional_call(self.encoder, weights, episode.query.inputs())
            support = functional_call(self.encoder, weights, episode.support.inputs())
        return Adapted(steps, predictions, query.cpu(), support.cpu())


def inner_loop_options(config: MamlConfig | ReptileConfig, setup: LearnerSetup) -> dict[str, Any]:
    """Maml's keyword arguments from a config of the inner-loop family (MAML and Reptile)."""
    return {
        "lr": setup.lr,
        "inner_lr": config.inner_lr,
        "inner_steps": config.inner_steps,
        "head_init": config.head_init,
        "grad_clip": setup.grad_clip,
    }


def learner(config: MamlConfig, encoder: torch.nn.Module, setup: LearnerSetup) -> Maml:
    return Maml(encoder, **inner_loop_options(config, setup))
