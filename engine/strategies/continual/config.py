"""The continual strategy's section and the task stream it learns (engine.data.tasks, or a
published protocol's construction: engine.protocols.stream); each method's own settings are in
continual/methods.py."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

import engine.strategies.continual.methods  # noqa: F401  (registers the continual methods)
from engine.strategies.methods import MethodStrategy
from engine.strategies.registry import Section, register_strategy_config


class DomainData(Section):
    """One dataset of a domain-incremental stream given as files."""

    train: str = Field(..., min_length=1, description="Training file or saved dataset")
    dev: str | None = Field(None, description="Dev file; default: 10% of train held out")
    test: str = Field(..., min_length=1, description="Test file (the task's test data)")


# CL-NER protocol names (engine.protocols.cl_ner); parsed here, not imported: that module
# imports engine.data.tasks, which imports this config
PROTOCOL_NAME = re.compile(r"^cl-ner-fg([1-9][0-9]*)-pg([1-9][0-9]*)$")


class TaskStreamConfig(Section):
    """How one run's data becomes a sequence of tasks (engine.data.tasks)."""

    by: Literal["types", "datasets"] = Field(
        "types",
        title="Tasks from",
        description="types: split the data section's entity types into tasks (class-incremental);"
        " datasets: one dataset per task (domain-incremental)",
    )
    order: list[list[str]] | None = Field(
        None,
        title="Task order",
        description="types: the entity types of each task, e.g. [[PER], [LOC, ORG]]",
    )
    first_types: int | None = Field(
        None,
        ge=1,
        title="Types in the first task",
        description="types: how many types the first task has (FG-a of FG-a-PG-b)",
    )
    types_per_task: int = Field(
        1,
        ge=1,
        title="Types per later task",
        description="types: types per later task (PG-b); default one type per task",
    )
    type_order: Literal["sorted", "seeded"] = Field(
        "sorted",
        title="Type order",
        description="types without an order: alphabetical, or shuffled by the run's seed",
    )
    fully_labelled: bool = Field(
        False,
        title="Keep earlier types labelled",
        description="types: keep earlier tasks' types labelled in later tasks' data (idealised);"
        " off: they become O, the background shift of real annotation streams",
    )
    max_train_sentences: int | None = Field(
        None,
        ge=1,
        title="Training sentences per task (at most)",
        description="Use at most N training sentences per task (quick demos)",
    )
    protocol: str | None = Field(
        None,
        title="Published protocol",
        description="types: build the tasks as a published protocol does, e.g. cl-ner-fg1-pg1 "
        "(CFNER's FG-a-PG-b: each training sentence in one step, by its rarest type; the whole "
        "dev and test sets) and score each step the published way (Mi/Ma-F1 on all seen types)",
    )
    datasets: list[str | DomainData] = Field(
        default_factory=list,
        title="Datasets, one task each",
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

    @model_validator(mode="before")
    @classmethod
    def _protocol_sizes(cls, raw: Any) -> Any:
        """A protocol fixes FG-a-PG-b: first_types and types_per_task follow from its name
        (so estimates and previews that read them see the protocol's steps)."""
        match = (
            PROTOCOL_NAME.match(str(raw.get("protocol") or "")) if isinstance(raw, dict) else None
        )
        if match is None:
            return raw
        fg, pg = int(match[1]), int(match[2])
        return {**raw, "first_types": None if raw.get("order") else fg, "types_per_task": pg}

    @model_validator(mode="after")
    def _fits_the_kind(self) -> TaskStreamConfig:
        if self.by == "datasets" and not self.datasets:
            raise ValueError("by: datasets needs a list of datasets")
        if self.by == "types" and self.datasets:
            raise ValueError("datasets are only used with by: datasets")
        if self.order is not None and self.first_types is not None:
            raise ValueError("give either order or first_types, not both")
        if self.protocol is not None:
            self._check_protocol(self.protocol)
        return self

    def _check_protocol(self, name: str) -> None:
        match = PROTOCOL_NAME.match(name)
        if match is None:
            raise ValueError(f"unknown protocol {name!r}; e.g. cl-ner-fg1-pg1 or cl-ner-fg2-pg1")
        if self.by != "types":
            raise ValueError("a protocol splits one dataset by type: use it with by: types")
        if self.fully_labelled:
            raise ValueError(f"{name} relabels other types as O: fully_labelled must be off")
        fg, pg = int(match[1]), int(match[2])
        sizes = [len(task) for task in self.order or []]
        if sizes and (sizes[0] != fg or any(n != pg for n in sizes[1:])):
            raise ValueError(f"{name} needs an order of {fg} type(s) first, then {pg} per task")


class ContinualStrategy(MethodStrategy):
    """A stream of tasks learned one after another; the `train` section applies to each task.
    `method` is a registered continual method (continual/methods.py), `params` its settings."""

    method_kind: ClassVar[str] = "continual"
    kind: Literal["continual"] = "continual"
    method: str = Field(
        "naive",
        title="Continual method",
        description="How the model learns the stream of tasks (naive: sequential fine-tuning, "
        "the lower bound; joint: all tasks so far, the upper bound); each method has its own "
        "settings",
    )
    tasks: TaskStreamConfig = Field(default_factory=TaskStreamConfig, title="Task stream")
    dev_per_task: bool = Field(
        True,
        title="Dev evaluation per task",
        description="Evaluate the task's dev data during training and keep its best weights",
    )
    forgotten_examples: int = Field(
        50,
        ge=0,
        le=1000,
        title="Forgotten sentences kept",
        description="Forgotten test sentences kept per task for inspection",
    )
    task_checkpoints: bool = Field(
        True,
        title="Checkpoint after each task",
        description="Keep a checkpoint after each task (the Playground compares them); "
        "needs the training setting Save the best checkpoint",
    )
    pause_between_tasks: bool = Field(
        False,
        title="Pause between tasks",
        description="After each task, wait for the dashboard's Next task button before the "
        "next one (a teacher sets the pace); cancel still stops it",
    )


register_strategy_config("continual", ContinualStrategy)
