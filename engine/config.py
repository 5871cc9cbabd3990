"""The one validated run configuration: the wizard builds it, the CLI reads it, the worker gets it.

Every field has a default that works offline on a 2-core CPU; unknown keys and out-of-range values
are rejected with a message that names the field (`ConfigError`). Strategy sections are looked up
by `strategy.kind` in a registry (engine/strategies/registry.py); each kind's section lives in
its folder (engine/strategies/<kind>/config.py) and registers itself. The continual and meta
sections name a registered method (`method`) and hold its own settings (`params`); see
engine/strategies/methods.py.

    cfg = load_config("examples/finetune_news.yaml", overrides=["train.epochs=1"])
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

from engine.strategies.methods import MethodConfig as MethodConfig
from engine.strategies.methods import MethodStrategy as MethodStrategy
from engine.strategies.methods import method_of as method_of
from engine.strategies.methods import methods as registered_methods  # noqa: F401  (for pages)
from engine.strategies.methods import register_method as register_method
from engine.strategies.registry import STRATEGY_CONFIGS as STRATEGY_CONFIGS
from engine.strategies.registry import ConfigError as ConfigError
from engine.strategies.registry import Section as Section
from engine.strategies.registry import register_strategy_config as register_strategy_config


class DataConfig(Section):
    train: str = Field(
        "builtin:news",
        title="Training data",
        description="Training data: builtin:NAME or a file path",
    )
    dev: str | None = Field(
        None,
        title="Dev data",
        description="Dev data; default: the builtin's dev split, else 10% of train",
    )
    test: str | None = Field(
        None, title="Test data", description="Test data; default: the builtin's test split"
    )
    unknown_labels: Literal["map_to_o", "reject"] = Field(
        "map_to_o",
        title="Types only in dev or test",
        description="Entity types seen only in dev/test: map them to O or refuse",
    )
    max_train_sentences: int | None = Field(
        None,
        ge=1,
        title="Training sentences (at most)",
        description="Use only the first N training sentences (quick demos)",
    )


# Each strategy's section lives in its own module and registers itself on import; re-exported
# here so pages and callers keep importing every section from engine.config.
from engine.strategies.continual.config import ContinualStrategy as ContinualStrategy  # noqa: E402
from engine.strategies.continual.config import DomainData as DomainData  # noqa: E402
from engine.strategies.continual.config import TaskStreamConfig as TaskStreamConfig  # noqa: E402
from engine.strategies.finetune.config import FinetuneStrategy as FinetuneStrategy  # noqa: E402
from engine.strategies.meta.config import EpisodeCounts as EpisodeCounts  # noqa: E402
from engine.strategies.meta.config import MetaStrategy as MetaStrategy  # noqa: E402
from engine.strategies.pretrain.config import PretrainStrategy as PretrainStrategy  # noqa: E402


class TrainConfig(Section):
    epochs: int = Field(
        3, ge=1, le=1000, title="Epochs", description="Passes over the training data"
    )
    max_steps: int | None = Field(
        None, ge=1, title="Steps (at most)", description="Stop after this many optimizer steps"
    )
    batch_size: int = Field(
        16, ge=1, le=4096, title="Batch size", description="Sentences (windows) per step"
    )
    lr: float = Field(
        1e-4, gt=0.0, le=1.0, title="Learning rate", description="Peak learning rate (AdamW)"
    )
    head_lr: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        title="Head learning rate",
        description="Classifier head lr; default lr",
    )
    weight_decay: float = Field(
        0.01, ge=0.0, le=1.0, title="Weight decay", description="AdamW weight decay"
    )
    warmup_ratio: float = Field(
        0.1, ge=0.0, le=0.9, title="Warm-up share", description="Share of steps spent warming up"
    )
    grad_clip: float = Field(
        1.0, gt=0.0, title="Gradient clipping", description="Gradient norm clip"
    )
    seed: int = Field(
        13, ge=0, title="Random seed", description="Seed for data order and initialisation"
    )
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        "auto", title="Device", description="Automatic: CUDA, else MPS, else the CPU"
    )
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto",
        title="Precision",
        description="auto: bf16 where the hardware runs it fast, else fp32",
    )
    max_length: int = Field(
        128,
        ge=8,
        le=4096,
        title="Sub-tokens per window",
        description="Sub-tokens per window (longer sentences are windowed)",
    )
    eval_every: int | None = Field(
        None,
        ge=1,
        title="Evaluate every N steps",
        description="Evaluate on dev every N steps; default each epoch",
    )
    patience: int | None = Field(
        None,
        ge=1,
        title="Patience (evaluations)",
        description="Stop after N evaluations without dev-F1 gain",
    )
    log_every: int = Field(
        10, ge=1, title="Log every N steps", description="Log training loss every N steps"
    )
    group_by_length: bool = Field(
        True, title="Batch by length", description="Batch similar lengths together (less padding)"
    )
    batching: Literal["sentences", "tokens"] = Field(
        "sentences",
        title="Batch size counts",
        description="sentences: batch size sentences a step; tokens: as many sentences as fit "
        "batch size x the mean sentence length in padded tokens (about equal work each step)",
    )
    compile: bool = Field(
        False,
        title="Compile the model",
        description="torch.compile the training forward (needs a C compiler; without one, or if "
        "compiling fails, the run says so in its log and trains as usual)",
    )
    save_checkpoint: bool = Field(
        True, title="Save the best checkpoint", description="Keep the best checkpoint on disk"
    )
    devices: int = Field(
        1,
        ge=1,
        le=64,
        title="Parallel processes",
        description="Data-parallel processes (DDP): one per GPU, or N CPU processes (gloo); "
        "the global batch size is split between them",
    )
    launcher: Literal["lab", "torchrun"] = Field(
        "lab",
        title="Process launcher",
        description="Who starts the parallel processes: the lab (this machine), or PyTorch's "
        "torchrun (restarts, and more machines can join: docs/scaling.md)",
    )


class MappingConfig(Section):
    """Embedding mappings: token representations of a probe set captured at each stage."""

    enabled: bool = Field(
        True,
        title="Capture representations",
        description="Capture token representations before training, after it, after tasks",
    )
    probe_sentences: int = Field(
        150,
        ge=1,
        le=5000,
        title="Probe sentences",
        description="Dev sentences in the probe set (the first N)",
    )
    max_tokens: int = Field(
        1500,
        ge=10,
        le=2000,
        title="Words kept per stage",
        description="Words kept per stage (entity words first, then O)",
    )
    layer: int = Field(
        -1,
        ge=-1,
        le=96,
        title="Layer",
        description="-1: last layer; 0: the embedding layer; k: encoder layer k",
    )
    projection: Literal["pca", "tsne", "umap"] = Field(
        "pca",
        title="Projection",
        description="pca: deterministic, fast; tsne: local neighbourhoods (slower); umap: needs "
        "the optional package umap-learn",
    )


# A learning rate that works for each built-in backbone: a pretrained encoder wants a small
# step, a model trained from scratch a large one (the wizard switches between them).
RECOMMENDED_LR: dict[str, float] = {"minilm-l6": 1e-4, "tiny": 3e-3, "tiny-corpus": 3e-3}


# Strategies whose training runs through engine.training.loop.fit, so train.devices > 1 works.
DATA_PARALLEL_KINDS = ("finetune", "continual")


class RunConfig(Section):
    name: str = Field(
        "run", min_length=1, max_length=200, title="Run name", description="A name for the run"
    )
    data: DataConfig = Field(default_factory=DataConfig)
    backbone: str = Field(
        "minilm-l6",
        min_length=1,
        title="Backbone",
        description="minilm-l6, tiny, tiny-corpus (tiny with a vocabulary built from the training "
        "data), run:ID (a finished run's checkpoint), a local path or hf:ID",
    )
    strategy: SerializeAsAny[Section] = Field(default_factory=FinetuneStrategy)
    train: TrainConfig = Field(default_factory=TrainConfig)
    mapping: MappingConfig = Field(default_factory=MappingConfig)

    @field_validator("strategy", mode="before")
    @classmethod
    def _strategy_by_kind(cls, value: Any) -> Section:
        if isinstance(value, Section):
            return value
        if not isinstance(value, dict):
            raise ValueError("must be a mapping with a 'kind'")
        kind = value.get("kind", "finetune")
        model = STRATEGY_CONFIGS.get(kind)
        if model is None:
            raise ValueError(f"unknown kind {kind!r}; choose one of {sorted(STRATEGY_CONFIGS)}")
        return model.model_validate(value)

    @model_validator(mode="after")
    def _data_parallel_strategies(self) -> RunConfig:
        # DDP lives in the shared training loop (engine.training.distributed); other
        # strategies have loops of their own.
        if self.train.devices > 1 and self.strategy.kind not in DATA_PARALLEL_KINDS:
            raise ValueError(
                f"train.devices > 1 runs the {' and '.join(DATA_PARALLEL_KINDS)} strategies "
                f"only, not {self.strategy.kind}"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


def _format_errors(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{loc or '(top level)'}: {msg}")
    return "; ".join(lines)


def parse_config(raw: dict[str, Any] | None) -> RunConfig:
    """Validate a plain mapping; raise ConfigError naming every bad field."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            "config must be a mapping of sections (name, data, backbone, strategy, train)"
        )
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_format_errors(err)) from None


def apply_overrides(raw: dict[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """Apply `key.path=value` strings (values parsed as YAML) to a nested mapping, in place."""
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {item!r}: expected key.path=value")
        value = yaml.safe_load(text) if text.strip() else None
        node = raw
        parts = key.strip().split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {item!r}: {part} is not a section")
            node = child
        node[parts[-1]] = value
    return raw


def load_config(
    path: str | Path | None = None,
    overrides: Iterable[str] = (),
    base: dict[str, Any] | None = None,
) -> RunConfig:
    """Read YAML (or start from `base`, e.g. a stored run's config), apply --set overrides."""
    raw: dict[str, Any] = copy.deepcopy(base) if base is not None else {}
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"{path}: cannot read ({err.strerror or err})") from None
        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML ({err})") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: the top level must be a mapping")
    return parse_config(apply_overrides(raw, overrides))
