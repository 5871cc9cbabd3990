"""CoNLL text (one `TOKEN<TAB>TAG` line per word, a blank line after each sentence).

    text = conll_from_text("Ann went to Rome .", entities)    # tokenised by char_spans
    text = sentences_to_conll(corpus.sentences)

What engine.data.readers.conll reads back. A token that holds an ASCII space or tab (possible
only for tokens from JSONL) is written with U+00A0 in its place, or the columns would shift.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from engine.data.char_spans import entities_to_tags, tokenize
from engine.data.types import Sentence
from engine.data.writers.entities import EntityLike, checked_entities

_COLUMN_BLANKS = str.maketrans({" ": "\u00a0", "\t": "\u00a0", "\n": "\u00a0", "\r": "\u00a0"})


def conll_block(tokens: Sequence[str], tags: Sequence[str]) -> str:
    """One sentence: its lines, then the blank line that ends it."""
    pairs = zip(tokens, tags, strict=True)
    lines = [f"{token.translate(_COLUMN_BLANKS)}\t{tag}" for token, tag in pairs]
    return "\n".join(lines) + "\n\n" if lines else ""


def conll_from_text(text: str, entities: Iterable[EntityLike]) -> str:
    """`text` tokenised by the shared rule, tagged IOB2 with `entities`."""
    tokens = tokenize(text)
    tags = entities_to_tags(tokens, checked_entities(text, entities))
    return conll_block([t.text for t in tokens], tags)


def sentences_to_conll(sentences: Iterable[Sentence]) -> str:
    """A lab dataset as one CoNLL file."""
    return "".join(conll_block(s.tokens, s.tags) for s in sentences)
