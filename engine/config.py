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
    task_checkpoints: bool = Field(
        True,
        description="Keep a checkpoint after each task (the Playground compares them); "
        "needs train.save_checkpoint",
    )
    pause_between_tasks: bool = Field(
        False,
        description="After each task, wait for the dashboard's Next task button before the "
        "next one (a teacher sets the pace); cancel still stops it",
    )


register_strategy_config("continual", ContinualStrategy)


class PretrainStrategy(Section):
    """Masked-language-model pretraining; the checkpoint is a backbone for later runs (run:ID)."""

    kind: Literal["pretrain"] = "pretrain"
    mode: Literal["continued", "from_scratch"] = Field(
        "continued",
        description="continued: keep training the backbone's weights (domain-adaptive "
        "pretraining); from_scratch: a new small BERT (scratch_size) with random weights",
    )
    corpus: str | None = Field(
        None,
        description="Text to learn from: builtin:NAME (its train split), a dataset file or "
        "folder (labels ignored), or a plain-text file with one document per line; "
        "default: the data section's train",
    )
    corpus_format: Literal["auto", "ner", "text"] = Field(
        "auto",
        description="auto: a file whose lines end in tags (O, B-X, ...) is NER data, else plain "
        "text; ner / text: say which",
    )
    max_documents: int | None = Field(
        None, ge=1, description="Use at most N documents (sentences or lines) of the corpus"
    )
    held_out: float = Field(
        0.05, ge=0.0, le=0.5, description="Share of documents kept out of training for perplexity"
    )
    mask_prob: float = Field(
        0.15, gt=0.0, lt=1.0, description="Share of sub-tokens to predict (80% [MASK], 10% random,"
        " 10% unchanged)"
    )  # fmt: skip
    whole_word_mask: bool = Field(
        True, description="Mask all sub-tokens of a chosen word together (whole-word masking)"
    )
    vocab: Literal["packaged", "corpus"] = Field(
        "packaged",
        description="from_scratch mode: packaged = the backbone's tokenizer (MiniLM's WordPiece "
        "for minilm-l6 and tiny); corpus = a WordPiece vocabulary trained on the corpus",
    )
    vocab_size: int = Field(
        8000, ge=100, le=200_000, description="from_scratch mode: size of a corpus vocabulary"
    )
    scratch_size: Literal["tiny", "small"] = Field(
        "tiny",
        description="from_scratch mode: tiny = 2 layers x 128 (the `tiny` backbone), "
        "small = 4 layers x 256",
    )


register_strategy_config("pretrain", PretrainStrategy)


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
    devices: int = Field(
        1,
        ge=1,
        le=64,
        description="Data-parallel processes (DDP): one per GPU, or N CPU processes (gloo); "
        "the global batch_size is split between them",
    )


class MappingConfig(Section):
    """Embedding mappings: token representations of a probe set captured at each stage."""

    enabled: bool = Field(
        True, description="Capture token representations before training, after it, after tasks"
    )
    probe_sentences: int = Field(
        150, ge=1, le=5000, description="Dev sentences in the probe set (the first N)"
    )
    max_tokens: int = Field(
        1500, ge=10, le=2000, description="Words kept per stage (entity words first, then O)"
    )
    layer: int = Field(
        -1, ge=-1, le=96, description="-1: last layer; 0: the embedding layer; k: encoder layer k"
    )
    projection: Literal["pca", "tsne", "umap"] = Field(
        "pca",
        description="pca: deterministic, fast; tsne: local neighbourhoods (slower); umap: needs "
        "the optional package umap-learn",
    )


# A learning rate that works for each built-in backbone: a pretrained encoder wants a small
# step, a model trained from scratch a large one (the wizard switches between them).
RECOMMENDED_LR: dict[str, float] = {"minilm-l6": 1e-4, "tiny": 3e-3, "tiny-corpus": 3e-3}


# Strategies whose training runs through engine.training.loop.fit, so train.devices > 1 works.
DATA_PARALLEL_KINDS = ("finetune", "continual")


class RunConfig(Section):
    name: str = Field("run", min_length=1, max_length=200, description="A name for the run")
    data: DataConfig = Field(default_factory=DataConfig)
    backbone: str = Field(
        "minilm-l6",
        min_length=1,
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
