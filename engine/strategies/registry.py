"""The torch-free half of the strategy registry: what every config section shares (the error
type, the strict base model), which section each `strategy.kind` has, and where its run function
lives. Pages and the config parser import this module; no torch is imported until
`get_strategy(kind)` loads the kind's run module.

A kind registers its config section with `register_strategy_config` (in its `config.py`) and
its run function with `engine.strategies.base.register_strategy` (in its `run.py`); the methods
of a kind register in engine.strategies.methods.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class ConfigError(ValueError):
    """A config that cannot be used; the message names each bad field."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class StrategyKind(StrEnum):
    FINETUNE = "finetune"
    CONTINUAL = "continual"
    PRETRAIN = "pretrain"
    META = "meta"


# kind -> section model; strategies that land later register theirs with `register_strategy_config`.
STRATEGY_CONFIGS: dict[str, type[Section]] = {}

StrategyFn = Callable[[Any], dict[str, Any]]  # RunContext -> summary values
STRATEGIES: dict[StrategyKind, StrategyFn] = {}


def register_strategy_config(kind: str, model: type[Section]) -> None:
    STRATEGY_CONFIGS[kind] = model


def register_strategy(kind: StrategyKind) -> Callable[[StrategyFn], StrategyFn]:
    def add(fn: StrategyFn) -> StrategyFn:
        STRATEGIES[kind] = fn
        return fn

    return add


def run_module(kind: StrategyKind) -> str:
    """Where a kind's run function registers itself: engine.strategies.<kind>.run."""
    return f"engine.strategies.{kind.value}.run"


def get_strategy(kind: str) -> StrategyFn:
    """The run function of `kind`, importing its (torch) module on first use."""
    try:
        member = StrategyKind(kind)
    except ValueError:
        choices = sorted(k.value for k in StrategyKind)
        raise ValueError(f"unknown strategy kind {kind!r}; available: {choices}") from None
    if member not in STRATEGIES:
        importlib.import_module(run_module(member))
    return STRATEGIES[member]


def load_all() -> dict[StrategyKind, StrategyFn]:
    """Every kind's run function (imports torch): for the worker and the registry test."""
    for member in StrategyKind:
        get_strategy(member.value)
    return STRATEGIES
