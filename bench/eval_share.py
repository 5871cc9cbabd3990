"""Benchmark: the share of a continual run's wall time spent evaluating, before vs after.

A continual run scores every task's test data after every task (and each task's dev data
while it trains), so evaluation is a large part of its time. This runs one small naive
continual run (WNUT-17 split by entity types, 2 types a task, from ../shared/datasets when
present, else the built-in news corpus) twice per repeat: with engine.training.predict as it is
now ("after") and with the evaluation it replaced ("before", the copy kept in
bench/predict_vs_pipeline.py), patched into the continual loop for that run only. Each run
reports its wall time, the loop's own test-evaluation time (StreamResult.eval_seconds: the
(T + 1) x T scoring) and the time inside every prediction call (test and dev, timed around
predict_tags), as shares of the wall time. Runs alternate; the table shows medians.

    .venv/bin/python bench/eval_share.py [--per-task 200] [--epochs 1] [--repeats 3]
    .venv/bin/python bench/eval_share.py --quick --backbone tiny    # does it run
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from predict_vs_pipeline import old_predict_tags
from training_sides import data_config, memory_tracker

from engine.config import ContinualStrategy, TaskStreamConfig, TrainConfig
from engine.data.alignment import SpecialIds
from engine.data.tasks import TaskStream, build_stream
from engine.device import pick_precision
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.strategies.continual import evaluation as stream_evaluation
from engine.strategies.continual import loop as stream_loop
from engine.strategies.continual.loop import labels_until, run_stream
from engine.strategies.finetune.run import seed_everything
from engine.training.predict import predict_tags

CPU = torch.device("cpu")
SIDES = {"before": old_predict_tags, "after": predict_tags}


class Timed:
    """A function that adds up the seconds spent inside it."""

    def __init__(self, fn: Callable[..., Any]):
        self.fn, self.seconds, self.calls = fn, 0.0, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


@contextmanager
def predicting_with(fn: Callable[..., Any]) -> Iterator[None]:
    """The continual loop's predict_tags (test and dev scoring) is `fn` inside the block."""
    modules = [m for m in (stream_evaluation, stream_loop) if hasattr(m, "predict_tags")]
    kept = [m.predict_tags for m in modules]
    for module in modules:
        module.predict_tags = fn
    try:
        yield
    finally:
        for module, original in zip(modules, kept, strict=True):
            module.predict_tags = original


def cap_evaluation_data(stream: TaskStream, limit: int | None) -> None:
    """At most `limit` test and dev sentences a task, cut in place: tasks sharing one test list
    (a class-incremental stream) still share it, so it is still predicted once a stage."""
    if limit is None:
        return
    for task in stream.tasks:
        del task.test[limit:]
        del task.dev[limit:]


def one_run(side: str, stream: TaskStream, args: argparse.Namespace) -> dict[str, Any]:
    seed_everything(args.seed)
    backbone = resolve_backbone(args.backbone)
    tokenizer = load_tokenizer(backbone)
    model = load_token_classifier(backbone, labels_until(stream, 0), len(tokenizer))
    strategy = ContinualStrategy(method="naive", tasks=stream_config(args))
    train = TrainConfig(
        epochs=args.epochs, batch_size=16, lr=args.lr, seed=args.seed, precision=args.precision
    )
    timed = Timed(SIDES[side])
    started = time.perf_counter()
    with predicting_with(timed):
        res = run_stream(
            model,
            tokenizer,
            stream,
            strategy,
            train,
            memory_tracker(),
            device=CPU,
            dtype=pick_precision(CPU, args.precision),
            pad_id=SpecialIds.of(tokenizer).pad,
            say=lambda _: None,
            progress=False,
        )
    wall = time.perf_counter() - started
    return {
        "wall_seconds": wall,
        "test_eval_seconds": res.eval_seconds,
        "predict_seconds": timed.seconds,
        "predict_calls": timed.calls,
        "test_eval_share": res.eval_seconds / wall,
        "predict_share": timed.seconds / wall,
    }


def stream_config(args: argparse.Namespace) -> TaskStreamConfig:
    return TaskStreamConfig(by="types", types_per_task=2, max_train_sentences=args.per_task)


def table(medians: dict[str, dict[str, float]], repeats: int) -> str:
    rows = [
        f"continual run (naive), median of {repeats} alternated run(s)",
        f"{'side':<7} {'wall s':>8} {'test eval s':>11} {'share':>6} {'predict s':>9} {'share':>6}",
    ]
    for side, m in medians.items():
        rows.append(
            f"{side:<7} {m['wall_seconds']:>8.1f} {m['test_eval_seconds']:>11.1f} "
            f"{m['test_eval_share']:>6.1%} {m['predict_seconds']:>9.1f} {m['predict_share']:>6.1%}"
        )
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: does it run")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--per-task", type=int, default=200, help="training sentences a task")
    p.add_argument("--eval-sentences", type=int, default=None, help="test/dev cap (default all)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    p.add_argument("--data", default="auto", help="auto, wnut17, builtin:NAME or a folder")
    p.add_argument("--backbone", default="minilm-l6")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    if args.quick:
        args.repeats, args.per_task = 1, 24
        args.eval_sentences = args.eval_sentences or 48
    stream = build_stream(stream_config(args), data_config(args.data), seed=args.seed)
    cap_evaluation_data(stream, args.eval_sentences)
    print(
        f"{len(stream.tasks)} tasks, {args.per_task} training sentences each, "
        f"{len(stream.tasks[0].test)} test sentences, {args.backbone}, "
        f"precision {pick_precision(CPU, args.precision)}",
        flush=True,
    )
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
    names = list(SIDES)
    for r in range(args.repeats):
        for side in names[r % 2 :] + names[: r % 2]:
            res = one_run(side, stream, args)
            runs[side].append(res)
            print(f"run {r + 1} {side}: {json.dumps(res)}", flush=True)
    medians = {
        side: {k: statistics.median(run[k] for run in found) for k in found[0]}
        for side, found in runs.items()
    }
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"medians": medians, "runs": runs}, indent=2))
    print(table(medians, args.repeats))


if __name__ == "__main__":
    main()
