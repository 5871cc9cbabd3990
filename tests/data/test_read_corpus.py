"""read_corpus: format detection, and every awkward size or shape gives a result or a DataError."""

from __future__ import annotations

import json

import pytest

from engine.data.readers import detect_format, inspect_corpus, read_corpus
from engine.data.types import DataError, Sentence

LS_TASK = {"data": {"text": "Ann"}, "annotations": [{"result": []}]}
LS_REGION = {"start": 0, "end": 3, "text": "Ann", "labels": ["PER"]}
# format -> the (file name, content) pairs detected as it (the content decides, not the name)
DETECTED = {
    "conll": [("a.txt", "A\tO\n"), ("a.conll", "A\tO\n"), ("a.tsv", "A\tO\n"),
              ("a.txt", "{\tO\n}\tO\n")],
    "jsonl": [("a.jsonl", '{"tokens": ["A"], "ner_tags": ["O"]}\n'),
              ("a.JSON", '[{"tokens": ["A"], "ner_tags": ["O"]}]'),
              ("a.txt", '\n{"tokens": ["A"], "ner_tags": ["O"]}\n'),
              ("a.jsonl", '{"tokens": ["A"], "tags": ["O"]}\n'),
              ("a.jsonl", '{"text": "no labels at all"}\n')],
    "labelstudio": [("a.json", json.dumps([LS_TASK])), ("a.json", json.dumps(LS_TASK, indent=2))],
    "labelstudio-min": [("a.json", json.dumps([{"text": "Ann", "label": [LS_REGION]}])),
                        ("a.json", json.dumps([{"text": "Ann", "ner": [LS_REGION]}]))],
    "doccano": [("a.jsonl", '{"text": "Ann", "label": [[0, 3, "PER"]]}\n'),
                ("a.txt", '{"text": "Ann", "labels": [[0, 3, "PER"]]}\n')],
    "prodigy": [("a.jsonl", '{"text": "Ann", "spans": [{"start": 0, "end": 3, "label": "P"}]}'),
                ("a.jsonl", '{"text": "Ann", "answer": "reject"}\n{"text": "b", "spans": []}')],
    "spacy": [("a.spacy", "\x00binary")],
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [(name, content, fmt) for fmt, files in DETECTED.items() for name, content in files],
)
def test_detect_format(write, name, content, fmt):
    assert detect_format(write(name, content)) == fmt


def test_explicit_format_and_aliases(write):
    path = write("a.data", "A\tB-X\n")
    assert read_corpus(path, fmt="tsv").sentences[0].tags == ("B-X",)
    with pytest.raises(DataError, match="unknown format 'xml'"):
        read_corpus(path, fmt="xml")


def test_corpus_name_and_scheme(write):
    corpus = read_corpus(write("train.txt", "A\tS-PER\nb\tO\n"))
    assert (corpus.name, corpus.scheme) == ("train.txt", "IOBES")
    assert corpus.sentences == [Sentence(("A", "b"), ("B-PER", "O"), 1)]
    assert corpus.entity_types == ["PER"]


@pytest.mark.parametrize(
    "content",
    ["", "\n\n  \n\t\n", "-DOCSTART- -X- O O\n\n", "-DOCSTART-\n-DOCSTART-\n"],
    ids=["empty", "blank lines", "docstart", "docstart twice"],
)
def test_no_sentences_is_a_data_error(write, content):
    path = write("empty.txt", content)
    with pytest.raises(DataError, match="no sentences") as caught:
        read_corpus(path)
    assert caught.value.problems[0].file == str(path)


def test_empty_jsonl_is_a_data_error(write):
    with pytest.raises(DataError, match="no sentences"):
        read_corpus(write("e.jsonl", "\n"))


@pytest.mark.parametrize("path", ["missing.txt", "."])
def test_missing_file_and_plain_directory_are_data_errors(tmp_path, path):
    with pytest.raises(DataError, match="cannot read file|directory"):
        read_corpus(tmp_path / path)


def test_no_entities_is_usable_with_a_warning(write):
    corpus = read_corpus(write("o.txt", "a\tO\nb\tO\n\nc\to\n"))
    assert len(corpus.sentences) == 2
    assert any(p.severity == "warning" and "no entities" in p.reason for p in corpus.problems)


def test_single_sentence_single_word_without_newline(write):
    corpus = read_corpus(write("one.txt", "Paris\tB-LOC"))
    assert corpus.sentences == [Sentence(("Paris",), ("B-LOC",), 1)]
    assert corpus.problems == []


def test_strict_rejects_what_would_be_repaired(write):
    path = write("r.txt", "B-X\tO\nx\tB-X\n\na\tI-X\n")
    assert read_corpus(path).sentences[1].tags == ("B-X",)
    with pytest.raises(DataError, match="continuation tag"):
        read_corpus(path, strict=True)


def test_inspect_keeps_errors_read_raises_them(write):
    path = write("bad.txt", "a\tB-X\nb\nc\tB-\n")
    corpus = inspect_corpus(path)
    assert [(p.line, p.severity) for p in corpus.problems] == [(2, "error"), (3, "error")]
    with pytest.raises(DataError) as caught:
        read_corpus(path)
    assert [p.line for p in caught.value.problems] == [2, 3]


@pytest.mark.slow
def test_hundred_thousand_sentences_parse(write):
    block = "Ann\tB-PER\nLee\tI-PER\nwent\tO\nto\tO\nRome\tB-LOC\n.\tO\n\n"
    path = write("big.txt", block * 100_000)
    corpus = read_corpus(path)
    assert len(corpus.sentences) == 100_000
    assert corpus.sentences[-1].line == 99_999 * 7 + 1


def test_one_sentence_of_ten_thousand_words(write):
    n = 10_000
    lines = ["w\tB-X"] + ["w\tI-X"] * (n - 1)
    corpus = read_corpus(write("long.txt", "\n".join(lines)))
    assert len(corpus.sentences[0].tokens) == n
    assert corpus.sentences[0].tags.count("B-X") == 1


def test_one_jsonl_line_of_ten_thousand_words_with_ids(write):
    n = 10_000
    line = json.dumps({"tokens": ["w"] * n, "ner_tags": [1] * n, "labels": ["O", "X"]})
    corpus = read_corpus(write("long.jsonl", line))
    assert corpus.scheme == "IO"
    assert corpus.sentences[0].tags[:2] == ("B-X", "I-X")


def test_detection_looks_past_records_that_say_nothing(write):
    rows = [{"text": "a"}, {"text": "b"}, {"text": "Ann", "label": [[0, 3, "PER"]]}]
    path = write("d.jsonl", "\n".join(json.dumps(r) for r in rows))
    assert detect_format(path) == "doccano"


def test_explicit_format_overrides_detection(write):
    path = write("d.jsonl", '{"text": "Ann", "spans": [{"start": 0, "end": 3, "label": "P"}]}\n')
    assert read_corpus(path).sentences[0].tags == ("B-P",)  # detected: prodigy
    as_doccano = inspect_corpus(path, fmt="doccano")  # no doccano key: a text without entities
    assert as_doccano.sentences[0].tags == ("O",)
    with pytest.raises(DataError, match="missing key 'tokens'"):
        read_corpus(path, fmt="jsonl")


def test_span_policy_flows_to_the_span_readers_and_is_checked(write):
    path = write("d.jsonl", '{"text": "Hello", "label": [[0, 3, "X"]]}\n')
    assert read_corpus(path).sentences[0].tags == ("B-X",)
    with pytest.raises(DataError, match="span_policy='reject'"):
        read_corpus(path, span_policy="reject")
    with pytest.raises(DataError, match="unknown span_policy 'cut'"):
        read_corpus(path, span_policy="cut")
    with pytest.raises(DataError, match="snapped"):
        read_corpus(path, strict=True)  # a snapped span is a repair: strict refuses it


@pytest.mark.parametrize("alias", ["label-studio", "LS", "labelstudio"])
def test_format_aliases_for_label_studio(write, alias):
    path = write("x.data", json.dumps([LS_TASK]))
    assert read_corpus(path, fmt=alias).sentences[0].tokens == ("Ann",)


def test_validate_reports_a_label_studio_file(write):
    from engine.data.validate import validate_file

    task = {
        "data": {"text": "Visit NewYork"},
        "annotations": [
            {
                "result": [
                    {
                        "type": "labels",
                        "value": {"start": 6, "end": 9, "text": "New", "labels": ["LOC"]},
                    }
                ]
            }
        ],
    }
    report = validate_file(str(write("e.json", json.dumps([task]))))
    assert (report.format, report.usable, report.entities) == ("labelstudio", True, {"LOC": 1})
    assert any("inside the word 'NewYork'" in p.reason for p in report.problems)
