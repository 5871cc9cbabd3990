"""JSONL reader: string tags, ids with every kind of label list, errors located by line."""

from __future__ import annotations

import json

import pytest

from engine.data.readers import read_corpus
from engine.data.readers.jsonl import parse_jsonl, read_jsonl
from engine.data.types import DataError, Sentence

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _lines(*objects: object) -> str:
    return "\n".join(json.dumps(o) for o in objects) + "\n"


def test_string_tags():
    text = _lines({"tokens": ["Ann", "left"], "ner_tags": ["B-PER", "O"]})
    sentences, problems = parse_jsonl(text, "f")
    assert sentences == [Sentence(("Ann", "left"), ("B-PER", "O"), 1)]
    assert problems == []


def test_ids_with_label_list_on_the_line():
    text = _lines(
        {"tokens": ["Ann", "Lee"], "ner_tags": [1, 2], "labels": LABELS},
        {"tokens": ["Rome"], "ner_tags": [3], "label_names": LABELS},
    )
    sentences, problems = parse_jsonl(text, "f")
    assert [s.tags for s in sentences] == [("B-PER", "I-PER"), ("B-LOC",)]
    assert [s.line for s in sentences] == [1, 2]
    assert problems == []


def test_ids_with_label_list_from_the_caller(write):
    path = write("d.jsonl", _lines({"tokens": ["Rome", "."], "ner_tags": [3, 0]}))
    corpus = read_corpus(path, labels=LABELS)
    assert corpus.sentences[0].tags == ("B-LOC", "O")


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        ("labels.txt", "O\nB-PER\nI-PER\nB-LOC\nI-LOC\n"),
        ("labels.json", json.dumps(LABELS)),
        ("labels.json", json.dumps({str(i): name for i, name in enumerate(LABELS)})),
        ("labels.json", json.dumps({name: i for i, name in enumerate(LABELS)})),
    ],
)
def test_ids_with_sibling_label_file(write, file_name, content):
    write(file_name, content)
    row = {"tokens": ["Ann", "Lee", "in", "Rome"], "ner_tags": [1, 2, 0, 3]}
    path = write("d.jsonl", _lines(row))
    sentences, problems = read_jsonl(path)
    assert sentences[0].tags == ("B-PER", "I-PER", "O", "B-LOC")
    assert problems == []


def test_line_labels_beat_caller_labels():
    text = _lines({"tokens": ["x"], "ner_tags": [0], "labels": ["B-X"]})
    sentences, _ = parse_jsonl(text, "f", labels=["O"])
    assert sentences[0].tags == ("B-X",)


def test_json_array_file(write):
    path = write("d.json", json.dumps([{"tokens": ["Ann"], "ner_tags": ["B-PER"]}]))
    assert read_corpus(path).sentences[0].tags == ("B-PER",)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"tokens": ["a"], "ner_tags": ["O"]', "bad JSON"),
        ('{"tokens": ["a", "b"], "ner_tags": ["O"]}', "2 tokens but 1 ner_tags"),
        ('{"tokens": ["a"], "ner_tags": [7], "labels": ["O", "B-X"]}', "tag id 7 at word 1"),
        ('{"tokens": ["a"], "ner_tags": [-1], "labels": ["O"]}', "out of range"),
        ('{"tokens": ["a"], "ner_tags": [1]}', "no label list"),
        ('{"tokens": ["a"]}', "missing key 'ner_tags'"),
        ('{"tokens": [1], "ner_tags": ["O"]}', "tokens must be a list of strings"),
        ('{"tokens": ["a", "b"], "ner_tags": [0, "O"], "labels": ["O"]}', "all strings or all"),
        ('{"tokens": ["a"], "ner_tags": [true], "labels": ["O", "B"]}', "all strings or all"),
        ('["a", "O"]', "expected an object"),
        ("[" * 100_000 + "]" * 100_000, "bad JSON"),
    ],
)
def test_errors_name_file_and_line(write, line, reason):
    path = write("d.jsonl", _lines({"tokens": ["ok"], "ner_tags": ["O"]}) + line + "\n")
    with pytest.raises(DataError) as caught:
        read_corpus(path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.severity) == (str(path), 2, "error")
    assert reason in problem.reason


def test_blank_lines_are_skipped_and_lines_still_counted():
    text = "\n" + _lines({"tokens": ["a"], "ner_tags": ["B-X"]}) + "\n  \n"
    text += _lines({"tokens": ["b"], "ner_tags": ["O"]})
    sentences, _ = parse_jsonl(text, "f")
    assert [s.line for s in sentences] == [2, 5]


def test_empty_sentence_is_skipped_with_a_warning():
    sentences, problems = parse_jsonl(_lines({"tokens": [], "ner_tags": []}), "f")
    assert sentences == []
    assert [(p.line, p.severity) for p in problems] == [(1, "warning")]


def test_bad_sibling_label_file_is_a_data_error(write):
    write("labels.json", '{"a": "b"}')
    path = write("d.jsonl", _lines({"tokens": ["a"], "ner_tags": [0]}))
    with pytest.raises(DataError, match="labels.json"):
        read_corpus(path)


def test_one_line_with_ten_thousand_tokens(write):
    n = 10_000
    obj = {"tokens": [f"w{i}" for i in range(n)], "ner_tags": ["B-X"] + ["I-X"] * (n - 1)}
    corpus = read_corpus(write("long.jsonl", _lines(obj)))
    assert len(corpus.sentences[0].tokens) == n
    assert corpus.sentences[0].tags[-1] == "I-X"


def test_autotrain_tokens_and_tags_fixture():
    from tests.data.conftest import FIXTURES

    corpus = read_corpus(FIXTURES / "autotrain.jsonl")
    assert [(s.tokens, s.tags) for s in corpus.sentences] == [
        (("Ann", "Lee", "visited", "Rome", "."), ("B-PER", "I-PER", "O", "B-LOC", "O")),
        (("Oslo", "is", "cold"), ("B-LOC", "O", "O")),
    ]
    assert corpus.problems == []


def test_tags_key_with_ids_and_the_line_label_list():
    text = _lines({"tokens": ["Ann", "Lee"], "tags": [1, 2], "labels": LABELS})
    sentences, problems = parse_jsonl(text, "f")
    assert (sentences[0].tags, problems) == (("B-PER", "I-PER"), [])


def test_labels_key_holding_string_tags():
    text = _lines({"tokens": ["Rome", "is"], "labels": ["B-LOC", "O"]})
    sentences, problems = parse_jsonl(text, "f")
    assert (sentences[0].tags, problems) == (("B-LOC", "O"), [])


def test_labels_key_holding_ids_named_by_label_names_or_the_caller():
    text = _lines({"tokens": ["Rome"], "labels": [3], "label_names": LABELS})
    assert parse_jsonl(text, "f")[0][0].tags == ("B-LOC",)
    text = _lines({"tokens": ["Rome"], "labels": [3]})
    assert parse_jsonl(text, "f", labels=LABELS)[0][0].tags == ("B-LOC",)


def test_ner_tags_still_win_and_labels_stay_a_label_list():
    text = _lines({"tokens": ["x"], "ner_tags": [1], "tags": ["O"], "labels": ["O", "B-X"]})
    assert parse_jsonl(text, "f")[0][0].tags == ("B-X",)


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ({"tokens": ["a", "b"], "tags": ["O"]}, "2 tokens but 1 tags"),
        ({"tokens": ["a"], "labels": [1]}, "labels are integer ids but there is no label list"),
        ({"tokens": ["a"], "tags": "O"}, "tags must be a list"),
        ({"tokens": ["a"], "tags": [None]}, "tags must be all strings or all integer ids"),
        ({"text": "a b"}, "missing key 'tokens'"),
    ],
)
def test_tags_and_labels_errors_name_the_key(obj, reason):
    _, problems = parse_jsonl(_lines(obj), "f")
    assert len(problems) == 1 and reason in problems[0].reason, problems
