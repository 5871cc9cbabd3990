"""The masked-LM model and tokenizer of a pretrain run.

- continued: the backbone's weights and tokenizer with an MLM head (`AutoModelForMaskedLM`);
  a backbone saved without one (all-MiniLM-L6-v2 is a sentence encoder) gets a fresh head
  transform, tied to the word embeddings as in BERT. `tiny` and a run:ID of a pretrain run work
  too: the first starts from random weights, the second continues where that run stopped.
- from_scratch: a new BERT of `scratch_size` over the backbone's tokenizer (vocab: packaged)
  or a WordPiece vocabulary trained on the training documents (vocab: corpus).

    tokenizer, model = build_mlm(cfg.backbone, strategy, train_docs)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.config import PretrainStrategy
from engine.models.backbones import (
    TINY_CONFIG,
    load_masked_lm,
    load_tokenizer,
    quiet_transformers,
    resolve_backbone,
)
from engine.strategies.pretrain.vocab import build_vocab_tokenizer

SCRATCH_SIZES: dict[str, dict[str, Any]] = {
    "tiny": TINY_CONFIG,
    "small": {
        "hidden_size": 256,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "intermediate_size": 1024,
        "max_position_embeddings": 512,
    },
}


def new_bert_mlm(tokenizer: Any, size: str) -> Any:
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(
        vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **SCRATCH_SIZES[size]
    )
    return BertForMaskedLM(config)


def build_mlm(
    backbone_name: str, strategy: PretrainStrategy, train_docs: Sequence[Sequence[str]]
) -> tuple[Any, Any]:
    """(tokenizer, masked-LM model) for a pretrain run."""
    quiet_transformers()
    backbone = resolve_backbone(backbone_name)
    if strategy.mode == "from_scratch" and strategy.vocab == "corpus":
        tokenizer = build_vocab_tokenizer(train_docs, strategy.vocab_size)
    else:
        tokenizer = load_tokenizer(backbone, corpus=train_docs)
    if strategy.mode == "from_scratch":
        return tokenizer, new_bert_mlm(tokenizer, strategy.scratch_size)
    if backbone.from_scratch:
        return tokenizer, new_bert_mlm(tokenizer, "tiny")
    return tokenizer, load_masked_lm(backbone)
