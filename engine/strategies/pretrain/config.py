"""The pretrain strategy's section: masked-LM from scratch or continued (domain adaptation)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.strategies.registry import Section, register_strategy_config


class PretrainStrategy(Section):
    """Masked-language-model pretraining; the checkpoint is a backbone for later runs (run:ID)."""

    # fields that only one mode reads (the wizard shows them for that mode only)
    mode_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "from_scratch": ("vocab", "vocab_size", "scratch_size")
    }
    kind: Literal["pretrain"] = "pretrain"
    mode: Literal["continued", "from_scratch"] = Field(
        "continued",
        title="Pretraining",
        description="Continue: keep training the backbone's weights (domain-adaptive "
        "pretraining); from scratch: a new small BERT (see Model size) with random weights",
    )
    corpus: str | None = Field(
        None,
        title="Corpus",
        description="Text to learn from: builtin:NAME (its train split), a dataset file or "
        "folder (labels ignored), or a plain-text file with one document per line; "
        "default: the data section's train",
    )
    corpus_format: Literal["auto", "ner", "text"] = Field(
        "auto",
        title="Corpus format",
        description="Detect: a file whose lines end in tags (O, B-X, ...) is NER data, else "
        "plain text; or say which",
    )
    max_documents: int | None = Field(
        None,
        ge=1,
        title="Documents (at most)",
        description="Use at most N documents (sentences or lines) of the corpus",
    )
    held_out: float = Field(
        0.05,
        ge=0.0,
        le=0.5,
        title="Share held out",
        description="Share of documents kept out of training for perplexity",
    )
    mask_prob: float = Field(
        0.15,
        gt=0.0,
        lt=1.0,
        title="Share of sub-tokens masked",
        description="Share of sub-tokens to predict (80% [MASK], 10% random, 10% unchanged)",
    )
    whole_word_mask: bool = Field(
        True,
        title="Whole-word masking",
        description="Mask all sub-tokens of a chosen word together (whole-word masking)",
    )
    vocab: Literal["packaged", "corpus"] = Field(
        "packaged",
        title="Vocabulary",
        description="From scratch: the backbone's tokenizer (MiniLM's WordPiece for minilm-l6 "
        "and tiny), or a WordPiece vocabulary trained on the corpus",
    )
    vocab_size: int = Field(
        8000,
        ge=100,
        le=200_000,
        title="Vocabulary size",
        description="From scratch: size of a corpus vocabulary",
    )
    scratch_size: Literal["tiny", "small"] = Field(
        "tiny",
        title="Model size",
        description="From scratch: tiny = 2 layers x 128 (the tiny backbone), "
        "small = 4 layers x 256",
    )


register_strategy_config("pretrain", PretrainStrategy)
