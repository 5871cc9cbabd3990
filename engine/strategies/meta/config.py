"""The meta strategy's section: N-way K-shot episodes and each method's knobs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from engine.strategies.registry import Section, register_strategy_config


class EpisodeCounts(Section):
    """How many N-way K-shot episodes a meta run samples."""

    train: int = Field(
        200, ge=0, le=100_000, description="Meta-training episodes (0: no meta-training)"
    )
    test: int = Field(
        100, ge=1, le=10_000, description="Meta-test episodes on held-out types (F1 and its CI)"
    )


class MetaStrategy(Section):
    """Few-shot NER on episodes: learn to learn on some entity types, be tested on unseen ones."""

    kind: Literal["meta"] = "meta"
    method: Literal["protonet", "nnshot", "maml", "reptile", "finetune-baseline"] = Field(
        "protonet",
        description="protonet: nearest type prototype (ProtoBERT); nnshot: nearest support "
        "token; maml: first-order MAML, adapts on each support set (memory: one more copy of "
        "the weights); reptile: move towards weights adapted per episode; finetune-baseline: "
        "no meta-training, fine-tune on each support set (the control)",
    )
    n_way: int = Field(5, ge=1, le=50, description="Entity types per episode (N)")
    k_shot: int = Field(
        1, ge=1, le=100, description="Mentions per type in the support set: K to 2K (Few-NERD)"
    )
    query_shot: int | None = Field(
        None, ge=1, le=100, description="Mentions per type in the query set; default k_shot"
    )
    episodes: EpisodeCounts = Field(default_factory=EpisodeCounts)
    test_types: list[str] | None = Field(
        None,
        description="Entity types kept for meta-test; default: a seeded pick of n_way types "
        "(one dataset) or the test data's types never in the training data (two datasets)",
    )
    test_episodes_file: str | None = Field(
        None, description="Meta-test on episodes from a Few-NERD JSONL file instead of sampling"
    )
    meta_lr: float | None = Field(
        None, gt=0.0, le=1.0, description="Meta-optimizer (AdamW) learning rate; default train.lr"
    )
    inner_steps: int = Field(
        5, ge=1, le=200, description="maml and reptile methods: SGD steps on each support set"
    )
    inner_lr: float = Field(
        1e-2, gt=0.0, le=10.0, description="maml and reptile methods: inner SGD learning rate"
    )
    head_init: Literal["prototypes", "zeros"] = Field(
        "prototypes",
        description="maml and reptile methods: each episode's head starts from the support "
        "prototypes (Proto-MAML) or from zeros (plain MAML)",
    )
    finetune_steps: int = Field(
        20, ge=1, le=1000, description="finetune-baseline method: AdamW steps on each support set"
    )
    finetune_lr: float = Field(
        1e-3, gt=0.0, le=1.0, description="finetune-baseline method: its learning rate"
    )
    examples: int = Field(
        5, ge=0, le=50, description="Episodes of each split kept for the Meta page's viewer"
    )

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
