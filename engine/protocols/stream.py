"""A published CL-NER protocol as a real run's task stream, and its scores as run records.

`strategy.tasks.protocol: cl-ner-fg1-pg1` makes the continual run learn the steps that
`engine.protocols.cl_ner.build_stream` builds (CFNER's construction: each training sentence
in one step by its rarest type, other types O, the whole dev set with the step's types, the
whole test set) instead of `engine.data.tasks.build_stream`'s. Everything else about the run
(methods, R matrix, drift, checkpoints) is unchanged: a protocol run is an ordinary run.

After each step the loop scores the whole test set on every type seen so far
(`cl_step_score`) and logs a `protocol_step` record; the summary's `protocol` section holds
the steps and their means, the numbers a CL-NER table prints (fractions here, percent there).

    stream = protocol_stream(strategy.tasks, cfg.data, seed=cfg.train.seed)
    record = step_record(cl_step_score(gold, predicted, stream.types_until(t), t))
    summary = protocol_summary("cl-ner-fg1-pg1", [record, ...])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.config import ConfigError, DataConfig, TaskStreamConfig
from engine.data.sources import load_splits
from engine.data.tasks import Task, TaskStream, plan_type_tasks
from engine.data.types import DataError, Problem
from engine.protocols import cl_ner
from engine.protocols.metrics import StepScore


def type_order(cfg: TaskStreamConfig, types: Sequence[str], seed: int) -> list[str]:
    """The protocol's type order: `order` flattened, else sorted (CFNER's alphabetical lists)
    or shuffled by the seed (`type_order: seeded`)."""
    plan = plan_type_tasks(
        types,
        order=cfg.order,
        first_types=cfg.first_types,
        types_per_task=cfg.types_per_task,
        shuffle_seed=seed if cfg.type_order == "seeded" else None,
    )
    return [name for task in plan for name in task]


def protocol_stream(cfg: TaskStreamConfig, data: DataConfig, seed: int = 13) -> TaskStream:
    """The task stream of `cfg.protocol` on the `data` section's train/dev/test splits."""
    if cfg.protocol is None:
        raise ConfigError("strategy.tasks.protocol is not set")
    protocol = cl_ner.protocol_named(cfg.protocol)
    splits = load_splits(data, seed=seed)
    if not splits.test:
        raise DataError([Problem(data.train, 0, "continual runs need test data (data.test)")])
    order = type_order(cfg, splits.entity_types, seed)
    try:
        built = cl_ner.build_stream(protocol, splits.train, splits.dev, splits.test, order, seed)
    except ValueError as err:  # the data's types do not split FG-a-PG-b
        raise ConfigError(f"strategy.tasks.protocol: {err}") from None
    cap = cfg.max_train_sentences
    test = list(splits.test)  # one list shared by every task: the evaluator predicts it once
    tasks = []
    for step in built.steps:
        train, gold = list(step.train[:cap]), list(step.train_gold[:cap])
        if not any(tag != "O" for s in train for tag in s.tags):
            reason = f"step {step.index} ({', '.join(step.new_types)}) got no sentence of its types"
            raise DataError([Problem("strategy.tasks", 0, reason)])
        name = f"task {step.index}: {', '.join(step.new_types)}"
        tasks.append(
            Task(
                step.index, name, step.new_types, step.new_types, train, gold, list(step.dev), test
            )
        )
    notes = [f"{protocol.name} (v{protocol.version}): types in order {', '.join(order)}"]
    if built.unassigned:
        notes.append(f"{built.unassigned} training sentences fit no step's quota and are unused")
    return TaskStream("types", tasks, [*notes, *splits.notes], dev=list(splits.dev))


def step_record(score: StepScore) -> dict[str, Any]:
    """One step's published scores as the `protocol_step` record's payload."""
    return {
        "step": score.step,
        "seen_types": list(score.seen_types),
        "mi_f1": score.micro_f1,
        "ma_f1": score.macro_f1,
        "per_type_f1": dict(score.per_type_f1),
        "counts": {"tp": score.counts.tp, "fp": score.counts.fp, "fn": score.counts.fn},
    }


def protocol_summary(name: str, steps: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The summary's `protocol` section: the steps and the means over all of them (the first
    step included, as CFNER averages)."""
    protocol = cl_ner.protocol_named(name)
    n = len(steps)
    return {
        "name": protocol.name,
        "version": protocol.version,
        "family": protocol.family,
        "steps": [{k: s[k] for k in ("step", "seen_types", "mi_f1", "ma_f1")} for s in steps],
        "mi_f1_mean": sum(s["mi_f1"] for s in steps) / n if n else None,
        "ma_f1_mean": sum(s["ma_f1"] for s in steps) / n if n else None,
    }
