"""Token clean-up: invisible characters removed, empty tokens replaced, word count unchanged."""

from __future__ import annotations

import pytest

from engine.data.readers import read_corpus
from engine.data.tokens import PLACEHOLDER, normalise_token, normalise_tokens
from engine.data.types import Sentence


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("plain", "plain"),
        ("watched\u200bwas", "watchedwas"),
        ("Dubbz\ufeff", "Dubbz"),
        ("a\u200cb\u200dc\u2060d", "abcd"),
        ("ctrl\x07", "ctrl"),
        ("e\u0301", "\u00e9"),  # NFC
        ("\u200b", PLACEHOLDER),
        ("\ufeff\u200d", PLACEHOLDER),
        ("\x00", PLACEHOLDER),
        ("\ue305", PLACEHOLDER),  # private use: tokenizers drop it as "control"
        ("\u3000", PLACEHOLDER),
        ("", PLACEHOLDER),
        ("a\tb", "a b"),
        ("\ufffd\ufffd", "\ufffd\ufffd"),  # visible replacement characters stay
        ("中文", "中文"),
    ],
)
def test_normalise_token(token, expected):
    assert normalise_token(token) == expected


def test_word_count_never_changes_and_changes_are_reported():
    sentences = [
        Sentence(("ok", "\u200b", "x\ufeff", "e\u0301"), ("O", "B-X", "O", "O"), 10),
        Sentence(("fine",), ("O",), 20),
    ]
    cleaned, problems = normalise_tokens(sentences, source="dev.txt")
    assert [len(s.tokens) for s in cleaned] == [4, 1]
    assert cleaned[0].tokens == ("ok", PLACEHOLDER, "x", "\u00e9")
    assert cleaned[0].tags == sentences[0].tags
    assert cleaned[1] is sentences[1]  # untouched sentences are not copied
    by_line = {p.line: p.reason for p in problems}
    assert by_line[11].startswith("1 tokens were empty or invisible")
    assert by_line[12].startswith("1 tokens had invisible characters")
    assert by_line[13].startswith("1 tokens were rewritten in Unicode NFC")
    assert all(p.severity == "warning" for p in problems)


def test_reader_applies_normalisation_with_file_and_line(write):
    path = write("zw.conll", "a\tO\nb\u200b\tB-X\n\n\u200b\tO\nc\tO\n")
    corpus = read_corpus(path)
    assert [s.tokens for s in corpus.sentences] == [("a", "b"), (PLACEHOLDER, "c")]
    lines = sorted(p.line for p in corpus.problems)
    assert lines == [2, 4]
