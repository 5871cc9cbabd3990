"""Grow a token classifier's head when new labels arrive, keeping the old rows exactly.

grow_head(model, ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])  # old labels must be a prefix
"""

from __future__ import annotations

from typing import Any

import torch


def classifier_of(model: Any) -> torch.nn.Linear:
    head = getattr(model, "classifier", None)
    if not isinstance(head, torch.nn.Linear):
        raise ValueError(f"{type(model).__name__} has no linear `classifier` head to grow")
    return head


def grow_head(model: Any, labels: list[str]) -> Any:
    """Give `model` one output per label: old rows copied, new rows freshly initialised.

    The model's current labels (config.id2label) must be the first entries of `labels`, so
    label ids stay valid across tasks. Returns the same model, changed in place.
    """
    old = [model.config.id2label[i] for i in range(model.config.num_labels)]
    if labels[: len(old)] != old:
        raise ValueError(f"new labels {labels} must start with the model's labels {old}")
    if len(labels) == len(old):
        return model
    head = classifier_of(model)
    new = torch.nn.Linear(head.in_features, len(labels), bias=head.bias is not None)
    new.to(device=head.weight.device, dtype=head.weight.dtype)
    if hasattr(model, "_init_weights"):
        model._init_weights(new)  # the backbone's own initialisation for a fresh head
    with torch.no_grad():
        new.weight[: len(old)] = head.weight
        if head.bias is not None:
            new.bias[: len(old)] = head.bias
    new.weight.requires_grad_(head.weight.requires_grad)
    if new.bias is not None:
        new.bias.requires_grad_(head.bias.requires_grad)
    model.classifier = new
    model.num_labels = len(labels)
    model.config.num_labels = len(labels)
    model.config.id2label = dict(enumerate(labels))
    model.config.label2id = {lab: i for i, lab in enumerate(labels)}
    return model
