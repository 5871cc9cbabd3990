"""The two loops of a meta run: episodic meta-training, then adapt-and-score on test episodes.

Both report only through the tracker: `meta_train_loss` points, one `meta_episode` record and
one `episode_f1` point per test episode, a few episodes (with the query predictions) for the
page's viewer, the prototype map of the first test episode and the adaptation curve.

Meta-batches (`episodes_per_batch` B > 1): one update per B episodes with their gradients
averaged, as Few-NERD trains (8 episodes per step at 5-way 1~2 shot). Learners stay one-episode
objects: during a batch `GradientMean` stands in for the learner's optimizer, so each episode's
`meta_step` (backward, clip at grad_clip, step) adds its gradient to a sum instead of updating,
and the real optimizer then steps once on the mean. Each episode is clipped on its own, as a
batch of one is. A time budget ends meta-training at an update's end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from engine.data.episodes import Episode, EpisodeSampler
from engine.data.fewnerd import episode_to_json
from engine.strategies.meta.evaluate import MetaScores
from engine.strategies.meta.learner import EpisodeTensors, Learner
from engine.strategies.meta.projection import prototype_map
from engine.tracking.tracker import Tracker

Prepare = Callable[[Episode], EpisodeTensors]
Say = Callable[[str], None]


@dataclass
class TrainResult:
    episodes: int = 0
    updates: int = 0
    seconds: float = 0.0
    last_loss: float | None = None
    stopped: bool = False  # asked to stop (cancelled)
    out_of_time: bool = False  # the time budget ended meta-training early


class GradientMean:
    """A learner's optimizer for one meta-batch: `step()` adds the parameters' gradients to a
    sum (and `zero_grad` clears them), `apply()` steps the real optimizer on their mean."""

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self.param_groups = optimizer.param_groups
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        self.sums: list[torch.Tensor | None] = [None] * len(self.params)
        self.count = 0

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        for i, p in enumerate(self.params):
            if p.grad is not None:
                total = self.sums[i]
                self.sums[i] = p.grad.detach().clone() if total is None else total.add_(p.grad)
        self.count += 1

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    def apply(self) -> None:
        """The real step on the mean (a weight no episode touched keeps no gradient)."""
        if not self.count:
            return
        for p, total in zip(self.params, self.sums, strict=True):
            p.grad = None if total is None else total / self.count
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)


def meta_batch_step(learner: Learner, episodes: Sequence[EpisodeTensors]) -> float:
    """One update from the mean gradient of `episodes`; returns their mean loss."""
    if len(episodes) == 1:
        return learner.meta_step(episodes[0])
    optimizer = getattr(learner, "optimizer", None)
    if optimizer is None:
        raise TypeError(f"{type(learner).__name__} has no optimizer to average gradients for")
    mean = GradientMean(optimizer)
    learner.optimizer = mean  # type: ignore[attr-defined]
    try:
        losses = [learner.meta_step(episode) for episode in episodes]
    finally:
        learner.optimizer = optimizer  # type: ignore[attr-defined]
    mean.apply()
    return sum(losses) / len(losses)


def episode_sample(episode: Episode, predicted: Sequence[list[str]] | None = None) -> dict:
    """An episode for the viewer: Few-NERD's JSON plus IOB2 tags (and query predictions)."""
    out = episode_to_json(episode)
    out["support"]["tags"] = [list(s.tags) for s in episode.support]
    out["query"]["tags"] = [list(s.tags) for s in episode.query]
    if predicted is not None:
        out["query"]["predicted"] = [list(p) for p in predicted]
    return out


def meta_train(
    learner: Learner,
    sampler: EpisodeSampler,
    count: int,
    prepare: Prepare,
    tracker: Tracker,
    *,
    log_every: int,
    say: Say,
    episodes_per_batch: int = 1,
    time_budget_s: float | None = None,
) -> TrainResult:
    """`count` episodes, `episodes_per_batch` to an update; x of the loss curve: episodes."""
    res = TrainResult()
    started = time.perf_counter()
    window: list[float] = []  # losses since the last logged point
    recent: list[float] = []  # losses since the last progress line
    report_every = max(1, count // 10)
    for first in range(0, count, episodes_per_batch):
        if tracker.should_stop():
            res.stopped = True
            break
        if time_budget_s is not None and time.perf_counter() - started >= time_budget_s:
            res.out_of_time = True
            say(f"meta-training time budget ({time_budget_s:g} s) spent after {res.episodes}")
            break
        last = min(first + episodes_per_batch, count)
        batch = [prepare(sampler.episode(i)) for i in range(first, last)]
        loss = meta_batch_step(learner, batch)
        window.append(loss)
        recent.append(loss)
        before, res.episodes, res.updates = res.episodes, last, res.updates + 1
        if res.episodes // log_every > before // log_every or res.episodes == count:
            res.last_loss = sum(window) / len(window)
            tracker.log_metric("meta_train_loss", res.last_loss, res.episodes)
            window.clear()
        if res.episodes // report_every > before // report_every:
            mean = sum(recent) / len(recent)
            say(f"meta-train episode {res.episodes}/{count}: loss {mean:.4f}")
            recent.clear()
    res.seconds = time.perf_counter() - started
    tracker.flush()
    return res


def meta_test(
    learner: Learner,
    episodes: Sequence[Episode],
    prepare: Prepare,
    tracker: Tracker,
    *,
    examples: int,
    say: Say,
) -> tuple[MetaScores, bool]:
    """Adapt to and score each test episode; (scores, stopped early?)."""
    scores = MetaScores()
    sample: list[dict[str, Any]] = []
    report_every = max(1, len(episodes) // 10)
    f1_total = 0.0  # the progress line's running mean (summary() pools every episode: costly)
    for i, episode in enumerate(episodes):
        if tracker.should_stop():
            return scores, True
        tensors = prepare(episode)
        adapted = learner.adapt(tensors)
        by_step = [tensors.query.tags(p, episode.types) for p in adapted.predictions]
        gold = [list(s.tags) for s in episode.query]
        record = scores.add(i, episode.types, gold, by_step, adapted.steps)
        tracker.log_record("meta_episode", f"test-{i}", record)
        tracker.log_metric("episode_f1", record["f1"], i + 1)
        f1_total += record["f1"]
        if i < examples:
            sample.append(episode_sample(episode, by_step[-1]) | {"f1": record["f1"]})
        if i == 0:
            query = tensors.query
            payload = prototype_map(
                adapted.query_vectors,
                query.targets.cpu(),
                adapted.final,
                query.words,
                adapted.support_vectors,
                tensors.support.targets.cpu(),
                episode.types,
            )
            tracker.log_record("prototype_map", "test-0", payload | {"episode": 0})
        if (i + 1) % report_every == 0:
            mean = f1_total / (i + 1)
            say(f"meta-test episode {i + 1}/{len(episodes)}: mean F1 so far {mean:.3f}")
    if sample:
        tracker.log_record("episodes_sample", "test", {"split": "test", "episodes": sample})
    curve = scores.curve()
    if curve is not None:
        tracker.log_record("adaptation", "test", curve)
    tracker.flush()
    return scores, False
