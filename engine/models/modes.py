"""Which weights train: full, frozen (head only or top-k layers) or LoRA adapters (peft)."""

from __future__ import annotations

from typing import Any

from engine.config import FinetuneStrategy


def encoder_layers(model: Any) -> list[Any]:
    base = getattr(model, model.base_model_prefix, model)
    encoder = getattr(base, "encoder", None)
    layers = getattr(encoder, "layer", None) or getattr(encoder, "layers", None)
    return list(layers) if layers is not None else []


def freeze_all_but_top(model: Any, top_k: int) -> None:
    base = getattr(model, model.base_model_prefix, model)
    for p in base.parameters():
        p.requires_grad = False
    layers = encoder_layers(model)
    if top_k > len(layers):
        raise ValueError(
            f"strategy.trainable_layers={top_k} but the backbone has {len(layers)} layers"
        )
    for layer in layers[len(layers) - top_k :] if top_k else []:
        for p in layer.parameters():
            p.requires_grad = True


def add_lora(model: Any, cfg: FinetuneStrategy) -> Any:
    from peft import LoraConfig, TaskType, get_peft_model

    lora = LoraConfig(
        task_type=TaskType.TOKEN_CLS,
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=None,  # peft picks the attention projections for known architectures
    )
    return get_peft_model(model, lora)


def apply_mode(model: Any, cfg: FinetuneStrategy) -> Any:
    """Return the model to train (LoRA wraps it); frozen parameters get requires_grad=False."""
    if cfg.mode == "frozen":
        freeze_all_but_top(model, cfg.trainable_layers)
        return model
    if cfg.mode == "lora":
        return add_lora(model, cfg)
    return model


def count_parameters(model: Any) -> tuple[int, int]:
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total
