"""Label Studio JSON and JSON-MIN exports: tokens, tags, annotation choice, located problems.

The fixtures (tests/fixtures/data/labelstudio_*.json) are written by hand after Label Studio's
documented task format (labelstud.io/guide/task_format, export formats JSON and JSON-MIN).
"""

from __future__ import annotations

import json

import pytest

from engine.data.readers import detect_format, inspect_corpus, read_corpus
from engine.data.readers.labelstudio import annotation_time, latest, read_labelstudio
from engine.data.types import DataError, Sentence
from tests.data.conftest import FIXTURES, tagged

EXPORT = FIXTURES / "labelstudio_export.json"


def region(start, end, text, label, kind="labels"):
    return {
        "id": f"r{start}",
        "from_name": "label",
        "to_name": "text",
        "type": kind,
        "value": {"start": start, "end": end, "text": text, "labels": [label]},
    }


def task(text, *annotations, **extra):
    return {"data": {"text": text}, "annotations": list(annotations), **extra}


def annotation(*regions, **extra):
    return {"result": list(regions), "was_cancelled": False, **extra}


def test_fixture_is_detected_and_read_exactly():
    assert detect_format(EXPORT) == "labelstudio"
    corpus = read_corpus(EXPORT)
    assert [(s.tokens, s.tags) for s in corpus.sentences] == [
        tagged("Angela/B-PER Merkel/I-PER visited Paris/B-LOC ."),
        tagged("Zoë/B-PER Bárbara/I-PER flew from 東/B-LOC 京/I-LOC to Paris/B-LOC 😀 👍🏽 today ."
               " Café/B-ORG Bár/I-ORG opens ."),
        tagged("Visit NewYork/B-LOC now"),
        tagged("李/B-PER 白/I-PER 出 生 于 碎/B-LOC 叶/I-LOC 城/I-LOC 。"),
    ]  # fmt: skip
    # Sentence.line is the line of the task's "{" in the pretty-printed export.
    assert [s.line for s in corpus.sentences] == [2, 53, 76, 100]


def test_summary_counts_choice_cancelled_and_unannotated_tasks():
    corpus = read_corpus(EXPORT)
    (summary,) = [p for p in corpus.problems if p.line == 0]
    assert summary.severity == "warning"
    assert summary.reason.startswith("5 tasks; 1 task had several annotations (most recent used)")
    assert "1 cancelled annotation skipped" in summary.reason
    assert "1 task without annotations skipped" in summary.reason
    assert "type 'choices' x1" in summary.reason
    assert "1 span snapped to word edges" in summary.reason


def test_a_span_that_cuts_a_word_names_task_line_and_characters():
    corpus = inspect_corpus(EXPORT)
    (cut,) = [p for p in corpus.problems if "inside the word" in p.reason]
    assert (cut.file, cut.line, cut.severity) == (str(EXPORT), 76, "warning")
    assert cut.reason == (
        "task 3 (id 103): span 6-9 'New' (LOC) has an edge inside the word 'NewYork' (6-13); "
        "snapped to 6-13 'NewYork'"
    )


def test_reject_policy_makes_the_cut_span_an_error():
    corpus = inspect_corpus(EXPORT, span_policy="reject")
    (cut,) = [p for p in corpus.problems if "inside the word" in p.reason]
    assert (cut.line, cut.severity) == (76, "error")
    assert cut.reason.endswith("rejected (span_policy='reject')")
    assert corpus.sentences[2].tags == ("O", "O", "O")
    with pytest.raises(DataError, match="task 3"):
        read_corpus(EXPORT, span_policy="reject")


def test_most_recent_annotation_wins_whatever_its_position(write):
    old = annotation(region(0, 3, "Ann", "PER"), updated_at="2024-01-01T00:00:00Z")
    new = annotation(region(0, 3, "Ann", "ORG"), updated_at="2024-05-01T00:00:00.123456Z")
    for order in ([old, new], [new, old]):
        path = write("e.json", json.dumps([task("Ann left", *order)]))
        assert read_corpus(path).sentences[0].tags == ("B-ORG", "O")


def test_without_times_the_last_annotation_wins():
    first, second = annotation(result=1), annotation(result=2)
    assert latest([first, second]) is second
    assert annotation_time({"created_at": 1609789589}) == 1609789589.0  # Label Studio 0.x
    assert annotation_time({"updated_at": "not a date"}) == float("-inf")


def test_cancelled_only_task_is_skipped(write):
    cancelled = {"result": [region(0, 3, "Ann", "PER")], "was_cancelled": True}
    path = write("e.json", json.dumps([task("Ann left", cancelled), task("Bo", annotation())]))
    corpus = inspect_corpus(path)
    assert corpus.sentences == [Sentence(("Bo",), ("O",), 1)]
    assert "1 cancelled annotation skipped" in corpus.problems[0].reason


def test_text_key_and_single_string_data(write):
    rows = [{"data": {"sentence": "Ann left", "n": 3}, "annotations": [annotation()]}]
    path = write("e.json", json.dumps(rows))
    assert read_corpus(path).sentences[0].tokens == ("Ann", "left")
    rows = [{"data": {"a": "x", "b": "Ann left"}, "annotations": [annotation()]}]
    path = write("two.json", json.dumps(rows))
    assert "pass text_key" in inspect_corpus(path).problems[0].reason
    assert read_corpus(path, text_key="b").sentences[0].tokens == ("Ann", "left")


def test_utf16_offsets_of_older_exports_are_converted(write):
    text = "😀 Paris"  # JavaScript counts the emoji as 2: Paris at 3-8
    path = write("e.json", json.dumps([task(text, annotation(region(3, 8, "Paris", "LOC")))]))
    corpus = read_corpus(path)
    assert corpus.sentences[0].tags == ("O", "B-LOC")
    assert "1 span had offsets counted in UTF-16 code units" in corpus.problems[0].reason


def test_quote_mismatch_is_a_warning_and_offsets_win(write):
    path = write("e.json", json.dumps([task("Ann Lee", annotation(region(0, 3, "Bob", "PER")))]))
    corpus = read_corpus(path)
    assert corpus.sentences[0].tags == ("B-PER", "O")
    assert "the text there is 'Ann' but the file says 'Bob'" in corpus.problems[0].reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"start": 5, "end": 2, "text": "x", "labels": ["X"]}, "start must be less than end"),
        ({"start": 0, "end": 99, "labels": ["X"]}, "out of range for a text of 8 characters"),
        ({"start": "0", "end": 3, "labels": ["X"]}, "must be integers"),
        ({"start": 0, "end": 3, "labels": []}, "label must be a non-empty string"),
        ({"start": 0, "end": 3, "labels": [7]}, "label must be a non-empty string"),
        ({"start": 3, "end": 4, "labels": ["X"]}, "covers no word"),
    ],
)
def test_bad_regions_are_errors_with_task_and_line(write, value, reason):
    item = {"type": "labels", "value": value}
    path = write("e.json", "[\n" + json.dumps(task("Ann left", annotation(item), id=9)) + "\n]")
    corpus = inspect_corpus(path)
    errors = [p for p in corpus.problems if p.severity == "error"]
    assert len(errors) == 1 and reason in errors[0].reason, corpus.problems
    assert errors[0].line == 2 and errors[0].reason.startswith("task 1 (id 9): ")


def test_unknown_label_against_the_callers_labels(write):
    path = write("e.json", json.dumps([task("Ann left", annotation(region(0, 3, "Ann", "PER")))]))
    corpus = inspect_corpus(path, labels=["O", "B-LOC", "I-LOC"])
    assert "unknown label 'PER' (labels: LOC)" in corpus.problems[0].reason


def test_bad_task_shapes_are_errors_not_tracebacks(write):
    rows = [7, {"data": "x"}, {"data": {"text": "a"}, "annotations": {}}, task("b", {"result": 1})]
    corpus = inspect_corpus(write("e.json", json.dumps(rows)), fmt="labelstudio")
    reasons = [p.reason for p in corpus.problems if p.severity == "error"]
    assert reasons[:4] == [
        "task 1: expected a task object, got int",
        "task 2: no 'data' object holding the text",
        "task 3: 'annotations' must be a list",
        "task 4: the annotation's 'result' must be a list",
    ]


def test_broken_json_array_is_a_data_error_with_its_line(write):
    path = write("e.json", '[\n {"data": {"text": "a"}},\n {"data": \n]')
    with pytest.raises(DataError) as caught:
        read_corpus(path, fmt="labelstudio")
    assert caught.value.problems[0].line == 4


def test_min_export_reads_most_recent_row_per_task():
    path = FIXTURES / "labelstudio_min.json"
    assert detect_format(path) == "labelstudio-min"
    corpus = read_corpus(path)
    assert [(s.tokens, s.tags) for s in corpus.sentences] == [
        (("Ann", "Lee", "moved", "to", "Rome", "."), ("B-PER", "I-PER", "O", "O", "B-LOC", "O")),
        (("Oslo", "is", "cold", "."), ("B-LOC", "O", "O", "O")),
    ]
    assert corpus.problems[0].reason == "2 tasks; 1 task had several annotations (most recent used)"


def test_min_export_through_the_explicit_format_and_its_own_reader(write):
    rows = [{"text": "Rome", "ner": [{"start": 0, "end": 4, "text": "Rome", "labels": ["LOC"]}]}]
    path = write("m.json", json.dumps(rows))
    assert read_corpus(path, fmt="json-min").sentences[0].tags == ("B-LOC",)
    sentences, problems = read_labelstudio(path, minimal=True)
    assert (sentences[0].tags, problems) == (("B-LOC",), [])
