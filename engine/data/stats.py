"""Counts over IOB2 sentences: tokens, entities per type, sentence lengths.

    stats = corpus_stats(corpus.sentences)
    stats.entities        # {"LOC": 548, "PER": 660}, one per B- tag (every IOB2 entity has one)
    stats.unit            # "words", or "characters" for one-character-per-token CJK data

Pure functions: the validator and the pages both use them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.data.types import Sentence

LengthUnit = Literal["words", "characters"]
# Character data: nearly every token is one character, and most of them are CJK. Word-segmented
# Chinese has about half one-character words (的, 在), so it stays "words".
CHARACTER_TOKEN_SHARE = 0.9  # tokens of one character, of all tokens
CJK_TOKEN_SHARE = 0.5  # one-character CJK tokens, of all tokens
_CJK_RANGES = (
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xAC00, 0xD7A3),  # Hangul syllables (KLUE-style syllable-per-token Korean)
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x3134F),  # CJK Unified Ideographs Extensions B-G
)


@dataclass(frozen=True)
class CorpusStats:
    sentences: int = 0
    tokens: int = 0
    entities: dict[str, int] = field(default_factory=dict)  # sorted by type
    max_length: int = 0
    mean_length: float = 0.0
    unit: LengthUnit = "words"  # what a token is, for lengths shown to a person

    @property
    def entity_total(self) -> int:
        return sum(self.entities.values())


def entity_counts(sentences: list[Sentence]) -> dict[str, int]:
    """Entities per type in IOB2 tags, sorted by type name."""
    counts = Counter(tag[2:] for s in sentences for tag in s.tags if tag.startswith("B-"))
    return dict(sorted(counts.items()))


def token_count(sentences: list[Sentence]) -> int:
    return sum(len(s.tokens) for s in sentences)


def length_summary(sentences: list[Sentence]) -> tuple[int, float]:
    """(longest, mean) sentence length in tokens; (0, 0.0) for no sentences."""
    if not sentences:
        return 0, 0.0
    lengths = [len(s.tokens) for s in sentences]
    return max(lengths), sum(lengths) / len(lengths)


def length_unit(sentences: list[Sentence]) -> LengthUnit:
    """ "characters" when the tokens are single CJK characters (char-per-token Chinese), else
    "words": the unit in which token counts and sentence lengths read right."""
    total = single = cjk = 0
    for sentence in sentences:
        for token in sentence.tokens:
            total += 1
            if len(token) == 1:
                single += 1
                cjk += _is_cjk(token)
    if not total:
        return "words"
    if single >= CHARACTER_TOKEN_SHARE * total and cjk >= CJK_TOKEN_SHARE * total:
        return "characters"
    return "words"


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return code >= 0x3040 and any(low <= code <= high for low, high in _CJK_RANGES)


def corpus_stats(sentences: list[Sentence]) -> CorpusStats:
    longest, mean = length_summary(sentences)
    return CorpusStats(
        sentences=len(sentences),
        tokens=token_count(sentences),
        entities=entity_counts(sentences),
        max_length=longest,
        mean_length=mean,
        unit=length_unit(sentences),
    )


def count_summary(
    sentences: int, tokens: int, entities: dict[str, int], max_length: int, mean_length: float
) -> dict[str, Any]:
    """The counts every report shows (validate --json, the Data page's upload check)."""
    return {
        "sentences": sentences,
        "tokens": tokens,
        "entities": dict(entities),
        "entity_total": sum(entities.values()),
        "max_length": max_length,
        "mean_length": round(mean_length, 2),
    }
