"""What every strategy receives (`RunContext`); the registry itself is torch-free
(engine.strategies.registry) and re-exported here for the run modules."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

from engine.config import RunConfig
from engine.models.checkpoint import save_checkpoint
from engine.strategies.registry import StrategyKind as StrategyKind
from engine.strategies.registry import register_strategy as register_strategy
from engine.tracking.tracker import Tracker

S = TypeVar("S")


@dataclass
class RunContext:
    run_id: int | None
    config: RunConfig
    tracker: Tracker
    device: torch.device
    dtype: torch.dtype
    run_dir: Path  # checkpoints and other files of this run
    progress: bool = True
    resume_from: Path | None = None  # a training state to continue from (`engine resume`)

    def say(self, message: str) -> None:
        """One line of progress for the console / job log (never the database)."""
        if self.progress:
            print(message, flush=True)

    def begin(self, section: type[S]) -> S:
        """What every strategy's entry does first: its config section (checked to be the
        kind's), with Python's, NumPy's and torch's generators seeded from train.seed."""
        strategy = self.config.strategy
        if not isinstance(strategy, section):
            raise TypeError(f"a {section.__name__} run got a {type(strategy).__name__} section")
        seed_everything(self.config.train.seed)
        return strategy

    def save_final_checkpoint(self, model: Any, tokenizer: Any, summary: dict[str, Any]) -> None:
        """With train.save_checkpoint on: the model in run_dir/checkpoint, logged as the
        "final" checkpoint artifact and named in the run's `summary`."""
        if not self.config.train.save_checkpoint:
            return
        checkpoint_dir = self.run_dir / "checkpoint"
        save_checkpoint(model, tokenizer, checkpoint_dir, self.config.to_dict())
        self.tracker.log_artifact("checkpoint", checkpoint_dir, "final")
        summary["checkpoint"] = str(checkpoint_dir)

    def notes(self, notes: Iterable[str]) -> None:
        """The data's notes (held-out shares, dropped types...) as progress lines."""
        for note in notes:
            self.say(f"note: {note}")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
