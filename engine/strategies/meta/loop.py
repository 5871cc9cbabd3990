"""The two loops of a meta run: episodic meta-training, then adapt-and-score on test episodes.

Both report only through the tracker: `meta_train_loss` points, one `meta_episode` record and
one `episode_f1` point per test episode, a few episodes (with the query predictions) for the
page's viewer, the prototype map of the first test episode and the adaptation curve.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
    seconds: float = 0.0
    last_loss: float | None = None
    stopped: bool = False


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
) -> TrainResult:
    res = TrainResult()
    started = time.perf_counter()
    window: list[float] = []  # losses since the last logged point
    recent: list[float] = []  # losses since the last progress line
    report_every = max(1, count // 10)
    for i in range(count):
        if tracker.should_stop():
            res.stopped = True
            break
        loss = learner.meta_step(prepare(sampler.episode(i)))
        window.append(loss)
        recent.append(loss)
        res.episodes = i + 1
        if res.episodes % log_every == 0 or res.episodes == count:
            res.last_loss = sum(window) / len(window)
            tracker.log_metric("meta_train_loss", res.last_loss, res.episodes)
            window.clear()
        if res.episodes % report_every == 0:
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
