"""A WordPiece vocabulary trained on a corpus (the `tokenizers` library), as a BERT tokenizer.

The normaliser and pre-tokeniser are BERT's: text is cleaned, optionally lower-cased, split on
whitespace and punctuation, and every CJK character stands alone, so a Chinese corpus gets a
character-level vocabulary with no word segmentation. Special tokens come first, in BERT's
order: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4.

    tokenizer = build_vocab_tokenizer(["Alice met Bob .", ...], vocab_size=8000)
    tokenizer.save_pretrained(folder)   # a plain BertTokenizer: loads with AutoTokenizer
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def _as_text(doc: str | Sequence[str]) -> str:
    return doc if isinstance(doc, str) else " ".join(doc)


def train_wordpiece(
    texts: Iterable[str | Sequence[str]],
    vocab_size: int = 8000,
    *,
    lowercase: bool = True,
    min_frequency: int = 1,
) -> dict[str, int]:
    """token -> id of a WordPiece vocabulary of at most `vocab_size` entries."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    if vocab_size < len(SPECIAL_TOKENS) + 1:
        raise ValueError(f"vocab_size {vocab_size} is too small (at least 6)")
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=lowercase
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    texts = [_as_text(d) for d in texts]
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=[*SPECIAL_TOKENS, *_continuing_pieces(tok, texts)],
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    vocab = tok.get_vocab()
    if len(vocab) <= len(SPECIAL_TOKENS):
        raise ValueError("the corpus has no text to build a vocabulary from")
    return vocab


def _continuing_pieces(tok: Any, texts: Sequence[str]) -> list[str]:
    """Every "##c" the trainer will need, sorted. The trainer creates these ids in the order of
    a hash map, which differs from process to process, and breaks ties between merges by id:
    the same corpus gave another vocabulary every time (2009 or 2011 entries, 1,571 ids apart;
    huggingface/tokenizers#1794). Given up front, in a fixed order, they make it one vocabulary."""
    pieces: set[str] = set()
    for text in texts:
        for word, _ in tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(text)):
            pieces.update(word[1:])
    return [f"##{c}" for c in sorted(pieces)]


def build_vocab_tokenizer(
    texts: Iterable[str | Sequence[str]],
    vocab_size: int = 8000,
    *,
    lowercase: bool = True,
    min_frequency: int = 1,
) -> Any:
    """A transformers BertTokenizer over a WordPiece vocabulary trained on `texts`.

    `texts`: strings, or lists of words (joined with spaces). Works on any script; CJK text
    becomes one token per character.
    """
    from transformers import BertTokenizer

    vocab = train_wordpiece(texts, vocab_size, lowercase=lowercase, min_frequency=min_frequency)
    return BertTokenizer(vocab=vocab, do_lower_case=lowercase, tokenize_chinese_chars=True)
