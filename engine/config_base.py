"""What every config section shares: the error type, the strict base model, and the registry
that maps `strategy.kind` to its section (each strategy's section registers itself).

Torch-free: pages import it through engine.config.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigError(ValueError):
    """A config that cannot be used; the message names each bad field."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# kind -> section model; strategies that land later register theirs with `register_strategy_config`.
STRATEGY_CONFIGS: dict[str, type[Section]] = {}


def register_strategy_config(kind: str, model: type[Section]) -> None:
    STRATEGY_CONFIGS[kind] = model
