"""The `finetune` config section (torch-free): full, frozen encoder or LoRA."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.strategies.registry import Section, register_strategy_config


class FinetuneStrategy(Section):
    # fields that only one mode reads (the wizard shows them for that mode only)
    mode_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "frozen": ("trainable_layers",),
        "lora": ("lora_r", "lora_alpha", "lora_dropout"),
    }
    kind: Literal["finetune"] = "finetune"
    mode: Literal["full", "frozen", "lora"] = Field(
        "full",
        title="What trains",
        description="All weights; a frozen encoder (the head, and its top k layers if asked); "
        "or low-rank adapters (LoRA)",
    )
    trainable_layers: int = Field(
        0,
        ge=0,
        le=48,
        title="Top encoder layers that also train",
        description="With a frozen encoder: how many of its top layers train with the head",
    )
    lora_r: int = Field(8, ge=1, le=256, title="LoRA rank", description="LoRA rank")
    lora_alpha: int = Field(
        16, ge=1, le=1024, title="LoRA scaling (alpha)", description="LoRA scaling numerator"
    )
    lora_dropout: float = Field(
        0.1, ge=0.0, lt=1.0, title="LoRA dropout", description="Dropout on LoRA inputs"
    )


register_strategy_config("finetune", FinetuneStrategy)
