"""What every strategy receives (`RunContext`) and the registry they are looked up in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import torch

from engine.config import RunConfig
from engine.tracker import Tracker


class StrategyKind(StrEnum):
    FINETUNE = "finetune"
    CONTINUAL = "continual"
    PRETRAIN = "pretrain"
    META = "meta"


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


StrategyFn = Callable[[RunContext], dict[str, Any]]
STRATEGIES: dict[StrategyKind, StrategyFn] = {}


def register_strategy(kind: StrategyKind) -> Callable[[StrategyFn], StrategyFn]:
    def add(fn: StrategyFn) -> StrategyFn:
        STRATEGIES[kind] = fn
        return fn

    return add


def get_strategy(kind: str) -> StrategyFn:
    try:
        return STRATEGIES[StrategyKind(kind)]
    except (ValueError, KeyError):
        raise ValueError(
            f"unknown strategy kind {kind!r}; available: {sorted(STRATEGIES)}"
        ) from None
