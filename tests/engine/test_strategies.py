"""Strategy registry completeness and what each fine-tuning mode trains."""

from __future__ import annotations

import pytest
import torch

from engine.config import STRATEGY_CONFIGS, FinetuneStrategy
from engine.models.backbones import load_token_classifier, load_tokenizer, resolve_backbone
from engine.models.checkpoint import export_model
from engine.models.modes import apply_mode, count_parameters
from engine.strategies.registry import StrategyKind, get_strategy, load_all

LABELS = ["O", "B-PER", "I-PER"]


def test_every_kind_has_a_strategy_and_a_config_section():
    registered = load_all()
    for kind in StrategyKind:
        assert kind in registered
        assert get_strategy(kind.value) is registered[kind]
        assert STRATEGY_CONFIGS[kind.value]().kind == kind.value


def test_unknown_kind_names_the_choices():
    with pytest.raises(ValueError, match="available"):
        get_strategy("alchemy")


@pytest.fixture(scope="module")
def tiny_model_factory():
    backbone = resolve_backbone("tiny")
    tok = load_tokenizer(backbone)

    def make():
        torch.manual_seed(0)
        return load_token_classifier(backbone, LABELS, len(tok))

    return make


def trainable_names(model) -> set[str]:
    return {n for n, p in model.named_parameters() if p.requires_grad}


def test_frozen_head_only_trains_only_the_classifier(tiny_model_factory):
    model = apply_mode(tiny_model_factory(), FinetuneStrategy(mode="frozen"))
    assert trainable_names(model) == {"classifier.weight", "classifier.bias"}
    assert count_parameters(model)[0] == 128 * 3 + 3


def test_frozen_top_k_layers_adds_exactly_those_layers(tiny_model_factory):
    model = apply_mode(tiny_model_factory(), FinetuneStrategy(mode="frozen", trainable_layers=1))
    names = trainable_names(model)
    assert any(n.startswith("bert.encoder.layer.1.") for n in names)
    assert not any(n.startswith("bert.encoder.layer.0.") for n in names)
    assert not any("embeddings" in n for n in names)
    with pytest.raises(ValueError, match="has 2 layers"):
        apply_mode(tiny_model_factory(), FinetuneStrategy(mode="frozen", trainable_layers=3))


def test_lora_trains_adapters_and_head_and_merges_for_saving(tiny_model_factory):
    model = apply_mode(tiny_model_factory(), FinetuneStrategy(mode="lora", lora_r=4))
    trainable, total = count_parameters(model)
    assert trainable < 0.2 * total
    names = trainable_names(model)
    assert any("lora_A" in n for n in names) and any("classifier" in n for n in names)
    with torch.no_grad():  # make the adapters non-zero so merging has something to merge
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.1)
    model.eval()
    ids = torch.tensor([[101, 2000, 2001, 102]])
    merged = export_model(model)
    assert not any("lora" in n for n, _ in merged.named_parameters())
    with torch.no_grad():
        assert torch.allclose(model(input_ids=ids).logits, merged(input_ids=ids).logits, atol=1e-5)
