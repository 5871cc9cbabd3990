"""The meta methods: each one small config (torch-free) and one registration line.

A method's factory, `learner(config, encoder, setup) -> Learner` (setup: learner.LearnerSetup),
lives beside its learner (protonet.py, maml.py, ...) and is imported only when a run starts.
`legacy` maps the flat keys the section had before method configs (`inner_steps: 5`) to the
method's own fields; `meta_trained` False: the method has no meta-training episodes.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.strategies.methods import MethodConfig, register_method, tag


class MetaMethodConfig(MethodConfig):
    meta_trained: ClassVar[bool] = True  # False: no meta-training episodes are sampled


class ProtoNetConfig(MetaMethodConfig):
    """ProtoBERT: a query token takes the type of the nearest prototype (support mean)."""

    method: Literal["protonet"] = tag("protonet")


class NNShotConfig(MetaMethodConfig):
    """NNShot: a query token takes the type of its nearest support token."""

    method: Literal["nnshot"] = tag("nnshot")


class StructShotConfig(MetaMethodConfig):
    """StructShot: NNShot's token scores decoded by Viterbi over abstract tag transitions
    estimated on the meta-training types."""

    method: Literal["structshot"] = tag("structshot")
    tau: float = Field(
        0.32,
        gt=0.0,
        le=10.0,
        description="Temperature of the transitions: below 1 trusts the token scores more "
        "(Few-NERD uses 0.32 at 1~2 shot)",
    )


class _InnerLoop(MetaMethodConfig):
    inner_steps: int = Field(5, ge=1, le=200, description="SGD steps on each support set")
    inner_lr: float = Field(1e-2, gt=0.0, le=10.0, description="Inner SGD learning rate")
    head_init: Literal["prototypes", "zeros"] = Field(
        "prototypes",
        description="Each episode's head starts from the support prototypes (Proto-MAML) or "
        "from zeros (plain MAML)",
    )
    legacy: ClassVar[dict[str, str]] = {
        "inner_steps": "inner_steps", "inner_lr": "inner_lr", "head_init": "head_init"
    }  # fmt: skip


class MamlConfig(_InnerLoop):
    """First-order MAML: adapt on each support set (memory: one more copy of the weights)."""

    method: Literal["maml"] = tag("maml")


class ReptileConfig(_InnerLoop):
    """Reptile: move the start towards the weights adapted on each episode."""

    method: Literal["reptile"] = tag("reptile")


class FinetuneBaselineConfig(MetaMethodConfig):
    """The control: no meta-training, fine-tune on each test episode's support set."""

    method: Literal["finetune-baseline"] = tag("finetune-baseline")
    steps: int = Field(20, ge=1, le=1000, description="AdamW steps on each support set")
    lr: float = Field(1e-3, gt=0.0, le=1.0, description="Its learning rate")
    legacy: ClassVar[dict[str, str]] = {"finetune_steps": "steps", "finetune_lr": "lr"}
    meta_trained: ClassVar[bool] = False


PACKAGE = "engine.strategies.meta"
register_method("meta", ProtoNetConfig, f"{PACKAGE}.protonet:learner")
register_method("meta", NNShotConfig, f"{PACKAGE}.nnshot:learner")
register_method("meta", StructShotConfig, f"{PACKAGE}.structshot:learner")
register_method("meta", MamlConfig, f"{PACKAGE}.maml:learner")
register_method("meta", ReptileConfig, f"{PACKAGE}.reptile:learner")
register_method("meta", FinetuneBaselineConfig, f"{PACKAGE}.baseline:learner")
