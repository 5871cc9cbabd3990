"""The `meta` strategy: episodes -> learner -> meta-training -> meta-test -> summary.

strategy: {kind: meta, method: protonet, n_way: 5, k_shot: 1, episodes: {train: 200, test: 100}}

The budget (episodes per update, episodes, lr, max length, time) is resolved for the run's
device first (meta/config.py `meta_budget`: Few-NERD's regime on a GPU for what is left at its
defaults) and recorded in the summary's `meta` section.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from engine.config import EpisodeCounts, MetaStrategy
from engine.data.alignment import SpecialIds
from engine.data.episodes import Episode
from engine.data.fewnerd import write_episodes
from engine.models.checkpoint import save_checkpoint
from engine.strategies.base import RunContext, StrategyKind, register_strategy
from engine.strategies.meta.config import meta_budget
from engine.strategies.meta.data import load_meta_data
from engine.strategies.meta.encoder import encode_set, load_encoder
from engine.strategies.meta.learner import EpisodeTensors, Learner, LearnerSetup
from engine.strategies.meta.loop import episode_sample, meta_test, meta_train
from engine.strategies.methods import get_method


def make_learner(strategy: MetaStrategy, encoder: torch.nn.Module, setup: LearnerSetup) -> Learner:
    """The learner of `strategy.method`, from its registered factory."""
    factory = get_method("meta", strategy.method).load()
    return factory(strategy.params, encoder, setup)


@register_strategy(StrategyKind.META)
def run_meta(ctx: RunContext) -> dict[str, Any]:
    cfg, strategy = ctx.config, ctx.begin(MetaStrategy)
    budget = meta_budget(strategy, cfg.train, gpu=ctx.device.type == "cuda")
    counts = EpisodeCounts(train=budget.train_episodes, test=budget.test_episodes)
    strategy = strategy.model_copy(update={"episodes": counts})  # what the data loader samples
    ctx.say(
        f"budget ({budget.regime}): {budget.train_episodes} meta-training episodes, "
        f"{budget.episodes_per_batch} per update, lr {budget.lr:g}, max length {budget.max_length}"
    )
    data = load_meta_data(cfg.data, strategy, cfg.train.seed)
    ctx.notes(data.notes)
    encoder, tokenizer, wrapper = load_encoder(cfg.backbone, ctx.dtype)
    wrapper.to(ctx.device)
    pad = SpecialIds.of(tokenizer).pad
    setup = LearnerSetup(
        lr=budget.lr,
        grad_clip=cfg.train.grad_clip,
        pad_id=pad,
        train_tags=[s.tags for s in data.pools.train],
    )
    learner = make_learner(strategy, encoder, setup)

    def prepare(episode: Episode) -> EpisodeTensors:
        def encoded(sentences):
            return encode_set(sentences, episode.types, tokenizer, budget.max_length)

        support = encoded(episode.support).to(ctx.device)
        return EpisodeTensors(episode.types, support, encoded(episode.query).to(ctx.device))

    train_count = strategy.episodes.train if data.train_sampler is not None else 0
    if data.train_sampler is not None and strategy.examples:
        shown = [episode_sample(e) for e in data.train_sampler.episodes(strategy.examples)]
        ctx.tracker.log_record("episodes_sample", "train", {"split": "train", "episodes": shown})
    trained = None
    if data.train_sampler is not None:
        ctx.say(f"meta-training {strategy.method} on {train_count} episodes")
        trained = meta_train(
            learner,
            data.train_sampler,
            train_count,
            prepare,
            ctx.tracker,
            log_every=cfg.train.log_every,
            say=ctx.say,
            episodes_per_batch=budget.episodes_per_batch,
            time_budget_s=budget.time_budget_s,
        )
    summary: dict[str, Any] = {
        "steps": trained.episodes if trained else 0,
        "train_seconds": round(trained.seconds, 3) if trained else 0.0,
    }
    if trained is not None and trained.stopped:
        return summary | {"cancelled": True}
    started = time.perf_counter()
    ctx.say(f"meta-testing on {len(data.test_episodes)} episodes of unseen types")
    scores, stopped = meta_test(
        learner, data.test_episodes, prepare, ctx.tracker, examples=strategy.examples, say=ctx.say
    )
    summary["test_seconds"] = round(time.perf_counter() - started, 3)
    if stopped:
        return summary | {"cancelled": True}
    report = scores.pooled()  # seqeval over every query sentence: once
    meta = scores.summary(pooled=report) | {
        "n_way": strategy.n_way,
        "k_shot": strategy.k_shot,
        "method": strategy.method,
        "train_episodes": summary["steps"],
        "updates": trained.updates if trained else 0,
        "episodes_per_batch": budget.episodes_per_batch,
        "lr": budget.lr,
        "max_length": budget.max_length,
        "budget": budget.regime,
        "out_of_time": bool(trained and trained.out_of_time),
        "train_types": list(data.pools.train_types),
        "test_types": list(data.pools.test_types),
        "cross_domain": data.cross_domain,
    }
    ctx.tracker.update_summary(meta=meta)
    ctx.tracker.log_evaluation("test", "episodes-pooled", report, step=summary["steps"])
    summary.update(meta=meta, test_f1=meta["f1_mean"], test_precision=report.precision)
    summary["test_recall"] = report.recall
    ctx.say(f"meta-test F1 {meta['f1_mean']:.3f} ± {meta['f1_ci95'] or 0:.3f} (95% CI)")
    episodes_path = write_episodes(data.test_episodes, ctx.run_dir / "test_episodes.jsonl")
    ctx.tracker.log_artifact("episodes", episodes_path, "test")
    if cfg.train.save_checkpoint and learner.meta_trained and summary["steps"]:
        checkpoint_dir = save_checkpoint(
            wrapper, tokenizer, ctx.run_dir / "checkpoint", cfg.to_dict()
        )
        ctx.tracker.log_artifact("checkpoint", checkpoint_dir, "final")
        summary["checkpoint"] = str(checkpoint_dir)
    return summary
