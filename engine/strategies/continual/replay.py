"""Experience replay: keep a few sentences of each task and train on them with every later task.

Selection: `reservoir` (every sentence seen so far equally likely to be kept) or
`type_balanced` (the same number of sentences for each entity type seen so far). Sentences are
kept as they were annotated in their own task.
"""

from __future__ import annotations

import random

from engine.data.tasks import sentence_types
from engine.data.types import Sentence
from engine.strategies.continual.methods import ReplayConfig
from engine.strategies.continual.plugin import ContinualPlugin, TaskState


class ReplayBuffer:
    def __init__(self, size: int, selection: str = "reservoir", seed: int = 0):
        if selection not in ("reservoir", "type_balanced"):
            raise ValueError(f"selection must be reservoir or type_balanced, not {selection!r}")
        self.size, self.selection = size, selection
        self.rng = random.Random(seed)
        self.sentences: list[Sentence] = []
        self.seen = 0  # sentences offered so far (reservoir sampling)

    def add(self, sentences: list[Sentence]) -> None:
        """Offer one task's sentences to the memory."""
        if self.selection == "reservoir":
            self._reservoir(sentences)
        else:
            self._type_balanced(sentences)

    def _reservoir(self, sentences: list[Sentence]) -> None:
        for s in sentences:
            self.seen += 1
            if len(self.sentences) < self.size:
                self.sentences.append(s)
            else:
                j = self.rng.randrange(self.seen)
                if j < self.size:
                    self.sentences[j] = s

    def _type_balanced(self, sentences: list[Sentence]) -> None:
        """Round-robin over types: each turn a type takes one more sentence that contains it."""
        pool = self.sentences + self.rng.sample(sentences, len(sentences))
        by_type: dict[str, list[int]] = {}
        for i, s in enumerate(pool):
            for t in sorted(sentence_types(s)):
                by_type.setdefault(t, []).append(i)
        chosen: list[int] = []
        taken: set[int] = set()
        queues = {t: iter(ids) for t, ids in sorted(by_type.items())}
        while queues and len(chosen) < self.size:
            for t in list(queues):
                i = next((i for i in queues[t] if i not in taken), None)
                if i is None:
                    del queues[t]
                    continue
                chosen.append(i)
                taken.add(i)
                if len(chosen) == self.size:
                    break
        self.sentences = [pool[i] for i in sorted(chosen)]


class ReplayPlugin(ContinualPlugin):
    def __init__(self, size: int, selection: str, seed: int):
        self.memory = ReplayBuffer(size, selection, seed)

    def training_data(self, state: TaskState, sentences: list[Sentence]) -> list[Sentence]:
        return sentences + self.memory.sentences

    def after_task(self, state: TaskState) -> None:
        self.memory.add(state.task.train)


def plugins(config: ReplayConfig, seed: int) -> list[ContinualPlugin]:
    return [ReplayPlugin(config.memory_size, config.selection, seed)]
