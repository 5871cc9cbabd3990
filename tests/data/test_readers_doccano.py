"""doccano sequence-labelling JSONL: `label` and `labels` (and `entities`) keys, located errors.

tests/fixtures/data/doccano.jsonl follows doccano's documented export: one object a line with
`text` and `label: [[start, end, type], ...]` (end exclusive, character offsets).
"""

from __future__ import annotations

import json

import pytest

from engine.data.readers import detect_format, inspect_corpus, read_corpus
from engine.data.readers.doccano import read_doccano
from engine.data.types import DataError
from tests.data.conftest import FIXTURES


def lines(*objects: object) -> str:
    return "\n".join(json.dumps(o, ensure_ascii=False) for o in objects) + "\n"


def test_fixture_reads_every_key_name():
    path = FIXTURES / "doccano.jsonl"
    assert detect_format(path) == "doccano"
    corpus = read_corpus(path)
    assert [(s.tags, s.line) for s in corpus.sentences] == [
        (("B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"), 1),
        (("B-PER", "I-PER"), 2),
        (("O", "O", "O", "O"), 3),
        (("B-PER", "I-PER", "O", "B-ORG", "O"), 4),
    ]
    assert corpus.sentences[0].tokens[:3] == ("EU", "rejects", "German")
    assert corpus.problems == []


@pytest.mark.parametrize("key", ["label", "labels"])
def test_both_key_names(write, key):
    path = write("d.jsonl", lines({"text": "Ann Lee left", key: [[0, 7, "PER"]]}))
    assert detect_format(path) == "doccano"
    assert read_corpus(path).sentences[0].tags == ("B-PER", "I-PER", "O")


def test_only_empty_label_lists_are_still_doccano(write):
    path = write("d.jsonl", lines({"text": "a b", "label": []}, {"text": "c", "label": []}))
    assert detect_format(path) == "doccano"
    corpus = inspect_corpus(path)
    assert [s.tags for s in corpus.sentences] == [("O", "O"), ("O",)]
    assert "no entities" in corpus.problems[-1].reason


def test_chinese_character_offsets(write):
    path = write(
        "d.jsonl", lines({"text": "我爱北京天安门", "label": [[2, 4, "LOC"], [4, 7, "LOC"]]})
    )
    sentence = read_corpus(path).sentences[0]
    assert sentence.tokens == tuple("我爱北京天安门")
    assert sentence.tags == ("O", "O", "B-LOC", "I-LOC", "B-LOC", "I-LOC", "I-LOC")


def test_cut_word_names_the_line_and_characters(write):
    path = write(
        "d.jsonl", lines({"text": "ok", "label": []}, {"text": "Hello Wor", "label": [[2, 9, "X"]]})
    )
    corpus = inspect_corpus(path)
    (cut,) = [p for p in corpus.problems if "inside the word" in p.reason]
    assert cut.line == 2
    assert cut.reason == (
        "span 2-9 'llo Wor' (X) has an edge inside the word 'Hello' (0-5); snapped to 0-9 "
        "'Hello Wor'"
    )


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ({"text": "abc", "label": [[0, 2]]}, "label[1] = [0, 2] is not [start, end, type]"),
        ({"text": "abc", "label": ["positive"]}, "is not [start, end, type]"),
        ({"text": "abc", "label": {"a": 1}}, "'label' must be a list"),
        ({"text": "abc", "label": [[0, 9, "X"]]}, "offsets out of range"),
        ({"text": "abc", "label": [[0, 3, ""]]}, "label must be a non-empty string"),
        ({"text": 5, "label": []}, "expected an object with 'text' and 'label'"),
        ([1, 2], "expected an object with 'text' and 'label' (list)"),
    ],
)
def test_bad_lines_are_errors_with_their_line(write, obj, reason):
    path = write("d.jsonl", lines({"text": "fine", "label": [[0, 4, "X"]]}, obj))
    with pytest.raises(DataError) as caught:
        read_corpus(path, fmt="doccano")
    (problem,) = caught.value.problems
    assert problem.line == 2 and reason in problem.reason, problem


def test_bad_json_line_is_logged_and_the_rest_is_read(write):
    path = write("d.jsonl", lines({"text": "a", "label": []}) + '{"text": \n')
    sentences, problems = read_doccano(path)
    assert len(sentences) == 1
    assert (problems[0].line, problems[0].severity) == (2, "error")
    assert problems[0].reason.startswith("bad JSON")


def test_overlapping_spans_keep_the_longest(write):
    text = "New York City is big"
    path = write("d.jsonl", lines({"text": text, "label": [[0, 8, "LOC"], [0, 13, "GPE"]]}))
    corpus = inspect_corpus(path)
    assert corpus.sentences[0].tags == ("B-GPE", "I-GPE", "I-GPE", "O", "O")
    (overlap, summary) = corpus.problems
    assert overlap.reason == (
        "span 0-8 'New York' (LOC) overlaps 0-13 'New York City' (GPE); the longer one was kept"
    )
    assert summary.reason == "1 overlapping span dropped (the longest kept)"
    assert {overlap.severity, summary.severity} == {"warning"}
