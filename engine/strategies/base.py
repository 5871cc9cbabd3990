"""What every strategy receives (`RunContext`); the registry itself is torch-free
(engine.strategies.registry) and re-exported here for the run modules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from engine.config import RunConfig
from engine.strategies.registry import StrategyKind as StrategyKind
from engine.strategies.registry import register_strategy as register_strategy
from engine.tracking.tracker import Tracker


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
