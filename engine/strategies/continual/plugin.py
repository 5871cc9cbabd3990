"""The plugin API of the continual loop: hooks with no-op defaults (Avalanche-style).

For each task the loop calls, on every plugin in order:

    before_task(state)                      the head has grown; nothing trained yet
    training_data(state, sentences) -> ...  the sentences to train on (replay appends a memory,
                                            joint swaps in every task so far)
    extra_loss(model, batch, outputs)       added to the task loss at every step (None: nothing)
    after_task(state)                       trained; snapshot a teacher, a Fisher, a memory...

`naive` is the loop with no plugin at all. A method's factory, `plugins(config, seed)`, builds
its plugins from its config (registered in continual/methods.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from engine.data.alignment import Window
from engine.data.tasks import Task, TaskStream
from engine.data.types import Sentence


@dataclass
class TaskState:
    """What the plugins see of the task being learned."""

    index: int
    task: Task
    stream: TaskStream
    model: Any  # the model being trained, its head already grown for this task
    labels: list[str]  # current label list; ids never change, new labels are appended
    device: torch.device
    dtype: torch.dtype
    pad_id: int
    batch_size: int
    seed: int
    encode: Callable[[Sequence[Sentence]], list[Window]]  # sentences -> windows (current labels)
    train_windows: list[Window] = field(default_factory=list)  # what fit() trained on

    @property
    def seen_types(self) -> list[str]:
        return self.stream.types_until(self.index)


class ContinualPlugin:
    """Base class: every hook does nothing."""

    # Set by before_task when the method has something to say about the task it prepared:
    # `note` one line for the run log, `facts` the same as data (a "method_facts" run record).
    note: str | None = None
    facts: dict[str, Any] | None = None

    def before_task(self, state: TaskState) -> None:
        return None

    def training_data(self, state: TaskState, sentences: list[Sentence]) -> list[Sentence]:
        return sentences

    def extra_loss(
        self, model: Any, batch: dict[str, torch.Tensor], outputs: Any
    ) -> torch.Tensor | None:
        return None

    def after_task(self, state: TaskState) -> None:
        return None


def no_plugins(config: Any, seed: int) -> list[ContinualPlugin]:
    """The `naive` method's factory: the loop as it is."""
    return []


def frozen_copy(model: Any) -> Any:
    """A copy of `model` in eval mode whose weights never train (the teacher of LwF/mapping)."""
    teacher = copy.deepcopy(model).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher
