"""The continual strategy's section and the task stream it learns (engine.data.tasks)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from engine.strategies.registry import Section, register_strategy_config


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
