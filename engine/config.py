"""The one validated run configuration: the wizard builds it, the CLI reads it, the worker gets it.

Every field has a default that works offline on a 2-core CPU; unknown keys and out-of-range values
are rejected with a message that names the field (`ConfigError`). Strategy sections are looked up
by `strategy.kind` in a registry so later strategies add their own typed section without touching
this file.

    cfg = load_config("examples/finetune_news.yaml", overrides=["train.epochs=1"])
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)


class ConfigError(ValueError):
    """A config that cannot be used; the message names each bad field."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DataConfig(Section):
    train: str = Field("builtin:news", description="Training data: builtin:NAME or a file path")
    dev: str | None = Field(
        None, description="Dev data; default: the builtin's dev split, else 10% of train"
    )
    test: str | None = Field(None, description="Test data; default: the builtin's test split")
    unknown_labels: Literal["map_to_o", "reject"] = Field(
        "map_to_o", description="Entity types seen only in dev/test: map them to O or refuse"
    )
    max_train_sentences: int | None = Field(
        None, ge=1, description="Use only the first N training sentences (quick demos)"
    )


class FinetuneStrategy(Section):
    kind: Literal["finetune"] = "finetune"
    mode: Literal["full", "frozen", "lora"] = Field(
        "full",
        description="full: all weights; frozen: head (+ top-k layers); lora: low-rank adapters",
    )
    trainable_layers: int = Field(
        0, ge=0, le=48, description="frozen mode: how many top encoder layers also train"
    )
    lora_r: int = Field(8, ge=1, le=256, description="LoRA rank")
    lora_alpha: int = Field(16, ge=1, le=1024, description="LoRA scaling numerator")
    lora_dropout: float = Field(0.1, ge=0.0, lt=1.0, description="Dropout on LoRA inputs")


# kind -> section model; strategies that land later register theirs with `register_strategy_config`.
STRATEGY_CONFIGS: dict[str, type[Section]] = {"finetune": FinetuneStrategy}


def register_strategy_config(kind: str, model: type[Section]) -> None:
    STRATEGY_CONFIGS[kind] = model


class DomainData(Section):
    """One dataset of a domain-incremental stream given as files."""

    train: str = Field(..., min_length=1, description="Training file or saved dataset")
    dev: str | None = Field(None, description="Dev file; default: 10% of train held out")
    test: str = Field(..., min_length=1, description="Test file (the task's test data)")


class TaskStreamConfig(Section):
    """How one run's data becomes a sequence of tasks (engine.data.tasks)."""

    by: Literal["types", "datasets"] = Field(
        "types",
        description="types: split the data section's entity types into tasks (class-incremental);"
        " datasets: one dataset per task (domain-incremental)",
    )
    order: list[list[str]] | None = Field(
        None, description="types: the entity types of each task, e.g. [[PER], [LOC, ORG]]"
    )
    first_types: int | None = Field(
        None, ge=1, description="types: how many types the first task has (FG-a of FG-a-PG-b)"
    )
    types_per_task: int = Field(
        1, ge=1, description="types: types per later task (PG-b); default one type per task"
    )
    type_order: Literal["sorted", "seeded"] = Field(
        "sorted", description="types without an order: alphabetical, or shuffled by train.seed"
    )
    fully_labelled: bool = Field(
        False,
        description="types: keep earlier tasks' types labelled in later tasks' data (idealised);"
        " off: they become O, the background shift of real annotation streams",
    )
    max_train_sentences: int | None = Field(
        None, ge=1, description="Use at most N training sentences per task (quick demos)"
    )
    datasets: list[str | DomainData] = Field(
        default_factory=list,
        description="datasets: builtin:NAME, a folder with train/dev/test files, or "
        "{train, dev, test} paths; one task each, in order",
    )

    @field_validator("order")
    @classmethod
    def _disjoint_tasks(cls, order: list[list[str]] | None) -> list[list[str]] | None:
        if order is None:
            return None
        if not order or any(not task for task in order):
            raise ValueError("every task needs at least one entity type")
        seen: set[str] = set()
        for task in order:
            for name in task:
                if name in seen:
                    raise ValueError(f"type {name!r} is in two tasks")
                seen.add(name)
        return order

    @model_validator(mode="after")
    def _fits_the_kind(self) -> TaskStreamConfig:
        if self.by == "datasets" and not self.datasets:
            raise ValueError("by: datasets needs a list of datasets")
        if self.by == "types" and self.datasets:
            raise ValueError("datasets are only used with by: datasets")
        if self.order is not None and self.first_types is not None:
            raise ValueError("give either order or first_types, not both")
        return self


class ContinualStrategy(Section):
    """A stream of tasks learned one after another; the `train` section applies to each task."""

    kind: Literal["continual"] = "continual"
    method: Literal["naive", "replay", "ewc", "lwf", "mapping", "joint"] = Field(
        "naive",
        description="naive: sequential fine-tuning; replay: rehearse a memory; ewc: elastic "
        "weights; lwf: distil the previous model; mapping: keep token representations in place;"
        " joint: train on all tasks so far (upper bound)",
    )
    tasks: TaskStreamConfig = Field(default_factory=TaskStreamConfig)
    memory_size: int = Field(
        200, ge=0, description="replay and mapping methods: sentences kept from earlier tasks"
    )
    memory_selection: Literal["reservoir", "type_balanced"] = Field(
        "reservoir",
        description="replay and mapping methods: reservoir sampling of the stream, or the same "
        "number of sentences for each entity type",
    )
    ewc_lambda: float = Field(
        1.0e4, ge=0.0, description="ewc method: weight of the penalty for moving important weights"
    )
    ewc_gamma: float = Field(
        1.0, ge=0.0, le=1.0, description="ewc method: decay of older tasks' Fisher (online EWC)"
    )
    ewc_fisher_batches: int = Field(
        50, ge=1, description="ewc method: training batches used to estimate the Fisher"
    )
    lwf_temperature: float = Field(
        2.0, gt=0.0, le=20.0, description="lwf method: softening of both models' logits"
    )
    lwf_weight: float = Field(
        1.0,
        ge=0.0,
        description="lwf method: weight of the old model's soft labels on O-labelled tokens",
    )
    mapping_distance: Literal["l2", "cosine"] = Field(
        "l2", description="mapping method: distance between old and new token representations"
    )
    mapping_weight: float = Field(
        1.0, ge=0.0, description="mapping method: weight (lambda) of the alignment loss"
    )
    mapping_replay: bool = Field(
        True,
        description="mapping method: also replay a memory (memory_size) and align on it; "
        "off: align on the current task's inputs only",
    )
    dev_per_task: bool = Field(
        True,
        description="Evaluate the task's dev data during training and keep its best weights",
    )
    forgotten_examples: int = Field(
        50, ge=0, le=1000, description="Forgotten test sentences kept per task for inspection"
    )


register_strategy_config("continual", ContinualStrategy)


class TrainConfig(Section):
    epochs: int = Field(3, ge=1, le=1000, description="Passes over the training data")
    max_steps: int | None = Field(None, ge=1, description="Stop after this many optimizer steps")
    batch_size: int = Field(16, ge=1, le=4096, description="Sentences (windows) per step")
    lr: float = Field(1e-4, gt=0.0, le=1.0, description="Peak learning rate (AdamW)")
    head_lr: float | None = Field(
        None, gt=0.0, le=1.0, description="Classifier head lr; default lr"
    )
    weight_decay: float = Field(0.01, ge=0.0, le=1.0, description="AdamW weight decay")
    warmup_ratio: float = Field(0.1, ge=0.0, le=0.9, description="Share of steps spent warming up")
    grad_clip: float = Field(1.0, gt=0.0, description="Gradient norm clip")
    seed: int = Field(13, ge=0, description="Seed for data order and initialisation")
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(
        "auto", description="auto: CUDA, MPS, CPU"
    )
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto", description="auto: bf16 where the hardware runs it fast, else fp32"
    )
    max_length: int = Field(
        128, ge=8, le=4096, description="Sub-tokens per window (longer sentences are windowed)"
    )
    eval_every: int | None = Field(
        None, ge=1, description="Evaluate on dev every N steps; default each epoch"
    )
    patience: int | None = Field(
        None, ge=1, description="Stop after N evaluations without dev-F1 gain"
    )
    log_every: int = Field(10, ge=1, description="Log training loss every N steps")
    group_by_length: bool = Field(True, description="Batch similar lengths together (less padding)")
    save_checkpoint: bool = Field(True, description="Keep the best checkpoint on disk")


# A learning rate that works for each built-in backbone: a pretrained encoder wants a small
# step, a model trained from scratch a large one (the wizard switches between them).
RECOMMENDED_LR: dict[str, float] = {"minilm-l6": 1e-4, "tiny": 3e-3}


class RunConfig(Section):
    name: str = Field("run", min_length=1, max_length=200, description="A name for the run")
    data: DataConfig = Field(default_factory=DataConfig)
    backbone: str = Field(
        "minilm-l6", min_length=1, description="minilm-l6, tiny, a local path or hf:ID"
    )
    strategy: SerializeAsAny[Section] = Field(default_factory=FinetuneStrategy)
    train: TrainConfig = Field(default_factory=TrainConfig)

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
