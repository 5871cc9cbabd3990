"""The pretrain strategy's section: masked-LM from scratch or continued (domain adaptation)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.strategies.registry import Section, register_strategy_config


class PretrainStrategy(Section):
    """Masked-language-model pretraining; the checkpoint is a backbone for later runs (run:ID)."""

    kind: Literal["pretrain"] = "pretrain"
    mode: Literal["continued", "from_scratch"] = Field(
        "continued",
        description="continued: keep training the backbone's weights (domain-adaptive "
        "pretraining); from_scratch: a new small BERT (scratch_size) with random weights",
    )
    corpus: str | None = Field(
        None,
        description="Text to learn from: builtin:NAME (its train split), a dataset file or "
        "folder (labels ignored), or a plain-text file with one document per line; "
        "default: the data section's train",
    )
    corpus_format: Literal["auto", "ner", "text"] = Field(
        "auto",
        description="auto: a file whose lines end in tags (O, B-X, ...) is NER data, else plain "
        "text; ner / text: say which",
    )
    max_documents: int | None = Field(
        None, ge=1, description="Use at most N documents (sentences or lines) of the corpus"
    )
    held_out: float = Field(
        0.05, ge=0.0, le=0.5, description="Share of documents kept out of training for perplexity"
    )
    mask_prob: float = Field(
        0.15, gt=0.0, lt=1.0, description="Share of sub-tokens to predict (80% [MASK], 10% random,"
        " 10% unchanged)"
    )  # fmt: skip
    whole_word_mask: bool = Field(
        True, description="Mask all sub-tokens of a chosen word together (whole-word masking)"
    )
    vocab: Literal["packaged", "corpus"] = Field(
        "packaged",
        description="from_scratch mode: packaged = the backbone's tokenizer (MiniLM's WordPiece "
        "for minilm-l6 and tiny); corpus = a WordPiece vocabulary trained on the corpus",
    )
    vocab_size: int = Field(
        8000, ge=100, le=200_000, description="from_scratch mode: size of a corpus vocabulary"
    )
    scratch_size: Literal["tiny", "small"] = Field(
        "tiny",
        description="from_scratch mode: tiny = 2 layers x 128 (the `tiny` backbone), "
        "small = 4 layers x 256",
    )


register_strategy_config("pretrain", PretrainStrategy)
