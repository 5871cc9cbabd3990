"""The T x T evaluation of a task stream, made cheap.

Each distinct test set is encoded once (a class-incremental stream has one, shared by every
task) and predicted once per stage with length-sorted batches, no gradients and autocast
(engine.training.predict); every task is then scored from those predictions on its own types.
So a stage costs one pass over the test data, not T. A protocol run (strategy.tasks.protocol)
also scores each stage the published way from the same predictions (`seen_types_score`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from engine.data.alignment import encode_sentences
from engine.data.tasks import TaskStream
from engine.data.types import Sentence
from engine.metrics.forgetting_detail import forgotten_examples, restrict_tags, type_drift
from engine.metrics.ner import NerReport, entity_report
from engine.protocols.metrics import StepScore, cl_step_score
from engine.training.predict import predict_tags

Tags = list[list[str]]


class StreamEvaluator:
    def __init__(
        self,
        stream: TaskStream,
        tokenizer: Any,
        max_length: int,
        device: torch.device,
        dtype: torch.dtype,
        pad_id: int,
    ):
        self.stream, self.device, self.dtype, self.pad_id = stream, device, dtype, pad_id
        self.test_sets: list[list[Sentence]] = []
        self.set_of_task: list[int] = []
        for task in stream.tasks:
            known = next((k for k, s in enumerate(self.test_sets) if s is task.test), None)
            if known is None:
                self.test_sets.append(task.test)
                known = len(self.test_sets) - 1
            self.set_of_task.append(known)
        self.windows = [encode_sentences(s, tokenizer, None, max_length) for s in self.test_sets]
        self.gold: list[Tags] = [[list(s.tags) for s in sents] for sents in self.test_sets]

    def predict(self, model: Any, id2label: dict[int, str]) -> list[Tags]:
        """Predicted tags of every test set (one pass each)."""
        return [
            predict_tags(model, sents, wins, id2label, self.device, self.dtype, self.pad_id)
            for sents, wins in zip(self.test_sets, self.windows, strict=True)
        ]

    def task_tags(self, predictions: list[Tags], j: int) -> tuple[Tags, Tags]:
        """Gold and predicted tags of task j's test data, restricted to task j's types."""
        k, types = self.set_of_task[j], self.stream.tasks[j].types
        gold = [restrict_tags(g, types) for g in self.gold[k]]
        pred = [restrict_tags(p, types) for p in predictions[k]]
        return gold, pred

    def reports(self, predictions: list[Tags]) -> list[NerReport]:
        """One report per task: R[i][j] is reports[j].f1 for the stage that predicted."""
        return [
            entity_report(*self.task_tags(predictions, j)) for j in range(len(self.set_of_task))
        ]

    def seen_types_score(self, predictions: list[Tags], t: int) -> StepScore:
        """CL-NER's step score after task t: task t's (whole) test set, micro- and macro-F1
        over every type of tasks 0..t (engine.protocols.metrics.cl_step_score)."""
        k = self.set_of_task[t]
        return cl_step_score(self.gold[k], predictions[k], self.stream.types_until(t), t)

    def pooled_report(self, predictions: list[Tags]) -> NerReport:
        """Micro scores over every task's test data together (each on its own types)."""
        gold: Tags = []
        pred: Tags = []
        for j in range(len(self.set_of_task)):
            g, p = self.task_tags(predictions, j)
            gold += g
            pred += p
        return entity_report(gold, pred)

    def drift(self, predictions: list[Tags], upto: int) -> dict[str, dict[str, Any]]:
        """Where the gold tokens of each type taught in tasks 0..upto went (same / O / other)."""
        merged: dict[str, dict[str, Any]] = {}
        for j in range(upto + 1):
            k = self.set_of_task[j]
            counts = type_drift(self.gold[k], predictions[k], self.stream.tasks[j].types)
            for name, c in counts.items():
                into = merged.setdefault(name, {"same": 0, "O": 0, "other": {}, "total": 0})
                into["same"] += c["same"]
                into["O"] += c["O"]
                into["total"] += c["total"]
                for other, n in c["other"].items():
                    into["other"][other] = into["other"].get(other, 0) + n
        return merged

    def forgotten(
        self, predictions_by_stage: Sequence[list[Tags]], j: int, limit: int
    ) -> list[dict[str, Any]]:
        """Task j's test sentences right after task j and wrong after the last task."""
        k, task = self.set_of_task[j], self.stream.tasks[j]
        sents = self.test_sets[k]
        return forgotten_examples(
            [s.tokens for s in sents],
            self.gold[k],
            [stage[k] for stage in predictions_by_stage],
            task.types,
            learned_at=j,
            limit=limit,
        )
