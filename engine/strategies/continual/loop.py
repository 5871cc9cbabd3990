"""The one continual loop: every method is this loop plus plugins (engine.strategies.continual).

evaluate every task's test data               -> baseline row b
for each task t:
    grow the head by t's new labels (old rows kept)
    plugins.before_task (a plugin's note -> the log, its facts -> a `method_facts` record)
    data = plugins.training_data(task t's sentences)
    fit(model, data, hooks=plugins)           (engine.training.loop: the fine-tuning loop)
    plugins.after_task
    evaluate every task's test data           -> row R[t], per-type F1, type drift
forgotten examples; ACC / BWT / FWT / forgetting -> tracker.update_summary(continual=...)

A protocol stream (strategy.tasks.protocol) also logs a `protocol_step` record per task (Mi/Ma-F1
on all seen types, engine.protocols.stream) and the summary's `protocol` section.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from engine.config import ContinualStrategy, TrainConfig
from engine.data.alignment import encode_sentences
from engine.data.tasks import TaskStream
from engine.data.types import Sentence
from engine.metrics.continual import continual_summary
from engine.metrics.forgetting_detail import restrict_tags
from engine.metrics.ner import NerReport, entity_report
from engine.models.head import grow_head
from engine.protocols.stream import protocol_summary, step_record
from engine.strategies.continual.evaluation import StreamEvaluator, Tags
from engine.strategies.continual.plugin import ContinualPlugin, TaskState
from engine.strategies.methods import get_method
from engine.tracking.tracker import Tracker
from engine.training.loop import fit
from engine.training.predict import predict_tags

GATE_POLL_S = 0.5  # a paced run checks its Next task gate this often
GATE_FLUSH_EVERY = 4  # polls between flushes (heartbeats) while it waits


def make_plugins(strategy: ContinualStrategy, seed: int) -> list[ContinualPlugin]:
    """The plugins of `strategy.method`, from its registered factory (naive: none)."""
    factory = get_method("continual", strategy.method).load()
    return list(factory(strategy.params, seed))


def labels_until(stream: TaskStream, t: int) -> list[str]:
    """ "O" then B-/I- of each type in arrival order: each task's labels extend the previous."""
    return ["O"] + [f"{p}-{x}" for x in stream.types_until(t) for p in ("B", "I")]


def stage_name(row: int) -> str:
    return "baseline" if row < 0 else f"after-task-{row}"


@dataclass
class StreamResult:
    baseline: list[float] = field(default_factory=list)
    matrix: list[list[float]] = field(default_factory=list)  # one row per finished task
    final_report: NerReport | None = None  # every task's test data pooled, after the last task
    summary: dict[str, Any] | None = None  # ACC/BWT/FWT/forgetting; None when stopped early
    protocol_steps: list[dict[str, Any]] = field(default_factory=list)  # protocol runs only
    protocol: dict[str, Any] | None = None  # the summary's protocol section, when finished
    steps: int = 0
    train_seconds: float = 0.0  # inside fit(): training steps and dev evaluations
    eval_seconds: float = 0.0  # the (T + 1) x T test evaluation
    total_seconds: float = 0.0
    stopped: bool = False


@dataclass
class ContinualLoop:
    model: Any
    tokenizer: Any
    stream: TaskStream
    strategy: ContinualStrategy
    train: TrainConfig
    tracker: Tracker
    device: torch.device
    dtype: torch.dtype
    pad_id: int
    plugins: Sequence[ContinualPlugin] = ()
    say: Callable[[str], None] = print
    progress: bool = True
    on_task_end: Callable[[int], None] | None = None  # after task t is learned and scored

    def run(self) -> StreamResult:
        started = time.perf_counter()
        res = StreamResult()
        evaluator = StreamEvaluator(
            self.stream, self.tokenizer, self.train.max_length, self.device, self.dtype, self.pad_id
        )
        grow_head(self.model, labels_until(self.stream, 0))
        res.baseline = self._evaluate(evaluator, -1, res)[0]
        stages: list[list[Tags]] = []
        for t, task in enumerate(self.stream.tasks):
            if t > 0 and self.strategy.pause_between_tasks and not self._wait_for_gate(t):
                res.stopped = True
                break
            if not self._learn(t, res):
                res.stopped = True
                break
            row, predictions = self._evaluate(evaluator, t, res)
            res.matrix.append(row)
            stages.append(predictions)
            if self.on_task_end is not None:
                self.on_task_end(t)
            self.say(f"after {task.name}: F1 per task " + " ".join(f"{f:.2f}" for f in row))
        if not res.stopped:
            self._finish(evaluator, stages, res)
        res.total_seconds = time.perf_counter() - started
        return res

    def _wait_for_gate(self, t: int) -> bool:
        """A paced run (pause_between_tasks): wait until the tracker's gate allows task t (the
        dashboard's Next task button); False when asked to stop meanwhile. Flushing while it
        waits also refreshes the heartbeat, so a paused run never looks lost."""
        if self.tracker.task_allowed(t):
            return True
        self.tracker.pause_before(t)  # pages offer the "Next task" button while it waits
        self.say(f"paused before {self.stream.tasks[t].name}: waiting for Next task")
        try:
            waited = 0
            while not self.tracker.task_allowed(t):
                if self.tracker.should_stop():
                    return False
                time.sleep(GATE_POLL_S)
                waited += 1
                if waited % GATE_FLUSH_EVERY == 0:
                    self.tracker.flush()
        finally:
            self.tracker.pause_before(None)
        return True

    def _learn(self, t: int, res: StreamResult) -> bool:
        """Train task t with the plugins' hooks; False when the run was asked to stop."""
        task = self.stream.tasks[t]
        labels = labels_until(self.stream, t)
        grow_head(self.model, labels)
        state = TaskState(
            t,
            task,
            self.stream,
            self.model,
            labels,
            self.device,
            self.dtype,
            self.pad_id,
            self.train.batch_size,
            self.train.seed,
            encode=lambda sents: self._encode(sents, labels),
        )
        for plugin in self.plugins:
            plugin.before_task(state)
            if plugin.note:
                self.say(f"{task.name}: {plugin.note}")
            if plugin.facts:
                self.tracker.log_record("method_facts", f"task-{t}", {"task": t} | plugin.facts)
        sentences = list(task.train)
        for plugin in self.plugins:
            sentences = plugin.training_data(state, sentences)
        state.train_windows = state.encode(sentences)
        self.say(f"{task.name}: training on {len(sentences)} sentences")
        fitted = fit(
            self.model,
            state.train_windows,
            cfg=self.train,
            device=self.device,
            dtype=self.dtype,
            pad_id=self.pad_id,
            tracker=self.tracker,
            evaluate_dev=self._dev_evaluator(task.dev, task.labelled, labels),
            hooks=self.plugins,
            task=t,
            step_offset=res.steps,
            progress=self.progress,
        )
        res.steps += fitted.steps
        res.train_seconds += fitted.train_seconds
        if fitted.stopped:
            return False
        for plugin in self.plugins:
            plugin.after_task(state)
        return True

    def _encode(self, sentences: Sequence[Sentence], labels: list[str]):
        label2id = {lab: i for i, lab in enumerate(labels)}
        return encode_sentences(sentences, self.tokenizer, label2id, self.train.max_length)

    def _dev_evaluator(self, dev: list[Sentence], types: Sequence[str], labels: list[str]):
        """The task's dev data scored on the types its annotation has (others would be false
        positives against its O), or None when dev evaluation is off."""
        if not (self.strategy.dev_per_task and dev):
            return None
        windows = encode_sentences(dev, self.tokenizer, None, self.train.max_length)
        id2label = dict(enumerate(labels))
        gold = [list(s.tags) for s in dev]

        def evaluate_dev() -> NerReport:
            pred = predict_tags(
                self.model, dev, windows, id2label, self.device, self.dtype, self.pad_id
            )
            return entity_report(gold, [restrict_tags(p, types) for p in pred])

        return evaluate_dev

    def _evaluate(
        self, evaluator: StreamEvaluator, row: int, res: StreamResult
    ) -> tuple[list[float], list[Tags]]:
        """Score every task's test data now; log row `row` of the matrix (-1: baseline)."""
        started = time.perf_counter()
        id2label = dict(self.model.config.id2label)
        predictions = evaluator.predict(self.model, id2label)
        reports = evaluator.reports(predictions)
        stage = stage_name(row)
        for j, report in enumerate(reports):
            self.tracker.log_matrix_cell(row, j, report.f1)
            for name, score in report.per_type.items():
                self.tracker.log_matrix_cell(row, j, score.f1, kind=f"type_f1:{name}")
            self.tracker.log_evaluation("test", stage, report, step=res.steps, task=j)
        if row >= 0:
            introduced: dict[str, int] = {}
            for i, task in enumerate(self.stream.tasks):
                for x in task.types:
                    introduced.setdefault(x, i)
            drift = evaluator.drift(predictions, row)
            payload = {
                "after_task": row,
                "types": drift,
                "introduced": {x: introduced[x] for x in drift},
            }
            self.tracker.log_record("drift", stage, payload)
            if self.strategy.tasks.protocol:
                step = step_record(evaluator.seen_types_score(predictions, row))
                self.tracker.log_record("protocol_step", stage, step)
                res.protocol_steps.append(step)
        self.tracker.flush()
        res.eval_seconds += time.perf_counter() - started
        return [r.f1 for r in reports], predictions

    def _finish(self, evaluator: StreamEvaluator, stages: list[list[Tags]], res: StreamResult):
        started = time.perf_counter()
        for j, task in enumerate(self.stream.tasks[:-1]):
            examples = evaluator.forgotten(stages, j, self.strategy.forgotten_examples)
            payload = {"task": j, "types": list(task.types), "examples": examples}
            self.tracker.log_record("forgotten", f"task-{j}", payload)
        res.final_report = evaluator.pooled_report(stages[-1])
        res.eval_seconds += time.perf_counter() - started
        res.summary = continual_summary(res.matrix, res.baseline) | {"tasks": self.stream.summary()}
        self.tracker.update_summary(continual=res.summary)
        if self.strategy.tasks.protocol:
            res.protocol = protocol_summary(self.strategy.tasks.protocol, res.protocol_steps)
            self.tracker.update_summary(protocol=res.protocol)


def run_stream(
    model: Any,
    tokenizer: Any,
    stream: TaskStream,
    strategy: ContinualStrategy,
    train: TrainConfig,
    tracker: Tracker,
    *,
    device: torch.device,
    dtype: torch.dtype,
    pad_id: int,
    say: Callable[[str], None] = print,
    progress: bool = True,
    on_task_end: Callable[[int], None] | None = None,
) -> StreamResult:
    """Learn `stream` task by task with `strategy.method`'s plugins; `model` changes in place.
    `on_task_end(t)` runs after task t is learned and scored (per-task checkpoints)."""
    plugins = make_plugins(strategy, train.seed)
    loop = ContinualLoop(
        model,
        tokenizer,
        stream,
        strategy,
        train,
        tracker,
        device,
        dtype,
        pad_id,
        plugins,
        say,
        progress,
        on_task_end,
    )
    return loop.run()
