"""The training loops the engine tests run on the tiny backbone: the continual loop quietly on
the CPU (and a race of strategies on one stream), fit on a config's encoded data, a tracker
that cancels mid-run, and a strategy's RunContext outside the lab.

    results = race_on(stream, train, {"naive": ContinualStrategy(method="naive")})
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engine.config import ContinualStrategy, RunConfig, TrainConfig, parse_config
from engine.data.alignment import SpecialIds, Window, encode_sentences
from engine.data.sources import load_splits
from engine.data.tasks import TaskStream
from engine.data.types import Sentence
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.strategies.base import RunContext
from engine.strategies.continual.loop import StreamResult, labels_until, run_stream
from engine.strategies.finetune.run import seed_everything
from engine.tracking.tracker import MemoryTracker, Tracker
from engine.training.loop import LoopResult, fit
from engine.training.predict import evaluate

CPU = torch.device("cpu")

# ---- the continual loop ------------------------------------------------------------------------


def stream_quietly(
    model: Any,
    tokenizer: Any,
    stream: TaskStream,
    strategy: ContinualStrategy,
    train: TrainConfig,
    tracker: Tracker | None = None,
    **kwargs: Any,
) -> StreamResult:
    """run_stream on the CPU in fp32 with no output (into a fresh MemoryTracker unless given;
    the log lines to `say` when given); `kwargs` as run_stream takes them."""
    pad = SpecialIds.of(tokenizer).pad
    tracker = MemoryTracker() if tracker is None else tracker
    kwargs.setdefault("say", lambda _: None)
    return run_stream(model, tokenizer, stream, strategy, train, tracker,
                      device=CPU, dtype=torch.float32, pad_id=pad, progress=False,
                      **kwargs)  # fmt: skip


def race_on(
    stream: TaskStream, train: TrainConfig, strategies: dict[str, ContinualStrategy]
) -> dict[str, StreamResult]:
    """Each strategy learns `stream` from the same tiny model (seeded with `train.seed`)."""
    backbone = resolve_backbone("tiny")
    tokenizer = load_tokenizer(backbone)
    results = {}
    for name, strategy in strategies.items():
        seed_everything(train.seed)
        model = load_token_classifier(backbone, labels_until(stream, 0), len(tokenizer))
        results[name] = stream_quietly(model, tokenizer, stream, strategy, train)
    return results


# ---- a training loop on a config's data --------------------------------------------------------


@dataclass
class EncodedData:
    """A config's data split and encoded for the tiny tokenizer, with the dev sentences scored
    after each epoch."""

    labels: list[str]
    tokenizer: Any
    train: list[Window]
    dev_sentences: list[Sentence]
    dev: list[Window]

    @property
    def pad(self) -> int:
        return SpecialIds.of(self.tokenizer).pad

    def fit(
        self, model: Any, cfg: TrainConfig, tracker: Tracker, device: torch.device,
        dtype: torch.dtype, **kwargs: Any,
    ) -> LoopResult:  # fmt: skip
        """engine.training.loop.fit on these windows, scoring dev F1; `kwargs` as fit takes."""
        id2label = dict(enumerate(self.labels))

        def dev_f1():
            return evaluate(model, self.dev_sentences, self.dev, id2label, device, dtype, self.pad)

        return fit(model, self.train, cfg=cfg, device=device, dtype=dtype, pad_id=self.pad,
                   tracker=tracker, evaluate_dev=dev_f1, progress=False, **kwargs)  # fmt: skip


def encoded_data(cfg: RunConfig, dev_sentences: int, max_length: int) -> EncodedData:
    """`cfg.data` loaded (seeded by cfg.train.seed) and encoded; the first `dev_sentences` dev
    sentences are kept for scoring."""
    splits = load_splits(cfg.data, seed=cfg.train.seed)
    tokenizer = load_tokenizer(resolve_backbone("tiny"))
    label2id = {label: i for i, label in enumerate(splits.labels)}
    dev = splits.dev[:dev_sentences]
    return EncodedData(
        labels=list(splits.labels),
        tokenizer=tokenizer,
        train=encode_sentences(splits.train, tokenizer, label2id, max_length),
        dev_sentences=dev,
        dev=encode_sentences(dev, tokenizer, label2id, max_length),
    )


class StopAfter(MemoryTracker):
    """A tracker that asks to stop once `steps` training losses were logged (a cancel arriving
    mid-epoch)."""

    def __init__(self, steps: int):
        super().__init__()
        self.steps = steps

    def should_stop(self) -> bool:
        return len(self.series("train_loss")) >= self.steps


def cpu_context(
    config: dict | RunConfig, run_dir: Path, tracker: Tracker | None = None
) -> RunContext:
    """The RunContext a worker would build, outside the lab: no run id, the CPU in fp32, no
    progress lines; `config` raw or parsed, the tracker a fresh MemoryTracker by default."""
    cfg = parse_config(config) if isinstance(config, dict) else config
    tracker = MemoryTracker() if tracker is None else tracker
    return RunContext(None, cfg, tracker, CPU, torch.float32, run_dir, progress=False)
