"""Counts over IOB2 sentences: tokens, entities per type, sentence lengths.

    stats = corpus_stats(corpus.sentences)
    stats.entities        # {"LOC": 548, "PER": 660}, one per B- tag (every IOB2 entity has one)

Pure functions: the validator and the pages both use them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from engine.data.types import Sentence


@dataclass(frozen=True)
class CorpusStats:
    sentences: int = 0
    tokens: int = 0
    entities: dict[str, int] = field(default_factory=dict)  # sorted by type
    max_length: int = 0
    mean_length: float = 0.0

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
    """(longest, mean) sentence length in words; (0, 0.0) for no sentences."""
    if not sentences:
        return 0, 0.0
    lengths = [len(s.tokens) for s in sentences]
    return max(lengths), sum(lengths) / len(lengths)


def corpus_stats(sentences: list[Sentence]) -> CorpusStats:
    longest, mean = length_summary(sentences)
    return CorpusStats(
        sentences=len(sentences),
        tokens=token_count(sentences),
        entities=entity_counts(sentences),
        max_length=longest,
        mean_length=mean,
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
