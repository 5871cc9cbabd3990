"""Joint training, the upper bound: each task trains on every task's data so far, with every
entity type seen so far labelled (no background shift, nothing to forget)."""

from __future__ import annotations

from engine.data.tasks import keep_types
from engine.data.types import Sentence
from engine.strategies.continual.methods import JointConfig
from engine.strategies.continual.plugin import ContinualPlugin, TaskState


class JointPlugin(ContinualPlugin):
    def training_data(self, state: TaskState, sentences: list[Sentence]) -> list[Sentence]:
        seen = state.seen_types
        tasks = state.stream.tasks[: state.index + 1]
        return [keep_types(s, seen) for task in tasks for s in task.train_gold]


def plugins(config: JointConfig, seed: int) -> list[ContinualPlugin]:
    return [JointPlugin()]
