"""The continual methods: each one small config (torch-free) and one registration line.

A method's factory, `plugins(config, seed) -> list[ContinualPlugin]`, lives beside its plugin
(replay.py, ewc.py, ...) and is imported only when a run starts. `legacy` maps the flat keys the
section had before method configs (`ewc_lambda: 500`) to the method's own fields.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.strategies.methods import MethodConfig, register_method, tag

Selection = Literal["reservoir", "type_balanced"]


class NaiveConfig(MethodConfig):
    """Sequential fine-tuning: the loop with no plugin (the lower bound)."""

    method: Literal["naive"] = tag("naive")


class ReplayConfig(MethodConfig):
    """Rehearse a memory of earlier tasks' sentences with every later task."""

    method: Literal["replay"] = tag("replay")
    memory_size: int = Field(200, ge=0, description="Sentences kept from earlier tasks")
    selection: Selection = Field(
        "reservoir",
        description="reservoir sampling of the stream, or the same number of sentences for "
        "each entity type",
    )
    legacy: ClassVar[dict[str, str]] = {
        "memory_size": "memory_size",
        "memory_selection": "selection",
    }


class EwcConfig(MethodConfig):
    """Online EWC: penalise moving the weights that mattered for earlier tasks."""

    method: Literal["ewc"] = tag("ewc")
    lam: float = Field(
        1.0e4, ge=0.0, description="Weight of the penalty for moving important weights"
    )
    gamma: float = Field(
        1.0, ge=0.0, le=1.0, description="Decay of older tasks' Fisher (online EWC)"
    )
    fisher_batches: int = Field(
        50, ge=1, description="Training batches used to estimate the Fisher"
    )
    legacy: ClassVar[dict[str, str]] = {
        "ewc_lambda": "lam", "ewc_gamma": "gamma", "ewc_fisher_batches": "fisher_batches"
    }  # fmt: skip


class LwfConfig(MethodConfig):
    """Learning without forgetting (ExtendNER): the previous model teaches the old types."""

    method: Literal["lwf"] = tag("lwf")
    temperature: float = Field(2.0, gt=0.0, le=20.0, description="Softening of both models' logits")
    weight: float = Field(
        1.0, ge=0.0, description="Weight of the old model's soft labels on O-labelled tokens"
    )
    legacy: ClassVar[dict[str, str]] = {"lwf_temperature": "temperature", "lwf_weight": "weight"}


class MappingAlignConfig(MethodConfig):
    """Keep token representations where the previous model put them (alignment loss)."""

    method: Literal["mapping"] = tag("mapping")
    distance: Literal["l2", "cosine"] = Field(
        "l2", description="Distance between old and new token representations"
    )
    weight: float = Field(1.0, ge=0.0, description="Weight (lambda) of the alignment loss")
    replay: bool = Field(
        True,
        description="Also replay a memory and align on it; off: align on the current task's "
        "inputs only",
    )
    memory_size: int = Field(200, ge=0, description="Sentences kept from earlier tasks")
    selection: Selection = Field("reservoir", description="How the replayed memory is chosen")
    legacy: ClassVar[dict[str, str]] = {
        "mapping_distance": "distance", "mapping_weight": "weight", "mapping_replay": "replay",
        "memory_size": "memory_size", "memory_selection": "selection",
    }  # fmt: skip


class JointConfig(MethodConfig):
    """Train on every task so far with every seen type labelled (the upper bound)."""

    method: Literal["joint"] = tag("joint")


def _threshold() -> float:
    return Field(
        0.9,
        gt=0.0,
        le=1.0,
        description="An O token takes the old model's type when the old model is at least "
        "this sure of it",
    )


ThresholdRule = Literal["class_median", "fixed"]


def _threshold_rule() -> ThresholdRule:
    return Field(
        "class_median",
        description="class_median: each old label's own threshold, the median confidence of "
        "the O words the old model gives it, never above `threshold` (RDP's class-wise rule); "
        "fixed: `threshold` for every label",
    )


class PseudoLabelConfig(MethodConfig):
    """The previous model labels the O tokens of new data with old types it is sure of."""

    method: Literal["pseudo_label"] = tag("pseudo_label")
    threshold: float = _threshold()
    threshold_rule: ThresholdRule = _threshold_rule()


class PseudoLwfConfig(MethodConfig):
    """Pseudo-labels where the old model is sure, its soft labels (LwF) on the other O tokens."""

    method: Literal["pseudo_lwf"] = tag("pseudo_lwf")
    threshold: float = _threshold()
    threshold_rule: ThresholdRule = _threshold_rule()
    temperature: float = Field(2.0, gt=0.0, le=20.0, description="Softening of both models' logits")
    weight: float = Field(
        1.0, ge=0.0, description="Weight of the soft labels on the other O tokens"
    )


PACKAGE = "engine.strategies.continual"
register_method("continual", NaiveConfig, f"{PACKAGE}.plugin:no_plugins")
register_method("continual", ReplayConfig, f"{PACKAGE}.replay:plugins")
register_method("continual", EwcConfig, f"{PACKAGE}.ewc:plugins")
register_method("continual", LwfConfig, f"{PACKAGE}.lwf:plugins")
register_method("continual", MappingAlignConfig, f"{PACKAGE}.mapping:plugins")
register_method("continual", JointConfig, f"{PACKAGE}.joint:plugins")
register_method("continual", PseudoLabelConfig, f"{PACKAGE}.pseudo:plugins")
register_method("continual", PseudoLwfConfig, f"{PACKAGE}.pseudo:plugins")
