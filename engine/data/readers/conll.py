"""CoNLL and TSV reader: one word per line, token first, tag last, blank line between sentences.

    sentences, problems = read_conll(Path("train.txt"))

Columns are split on runs of ASCII tabs and spaces, so a token may hold a no-break space; middle
columns (POS, chunk) are ignored. Tags come back exactly as written: scheme handling and token
clean-up happen later (engine.data.schemes, engine.data.tokens).
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.data.readers.source import CappedProblems, read_text
from engine.data.tokens import normalise_token
from engine.data.types import Problem, Sentence

DOCSTART = "-DOCSTART-"
# Only ASCII blanks separate columns: str.split() would also cut at U+00A0 or U+3000, which
# occur inside real tokens (U+3000 is a whole "word" in some Chinese corpora).
_ASCII_BLANKS = " \t\f\v"
_COLUMN_SEPARATOR = re.compile(r"[ \t\f\v]+")
# str.split() also splits at these (ASCII "information separators"); when a file has none,
# str.split() on an ASCII line is exactly the regex split, and several times faster.
_INFO_SEPARATORS = re.compile("[\x1c-\x1f]")


def read_conll(path: Path) -> tuple[list[Sentence], list[Problem]]:
    """Read a CoNLL/TSV file; undecodable or unreadable files raise DataError."""
    return parse_conll(read_text(path), str(path))


def parse_conll(text: str, name: str) -> tuple[list[Sentence], list[Problem]]:
    """Parse CoNLL text (newlines already "\\n"); `name` is used in problem locations."""
    sentences: list[Sentence] = []
    problems = CappedProblems(name)
    tokens: list[str] = []
    tags: list[str] = []
    start = 0
    fast = _INFO_SEPARATORS.search(text) is None
    for number, line in enumerate(text.split("\n"), start=1):
        fields = split_columns(line, fast=fast)
        docstart = fields is not None and is_docstart(fields[0])
        bad = fields is not None and len(fields) < 2 and not docstart
        if bad:
            problems.add(number, f"only one column ({fields[0]!r}); expected TOKEN ... TAG")
        if fields is None or docstart or bad:
            # Whitespace-only lines (wnut17 uses a lone TAB) and DOCSTART end a sentence. So
            # does a bad line: the words of a sentence stay on consecutive lines, which is what
            # lets later checks compute any word's line from the sentence's first line.
            if tokens:
                sentences.append(Sentence(tuple(tokens), tuple(tags), start))
                tokens, tags = [], []
            continue
        if not tokens:
            start = number
        tokens.append(fields[0])
        tags.append(fields[-1])
    if tokens:  # no blank line (or no newline at all) after the last sentence
        sentences.append(Sentence(tuple(tokens), tuple(tags), start))
    return sentences, problems.problems()


def is_docstart(token: str) -> bool:
    """`-DOCSTART-`, also behind invisible characters (a second file's BOM after `cat a b`)."""
    return token == DOCSTART or (DOCSTART in token and normalise_token(token) == DOCSTART)


def split_columns(line: str, *, fast: bool = False) -> list[str] | None:
    """Columns of one line, or None for a blank / whitespace-only line.

    `fast` promises the line holds no U+001C..U+001F, so str.split() is exact for ASCII lines.
    """
    if not line or line.isspace():
        return None
    if fast and line.isascii():
        return line.split()
    return _COLUMN_SEPARATOR.split(line.strip(_ASCII_BLANKS))
