"""Clean tokens so every word reaches the model as at least one sub-token (RELIABILITY 18).

    sentences, problems = normalise_tokens(sentences, source="dev.txt")

NFC-normalise, remove characters tokenizers drop anyway (zero-width U+200B-U+200D, U+2060,
U+FEFF, other format and control characters, private-use code points), and replace a token
that ends up empty or blank by "_". The number of words never changes, so tags stay aligned.
"""

from __future__ import annotations

import unicodedata

from engine.data.repairs import RepairTally, word_line
from engine.data.types import Problem, Sentence

PLACEHOLDER = "_"
# Unicode categories BERT-style tokenizers delete as "control": Cc control, Cf format
# (zero-width, bidi marks, soft hyphen), Cs lone surrogates, Co private use.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})

_BLANKS_TO_SPACE = str.maketrans("\t\n\r", "   ")

TEMPLATES = {
    "nfc": "{n} tokens were rewritten in Unicode NFC form ({examples})",
    "invisible": "{n} tokens had invisible characters (zero-width, control or private-use) "
    "removed ({examples})",
    "empty": "{n} tokens were empty or invisible ({examples}) and were replaced by "
    + repr(PLACEHOLDER),
}


def normalise_token(token: str) -> str:
    """The cleaned token: NFC, invisible characters removed, "_" if nothing visible is left."""
    cleaned = _strip_invisible(token)
    return cleaned if cleaned.strip() else PLACEHOLDER


def normalise_tokens(
    sentences: list[Sentence], *, source: str = "", word_lines: bool = True
) -> tuple[list[Sentence], list[Problem]]:
    """Clean every token; warnings say how many changed and where."""
    tally = RepairTally(source)
    result = []
    for sentence in sentences:
        tokens = sentence.tokens
        if all(_is_clean(t) for t in tokens):  # the common case: no copying
            result.append(sentence)
            continue
        cleaned = []
        for index, token in enumerate(tokens):
            new = normalise_token(token)
            if new != token:
                tally.add(_change_kind(token, new), word_line(sentence, index, word_lines), token)
            cleaned.append(new)
        result.append(Sentence(tuple(cleaned), sentence.tags, sentence.line))
    return result, tally.problems(TEMPLATES)


def _change_kind(token: str, new: str) -> str:
    if new == PLACEHOLDER:
        return "empty"
    return "nfc" if new == unicodedata.normalize("NFC", token) else "invisible"


def _is_clean(token: str) -> bool:
    # isprintable() is False for every category removed here (and for blanks); ASCII is NFC.
    if not token or not token.isprintable():
        return False
    return token.isascii() or unicodedata.is_normalized("NFC", token)


def _strip_invisible(token: str) -> str:
    token = unicodedata.normalize("NFC", token)
    if token.isprintable():
        return token
    # Tab and newline are control characters too, but they separate words: keep a space.
    token = token.translate(_BLANKS_TO_SPACE)
    visible = "".join(ch for ch in token if unicodedata.category(ch) not in INVISIBLE_CATEGORIES)
    # Removing a zero-width character can bring a base letter and its combining mark together
    # ("e\u200c\u0301"): compose again, so cleaning a clean token changes nothing.
    return unicodedata.normalize("NFC", visible)
