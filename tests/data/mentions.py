"""The entity mentions of IOB2 sentences, read here without the engine's span code so that the
corpus tests check the corpora, not the reader of them.

    entities([Sentence(("Ann", "Lee", "ran"), ("B-PER", "I-PER", "O"))]) == [("PER", "Ann Lee")]
"""

from __future__ import annotations

from engine.data.types import Sentence


def entities(sentences: list[Sentence], joiner: str = " ") -> list[tuple[str, str]]:
    """(type, surface form) of every IOB2 entity mention, its tokens joined by `joiner` ("" for
    character-level Chinese)."""
    found: list[tuple[str, str]] = []
    for sentence in sentences:
        current: tuple[str, list[str]] | None = None
        for token, tag in zip(sentence.tokens, sentence.tags, strict=True):
            if tag.startswith("I-") and current is not None:
                current[1].append(token)
                continue
            if current is not None:
                found.append((current[0], joiner.join(current[1])))
                current = None
            if tag.startswith("B-"):
                current = (tag[2:], [token])
        if current is not None:
            found.append((current[0], joiner.join(current[1])))
    return found
