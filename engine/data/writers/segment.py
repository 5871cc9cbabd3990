"""Cut a long document into sentences, and sentences into windows, keeping exact offsets.

    for segment in segment_document(document, max_tokens=200):
        entities = tag(segment.text)                       # offsets inside the segment
        found += shift(entities, segment.start)            # offsets inside the document

The rule, simple on purpose (docs/formats.md): a sentence ends after `.`, `!` or `?` (and any
closing quotes or brackets right after) when whitespace or the end of the text follows, but not
after a single capital letter ("J. Smith") or a common abbreviation (Mr., Dr., e.g., ...);
after `。`, `！` or `？` always; and at a blank line. A sentence longer than `max_tokens`
tokens (engine.data.char_spans.tokenize) is cut into windows of `max_tokens` tokens. Segments
never include leading or trailing whitespace, and document[start:end] == segment.text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from engine.data.char_spans import Entity, tokenize

_CLOSERS = "\"'’”»)\\]}」』）"
_SENTENCE_END = re.compile(
    rf"[.!?]+[{_CLOSERS}]*(?=\s|$)|[。！？]+[{_CLOSERS}]*|\n[ \t\r\f\v]*\n",
)
ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "e.g", "i.e", "cf", "fig", "approx"}
)


@dataclass(frozen=True)
class Segment:
    start: int
    end: int  # exclusive
    text: str  # document[start:end]


def split_sentences(text: str) -> list[Segment]:
    """Sentences of `text` by the module's rule."""
    segments: list[Segment] = []
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group()[0] == "." and _after_abbreviation(text, begin, match.start()):
            continue
        _add(segments, text, begin, match.end())
        begin = match.end()
    _add(segments, text, begin, len(text))
    return segments


def _after_abbreviation(text: str, begin: int, dot: int) -> bool:
    word = re.search(r"\S+$", text[begin:dot])
    if word is None:
        return False
    token = word.group().lstrip("(\"'“‘«")
    return (len(token) == 1 and token.isupper()) or token.lower() in ABBREVIATIONS


def _add(segments: list[Segment], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        segments.append(Segment(start, end, text[start:end]))


def windows(segment: Segment, max_tokens: int) -> list[Segment]:
    """`segment` cut into runs of at most `max_tokens` tokens (whole tokens, exact offsets)."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, not {max_tokens}")
    tokens = tokenize(segment.text)
    if len(tokens) <= max_tokens:
        return [segment]
    out = []
    for first in range(0, len(tokens), max_tokens):
        last = tokens[min(first + max_tokens, len(tokens)) - 1]
        start, end = segment.start + tokens[first].start, segment.start + last.end
        out.append(Segment(start, end, segment.text[tokens[first].start : last.end]))
    return out


def segment_document(text: str, max_tokens: int = 200) -> list[Segment]:
    """Sentences of `text`, each cut into windows of at most `max_tokens` tokens."""
    return [w for sentence in split_sentences(text) for w in windows(sentence, max_tokens)]


def shift(entities: Iterable[Entity], offset: int) -> list[Entity]:
    """Entities found in a segment, with offsets into the whole document."""
    return [replace(e, start=e.start + offset, end=e.end + offset) for e in entities]
