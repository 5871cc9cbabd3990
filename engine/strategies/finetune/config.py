"""The `finetune` config section (torch-free): full, frozen encoder or LoRA."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.strategies.registry import Section, register_strategy_config


class FinetuneStrategy(Section):
    kind: Literal["finetune"] = "finetune"
    mode: Literal["full", "frozen", "lora"] = Field(
        "full",
        description="full: all weights; frozen: head (+ top-k layers); lora: low-rank adapters",
    )
    trainable_layers: int = Field(
        0, ge=0, le=48, description="frozen mode: how many top encoder layers also train"
    )
    lora_r: int = Field(8, ge=1, le=256, description="LoRA rank")
    lora_alpha: int = Field(16, ge=1, le=1024, description="LoRA scaling numerator")
    lora_dropout: float = Field(0.1, ge=0.0, lt=1.0, description="Dropout on LoRA inputs")


register_strategy_config("finetune", FinetuneStrategy)
