"""Prodigy / spaCy span JSONL: own tokens, token_start/token_end, reject/ignore counting.

tests/fixtures/data/prodigy.jsonl follows Prodigy's documented ner.manual output: `text`,
`tokens` ({text, start, end, id, ws}), `spans` ({start, end, token_start, token_end, label};
token_end inclusive) and `answer`.
"""

from __future__ import annotations

import json

import pytest

from engine.data.readers import detect_format, inspect_corpus, read_corpus
from tests.data.conftest import FIXTURES


def lines(*objects: object) -> str:
    return "\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + "\n"


def tokens_of(*words: tuple[str, int, int]) -> list[dict[str, object]]:
    return [{"text": w, "start": s, "end": e, "id": i} for i, (w, s, e) in enumerate(words)]


def test_fixture_skips_and_counts_reject_and_ignore():
    path = FIXTURES / "prodigy.jsonl"
    assert detect_format(path) == "prodigy"
    corpus = read_corpus(path)
    assert [(s.tokens, s.tags, s.line) for s in corpus.sentences] == [
        (("Apple", "updates", "its", "analytics", "service"), ("B-ORG", "O", "O", "O", "O"), 1),
        (
            ("Sundar", "Pichai", "leads", "Google", "."),
            ("B-PERSON", "I-PERSON", "O", "B-ORG", "O"),
            4,
        ),
        (("New", "York", "-", "based", "firm"), ("B-GPE", "I-GPE", "O", "O", "O"), 5),
    ]
    assert [(p.line, p.severity, p.reason) for p in corpus.problems] == [
        (0, "warning", "5 records, 2 skipped (1 rejected, 1 ignored)")
    ]


def test_the_files_tokens_are_used_not_the_shared_rule(write):
    # The shared rule would make "York-based" one word; the file's tokens split it.
    words = tokens_of(("York", 0, 4), ("-", 4, 5), ("based", 5, 10))
    obj = {
        "text": "York-based",
        "tokens": words,
        "spans": [{"token_start": 0, "token_end": 0, "label": "GPE"}],
    }
    sentence = read_corpus(write("p.jsonl", lines(obj))).sentences[0]
    assert (sentence.tokens, sentence.tags) == (("York", "-", "based"), ("B-GPE", "O", "O"))


def test_whitespace_tokens_are_dropped(write):
    # spaCy makes a token of the extra space in "Ann  Lee"; it is no word to tag.
    words = tokens_of(("Ann", 0, 3), (" ", 4, 5), ("Lee", 5, 8))
    span = {"start": 0, "end": 8, "token_start": 0, "token_end": 2, "label": "PER"}
    path = write("p.jsonl", lines({"text": "Ann  Lee", "tokens": words, "spans": [span]}))
    corpus = read_corpus(path)
    assert [(s.tokens, s.tags) for s in corpus.sentences] == [(("Ann", "Lee"), ("B-PER", "I-PER"))]
    assert corpus.problems == []


def test_token_indices_that_disagree_with_offsets_are_reported(write):
    words = tokens_of(("Ann", 0, 3), ("Lee", 4, 7))
    span = {"start": 0, "end": 3, "token_start": 0, "token_end": 1, "label": "PER"}
    path = write("p.jsonl", lines({"text": "Ann Lee", "tokens": words, "spans": [span]}))
    corpus = inspect_corpus(path)
    assert corpus.sentences[0].tags == ("B-PER", "I-PER")
    assert corpus.problems[0].reason == (
        "span tokens 0-1 (PER) covers 0-7 'Ann Lee' but start/end say 0-3; the tokens were used"
    )


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        (
            {"text": "ab", "tokens": [{"text": "ab", "start": 0, "end": 1}]},
            "tokens[0] 'ab' has offsets 0-1, but the text there is 'a'",
        ),
        (
            {"text": "ab", "tokens": [{"start": 0, "end": 2}]},
            "tokens[0] must be an object with a 'text'",
        ),
        (
            {"text": "a a", "tokens": tokens_of(("a", 0, 1), ("a", 0, 1))},
            "overlaps the token before",
        ),
        (
            {
                "text": "ab",
                "tokens": tokens_of(("ab", 0, 2)),
                "spans": [{"token_start": 0, "token_end": 3, "label": "X"}],
            },
            "token_start/token_end must be indices",
        ),
        (
            {"text": "ab", "spans": [{"start": 0, "end": 2}]},
            "label must be a non-empty string, not None",
        ),
        ({"text": "ab", "spans": "x"}, "'spans' must be a list"),
        ({"text": "ab", "spans": [3]}, "spans[1] must be an object"),
        ({"spans": []}, "expected an object with 'text' and 'spans'"),
    ],
)
def test_bad_lines_are_errors_with_their_line(write, obj, reason):
    path = write("p.jsonl", lines({"text": "ok", "spans": []}, obj))
    corpus = inspect_corpus(path, fmt="prodigy")
    errors = [p for p in corpus.problems if p.severity == "error"]
    assert len(errors) == 1 and errors[0].line == 2, corpus.problems
    assert reason in errors[0].reason, errors[0].reason


def test_spans_without_tokens_use_the_shared_rule_and_ignore_token_indices(write):
    span = {"start": 0, "end": 2, "token_start": 7, "token_end": 9, "label": "LOC"}
    path = write("p.jsonl", lines({"text": "北京很大", "spans": [span]}))
    sentence = read_corpus(path, fmt="spacy-jsonl").sentences[0]
    assert sentence.tags == ("B-LOC", "I-LOC", "O", "O")
