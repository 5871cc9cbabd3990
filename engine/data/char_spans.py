"""Raw text <-> tokens with character offsets, and entity spans <-> IOB2 tags (pure, no I/O).

    tokens = tokenize("Ann Lee visited 北京.")   # Token("Ann", 0, 3) ... Token("北", 16, 17) ...
    tags = entities_to_tags(tokens, [Entity(0, 7, "PER")])    # ["B-PER", "I-PER", "O", ...]
    entities = tags_to_entities(tokens, tags)                  # back to Entity(0, 7, "PER")

The tokenisation rule every span format shares (Label Studio, doccano, Prodigy without its own
tokens, and the writers), documented in docs/formats.md:

1. Whitespace separates tokens and is dropped (space, tab, CR, LF, no-break and ideographic
   space, ...), and so are control characters, zero-width space, word joiner and BOM.
2. A run of letters, digits and "_" is one token; an apostrophe or hyphen between two of them
   joins the run ("don't", "Jean-Pierre"), as CoNLL-2003 writes such words.
3. CJK ideographs, kana, hangul, CJK punctuation and full-width forms: one token per character,
   the way character-level corpora (Weibo, MSRA, KLUE) are annotated.
4. Any other character (punctuation, symbols, emoji) is a token of its own.
5. Combining marks, variation selectors, emoji skin-tone modifiers and format characters (ZWJ,
   ZWNJ, soft hyphen) stay with the character before them; a ZWJ also pulls in the character
   after it (one token for a ZWJ emoji sequence), and two regional indicators make one flag.

Offsets are Python string indices (code points) into the text exactly as given, CR LF included.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

# The blocks of engine.inference.tagger.split_words (plus extensions B-H), so imported data is
# split like text typed into the Playground.
_CJK_RANGES = (
    (0x3000, 0x303F),  # CJK symbols and punctuation (U+3000 itself is whitespace, rule 1)
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFFEF),  # half-width and full-width forms
    (0x20000, 0x3134F),  # CJK extensions B-H: rare, but whole names are written with them
)
# Invisible characters that separate rather than join: a token must never hold one alone.
_SEPARATORS = frozenset("\u200b\u2060\ufeff")
_JOINERS = frozenset("'’-")  # inside a word: "don't", "Jean-Pierre"
ZWJ = "\u200d"
SPACE, WORD, CJK, MARK, FLAG, OTHER = "space", "word", "cjk", "mark", "flag", "other"


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int  # exclusive: text[start:end] == self.text


@dataclass(frozen=True)
class Entity:
    """A typed character span [start, end) of a text; `score` is a model's confidence."""

    start: int
    end: int
    type: str
    score: float | None = None


@lru_cache(maxsize=8192)
def char_class(ch: str) -> str:
    """The class rule 1-5 give a character: space, word, cjk, mark, flag or other."""
    if ch.isspace() or ch in _SEPARATORS:
        return SPACE
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):  # control characters; lone surrogates from JSON "\ud800"
        return SPACE
    code = ord(ch)
    if any(low <= code <= high for low, high in _CJK_RANGES):
        return CJK
    if category[0] == "M" or category == "Cf" or 0x1F3FB <= code <= 0x1F3FF:
        return MARK
    if ch.isalnum() or ch == "_":  # what Python's re counts as \w
        return WORD
    if 0x1F1E6 <= code <= 0x1F1FF:  # regional indicators: two make a flag
        return FLAG
    return OTHER


def tokenize(text: str) -> list[Token]:
    """Tokens of `text` with exact offsets, by the module's rule."""
    tokens: list[Token] = []
    start = -1  # start of the token in progress, -1 when none
    kind = ""  # class of the character that opened it
    size = 0  # characters of class `kind` in it (a flag holds two)
    glue = False  # the previous character was a ZWJ
    for index, ch in enumerate(text):
        cls = char_class(ch)
        if cls == SPACE:
            if start >= 0:
                tokens.append(Token(text[start:index], start, index))
            start, glue = -1, False
            continue
        if start >= 0 and _continues(text, index, cls, kind, size, glue):
            size += cls == kind
        else:
            if start >= 0:
                tokens.append(Token(text[start:index], start, index))
            start, kind, size = index, cls, 1
        glue = ch == ZWJ
    if start >= 0:
        tokens.append(Token(text[start:], start, len(text)))
    return tokens


def _continues(text: str, index: int, cls: str, kind: str, size: int, glue: bool) -> bool:
    """Whether character `index` (class `cls`) belongs to the token in progress."""
    if glue or cls == MARK:
        return True
    if kind == WORD:
        if cls == WORD:
            return True
        following = text[index + 1 : index + 2]
        return text[index] in _JOINERS and bool(following) and char_class(following) == WORD
    return kind == FLAG and cls == FLAG and size == 1


class TokenIndex:
    """Find the tokens under a character span in O(log n) (a document may hold 10^5 tokens)."""

    def __init__(self, tokens: Sequence[Token]):
        self.tokens = tokens
        self.starts = [t.start for t in tokens]
        self.ends = [t.end for t in tokens]

    def range(self, start: int, end: int) -> tuple[int, int] | None:
        """(first, stop) indices of the tokens overlapping [start, end), or None when none do."""
        first = bisect_right(self.ends, start)  # the first token that ends after `start`
        stop = bisect_left(self.starts, end)  # tokens before it start before `end`
        return (first, stop) if stop > first else None


def token_range(tokens: Sequence[Token], start: int, end: int) -> tuple[int, int] | None:
    """(first, stop) indices of the tokens that overlap [start, end), or None when none does."""
    return TokenIndex(tokens).range(start, end)


def entities_to_tags(tokens: Sequence[Token], entities: Sequence[Entity]) -> list[str]:
    """IOB2 tags; entities are taken in order and one that overlaps an earlier one is skipped."""
    tags = ["O"] * len(tokens)
    index = TokenIndex(tokens)
    for entity in entities:
        found = index.range(entity.start, entity.end)
        if found is None or any(tags[i] != "O" for i in range(*found)):
            continue
        first, stop = found
        tags[first] = "B-" + entity.type
        tags[first + 1 : stop] = ["I-" + entity.type] * (stop - first - 1)
    return tags


def tag_ranges(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """(type, first, stop) of every IOB2 entity; an I- that cannot continue starts one."""
    ranges: list[tuple[str, int, int]] = []
    kind, first = "", 0
    for index, tag in enumerate([*tags, "O"]):
        continues = kind and tag == "I-" + kind
        if kind and not continues:
            ranges.append((kind, first, index))
            kind = ""
        if tag != "O" and not continues and len(tag) > 2 and tag[1] == "-":
            kind, first = tag[2:], index
    return ranges


def tags_to_entities(
    tokens: Sequence[Token], tags: Sequence[str], scores: Sequence[float] | None = None
) -> list[Entity]:
    """Character-span entities of IOB2 `tags`; `scores` (one per token) are averaged."""
    entities = []
    for kind, first, stop in tag_ranges(tags):
        score = None
        if scores is not None:
            score = round(sum(scores[first:stop]) / (stop - first), 4)
        entities.append(Entity(tokens[first].start, tokens[stop - 1].end, kind, score))
    return entities


def detokenize(words: Sequence[str]) -> tuple[str, list[Token]]:
    """Text for a tokenised sentence, with each word's exact offsets in it.

    Words are joined by one space, except two CJK characters, which are written together so the
    text reads naturally and tokenize() splits it back into the same characters.
    """
    parts: list[str] = []
    tokens: list[Token] = []
    position = 0
    for index, word in enumerate(words):
        if index and not (_is_cjk_char(words[index - 1]) and _is_cjk_char(word)):
            parts.append(" ")
            position += 1
        parts.append(word)
        tokens.append(Token(word, position, position + len(word)))
        position += len(word)
    return "".join(parts), tokens


def _is_cjk_char(word: str) -> bool:
    return len(word) == 1 and char_class(word) == CJK
