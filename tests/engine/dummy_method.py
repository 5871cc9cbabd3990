"""A continual method as a newcomer adds one: this module plus one registration line,

    register_method("continual", DummyConfig, "tests.engine.dummy_method:plugins")

(tests/engine/test_method_registry.py and tests/views/test_train_wizard.py register it)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from engine.config import MethodConfig
from engine.strategies.methods import tag


class DummyConfig(MethodConfig):
    """Adds `strength` times zero to the loss: a method that changes nothing."""

    method: Literal["dummy"] = tag("dummy")
    strength: float = Field(0.5, ge=0.0, title="Dummy strength", description="How much nothing")


class DummyPlugin:
    def __init__(self, strength: float):
        self.strength = strength

    def before_task(self, state: Any) -> None: ...

    def training_data(self, state: Any, sentences: list) -> list:
        return sentences

    def extra_loss(self, model: Any, batch: Any, outputs: Any) -> Any:
        return outputs.loss * 0.0 * self.strength

    def after_task(self, state: Any) -> None: ...


def plugins(config: DummyConfig, seed: int) -> list[DummyPlugin]:
    return [DummyPlugin(config.strength)]
