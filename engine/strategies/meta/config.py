"""The meta strategy's section: N-way K-shot episodes; each method's own settings are in
meta/methods.py. `meta_budget` resolves the meta-training budget for the device a run gets:
on a GPU, settings left at their defaults take Few-NERD's published regime (its README:
lr 1e-4, 8 episodes per update at 5-way 1~2 shot, 10,000 updates, max length 64, 5,000 test
episodes); on a CPU, today's lab defaults (one episode per update, 200 episodes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

import engine.strategies.meta.methods  # noqa: F401  (registers the meta methods)
from engine.strategies.methods import MethodStrategy
from engine.strategies.registry import Section, register_strategy_config


class EpisodeCounts(Section):
    """How many N-way K-shot episodes a meta run samples."""

    train: int = Field(
        200,
        ge=0,
        le=100_000,
        title="Meta-training episodes",
        description="Meta-training episodes (0: no meta-training)",
    )
    test: int = Field(
        100,
        ge=1,
        le=10_000,
        title="Meta-test episodes",
        description="Meta-test episodes on held-out types (F1 and its CI)",
    )


# The train settings a meta run never reads: its loop is one step per episode, with a fixed
# weight decay and no schedule (the wizard hides them and says so).
META_IGNORES_TRAIN = (
    "epochs", "max_steps", "batch_size", "head_lr", "weight_decay", "warmup_ratio",
    "eval_every", "patience", "group_by_length", "devices", "launcher", "batching", "compile",
)  # fmt: skip


class MetaStrategy(MethodStrategy):
    """Few-shot NER on episodes: learn to learn on some entity types, be tested on unseen ones.
    `method` is a registered meta method (meta/methods.py), `params` its settings."""

    method_kind: ClassVar[str] = "meta"
    ignored_train: ClassVar[tuple[str, ...]] = META_IGNORES_TRAIN
    kind: Literal["meta"] = "meta"
    method: str = Field(
        "protonet",
        title="Meta-learning method",
        description="How the encoder learns to learn from episodes: metric methods (ProtoNet, "
        "NNShot, StructShot) compare words with the support set, gradient methods (MAML, "
        "Reptile) adapt on it; the fine-tuning control has no meta-training",
    )
    n_way: int = Field(
        5, ge=1, le=50, title="Types per episode (N)", description="Entity types per episode (N)"
    )
    k_shot: int = Field(
        1,
        ge=1,
        le=100,
        title="Examples per type (K)",
        description="Mentions per type in the support set: K to 2K (Few-NERD)",
    )
    query_shot: int | None = Field(
        None,
        ge=1,
        le=100,
        title="Query examples per type",
        description="Mentions per type in the query set; default: the same as K",
    )
    episodes: EpisodeCounts = Field(default_factory=EpisodeCounts, title="Episodes")
    test_types: list[str] | None = Field(
        None,
        title="Types held out for testing",
        description="Entity types kept for meta-test; default: a seeded pick of N types "
        "(one dataset) or the test data's types never in the training data (two datasets)",
    )
    test_episodes_file: str | None = Field(
        None,
        title="Test episodes from a file",
        description="Meta-test on episodes from a Few-NERD JSONL file instead of sampling",
    )
    meta_lr: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        title="Meta-learning rate",
        description="Meta-optimizer (AdamW) learning rate; default: the training learning rate",
    )
    episodes_per_batch: int | None = Field(
        None,
        ge=1,
        le=64,
        title="Episodes per meta-update (B)",
        description="Gradients averaged over B episodes per update; default: 1 on a CPU, "
        "Few-NERD's value on a GPU (8 at 5-way 1~2 shot, 4 at 10-way 1~2, 1 at 5~10 shot)",
    )
    time_budget_s: float | None = Field(
        None,
        gt=0.0,
        title="Meta-training time (at most, seconds)",
        description="Stop meta-training after this long (at an update's end), then meta-test",
    )
    budget: Literal["auto", "lab", "few-nerd"] = Field(
        "auto",
        title="Budget",
        description="auto: Few-NERD's regime on a GPU for settings left at their defaults, the "
        "lab's on a CPU; lab: as configured; few-nerd: Few-NERD's regime on any device",
    )
    examples: int = Field(
        5,
        ge=0,
        le=50,
        title="Episodes kept for viewing",
        description="Episodes of each split kept for the Meta page's viewer",
    )

    @property
    def meta_trained(self) -> bool:
        """False for a method without meta-training (the fine-tuning control)."""
        return bool(getattr(self.params, "meta_trained", True))

    @field_validator("test_types")
    @classmethod
    def _distinct_types(cls, types: list[str] | None) -> list[str] | None:
        if types is None:
            return None
        cleaned = [t.strip() for t in types if t.strip()]
        if not cleaned:
            return None
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a type is listed twice")
        return cleaned


register_strategy_config("meta", MetaStrategy)

# Few-NERD README (engine/protocols/few_nerd.py records it): (N, K) -> (B, max length)
FEW_NERD_BATCH = {(5, 1): (8, 64), (5, 5): (1, 32), (10, 1): (4, 64), (10, 5): (1, 32)}
FEW_NERD_UPDATES, FEW_NERD_TEST_EPISODES, FEW_NERD_LR = 10_000, 5_000, 1e-4


@dataclass(frozen=True)
class MetaBudget:
    """What a meta run spends, resolved for its device."""

    regime: Literal["lab", "few-nerd"]
    episodes_per_batch: int
    train_episodes: int
    test_episodes: int
    lr: float
    max_length: int
    time_budget_s: float | None


def _default(model: type[Any], name: str) -> Any:
    return model.model_fields[name].default


def meta_budget(strategy: MetaStrategy, train: Section, *, gpu: bool) -> MetaBudget:
    """The run's budget (`train`: the run's train section, for lr and max_length). In
    Few-NERD's regime only what is still at its default changes: an explicit value wins."""
    lr, max_length = train.lr, train.max_length  # type: ignore[attr-defined]
    published = strategy.budget == "few-nerd" or (strategy.budget == "auto" and gpu)
    counts = strategy.episodes
    if not published:
        return MetaBudget(
            "lab", strategy.episodes_per_batch or 1, counts.train, counts.test,
            strategy.meta_lr or lr, max_length, strategy.time_budget_s,
        )  # fmt: skip
    batch, length = FEW_NERD_BATCH.get((strategy.n_way, strategy.k_shot), FEW_NERD_BATCH[(5, 1)])
    batch = strategy.episodes_per_batch or batch
    episodes = counts.train
    if episodes == _default(EpisodeCounts, "train"):
        episodes = FEW_NERD_UPDATES * batch
    test = counts.test
    if test == _default(EpisodeCounts, "test"):
        test = FEW_NERD_TEST_EPISODES
    meta_lr = strategy.meta_lr or (FEW_NERD_LR if lr == _default(type(train), "lr") else lr)
    if max_length != _default(type(train), "max_length"):
        length = max_length
    return MetaBudget("few-nerd", batch, episodes, test, meta_lr, length, strategy.time_budget_s)
