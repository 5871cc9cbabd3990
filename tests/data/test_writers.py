"""Writers: Label Studio pre-annotations and tasks, doccano, Prodigy spans, CoNLL, segmentation.

Each writer's output is read back by the lab's own reader, and the spans must come back the
same: Label Studio export -> lab -> pre-annotations -> (accepted in Label Studio) -> lab.
"""

from __future__ import annotations

import json

import pytest

from engine.data.char_spans import Entity, tags_to_entities, tokenize
from engine.data.readers import read_corpus
from engine.data.types import Sentence
from engine.data.writers import (
    conll_from_text,
    doccano_record,
    jsonl,
    prediction_task,
    prodigy_record,
    segment_document,
    sentences_to_conll,
    sentences_to_labelstudio,
    shift,
    split_sentences,
    tasks_json,
)
from tests.data.conftest import FIXTURES

TEXT = "Zoë Ba\u0301rbara flew to 東京 😀.\r\nCafé Ba\u0301r opens."
ENTITIES = [Entity(0, 12, "PER", 0.9), Entity(21, 23, "LOC", 0.5), Entity(28, 37, "ORG")]


def test_entity_offsets_in_the_sample_text():
    assert [TEXT[e.start : e.end] for e in ENTITIES] == [
        "Zoë Ba\u0301rbara",
        "東京",
        "Café Ba\u0301r",
    ]


def test_prediction_task_follows_the_label_studio_import_schema():
    task = prediction_task(TEXT, ENTITIES[:2], model_version="run-12")
    assert task["data"] == {"text": TEXT}
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "run-12"
    assert prediction["score"] == 0.7  # mean of the entity scores
    first = prediction["result"][0]
    assert {k: v for k, v in first.items() if k != "id"} == {
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 0, "end": 12, "text": "Zoë Ba\u0301rbara", "labels": ["PER"]},
        "score": 0.9,
    }
    ids = [r["id"] for r in prediction["result"]]
    assert len(set(ids)) == 2 and all(isinstance(i, str) and i for i in ids)


def test_prediction_task_accepts_inference_style_dicts_and_an_explicit_score():
    found = [{"type": "PER", "start": 0, "end": 3, "confidence": 0.8, "text": "Ann"}]
    task = prediction_task("Ann", found, model_version="v", score=0.1, data={"doc": 4})
    assert task["data"] == {"doc": 4, "text": "Ann"}
    assert task["predictions"][0]["score"] == 0.1
    assert task["predictions"][0]["result"][0]["score"] == 0.8


@pytest.mark.parametrize("bad", [Entity(0, 99, "X"), Entity(3, 3, "X"), Entity(0, 1, " ")])
def test_writers_refuse_entities_outside_the_text(bad):
    with pytest.raises(ValueError):
        prediction_task("Ann", [bad], model_version="v")


def test_label_studio_round_trip_gives_the_same_spans(write):
    """Export -> lab -> pre-annotations -> a reviewer accepts them -> lab: nothing moves."""
    tasks = json.loads(FIXTURES.joinpath("labelstudio_export.json").read_text(encoding="utf-8"))
    corpus = read_corpus(FIXTURES / "labelstudio_export.json")
    texts = [t["data"]["text"] for t in tasks if t["id"] in (101, 102, 103, 105)]
    predicted = []
    for text, sentence in zip(texts, corpus.sentences, strict=True):
        entities = tags_to_entities(tokenize(text), sentence.tags)
        predicted.append(prediction_task(text, entities, model_version="run-1"))
    spans = [
        [
            (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
            for r in t["predictions"][0]["result"]
        ]
        for t in predicted
    ]
    assert spans == [
        [(0, 13, "PER"), (22, 27, "LOC")],
        [(0, 12, "PER"), (23, 25, "LOC"), (29, 34, "LOC"), (47, 56, "ORG")],
        [(6, 13, "LOC")],  # the span that cut "NewYork", as snapped on import
        [(0, 2, "PER"), (5, 8, "LOC")],
    ]
    for t in predicted:  # the reviewer accepts each prediction as an annotation
        t["annotations"] = [{"result": t.pop("predictions")[0]["result"]}]
    again = read_corpus(write("accepted.json", tasks_json(predicted)))
    assert [(s.tokens, s.tags) for s in again.sentences] == [
        (s.tokens, s.tags) for s in corpus.sentences
    ]
    nfc = [p.reason for p in corpus.problems if "NFC" in p.reason]  # "Ba\u0301r" -> "Bár"
    assert [p.reason for p in again.problems] == nfc


def test_dataset_export_to_label_studio_and_back(write):
    sentences = [
        Sentence(("Ann", "Lee", "visited", "Rome", "."), ("B-PER", "I-PER", "O", "B-LOC", "O")),
        Sentence(("李", "白", "在", "长", "安"), ("B-PER", "I-PER", "O", "B-LOC", "I-LOC")),
    ]
    tasks = sentences_to_labelstudio(sentences)
    assert tasks[1]["data"]["text"] == "李白在长安"
    regions = [r["value"] for r in tasks[0]["annotations"][0]["result"]]
    assert regions == [
        {"start": 0, "end": 7, "text": "Ann Lee", "labels": ["PER"]},
        {"start": 16, "end": 20, "text": "Rome", "labels": ["LOC"]},
    ]
    corpus = read_corpus(write("export.json", tasks_json(tasks)))
    assert [(s.tokens, s.tags) for s in corpus.sentences] == [(s.tokens, s.tags) for s in sentences]
    assert corpus.problems == []


def test_doccano_round_trip(write):
    record = doccano_record(TEXT, ENTITIES, extra={"id": 1})
    assert record == {
        "id": 1,
        "text": TEXT,
        "label": [[0, 12, "PER"], [21, 23, "LOC"], [28, 37, "ORG"]],
    }
    corpus = read_corpus(write("d.jsonl", jsonl([record])))
    back = tags_to_entities(tokenize(TEXT), corpus.sentences[0].tags)
    assert [(e.start, e.end, e.type) for e in back] == [(e.start, e.end, e.type) for e in ENTITIES]


def test_prodigy_record_round_trip_with_inclusive_token_end(write):
    record = prodigy_record(TEXT, ENTITIES)
    assert record["spans"][0] == {
        "start": 0,
        "end": 12,
        "token_start": 0,
        "token_end": 1,
        "label": "PER",
        "score": 0.9,
    }
    assert record["tokens"][4] == {"text": "東", "start": 21, "end": 22, "id": 4, "ws": False}
    assert record["tokens"][1]["ws"] is True
    corpus = read_corpus(write("p.jsonl", jsonl([record])))
    assert corpus.sentences[0].tags == (
        "B-PER",
        "I-PER",
        "O",
        "O",
        "B-LOC",
        "I-LOC",
        "O",
        "O",
        "B-ORG",
        "I-ORG",
        "O",
        "O",
    )


def test_conll_from_text_and_from_sentences(write):
    assert conll_from_text("Ann in 北京", [Entity(7, 9, "LOC")]) == (
        "Ann\tO\nin\tO\n北\tB-LOC\n京\tI-LOC\n\n"
    )
    sentences = [Sentence(("New York", "x"), ("B-LOC", "O")), Sentence(("y",), ("O",))]
    text = sentences_to_conll(sentences)
    assert text == "New\u00a0York\tB-LOC\nx\tO\n\ny\tO\n\n"
    assert [s.tags for s in read_corpus(write("c.conll", text)).sentences] == [
        ("B-LOC", "O"),
        ("O",),
    ]


def test_split_sentences_rule():
    text = 'Mr. Smith met J. Doe in Rome. "Go!" he said?  Fine\n\nNext 北京很大。我们走吧'
    assert [s.text for s in split_sentences(text)] == [
        "Mr. Smith met J. Doe in Rome.",
        '"Go!"',
        "he said?",
        "Fine",
        "Next 北京很大。",
        "我们走吧",
    ]


def test_segments_keep_exact_offsets_with_unicode_and_crlf():
    document = "First one 😀.\r\nZoë Ba\u0301rbara sings.\r\n\r\n東京です。" + " w" * 7
    segments = segment_document(document, max_tokens=3)
    for segment in segments:
        assert document[segment.start : segment.end] == segment.text
        assert len(tokenize(segment.text)) <= 3
    assert [s.text for s in segments][:4] == ["First one 😀", ".", "Zoë Ba\u0301rbara sings", "."]
    rebuilt = [t.text for s in segments for t in tokenize(s.text)]
    assert rebuilt == [t.text for t in tokenize(document)]


def test_shift_moves_segment_entities_into_the_document():
    document = "Hi. Ann left."
    segment = split_sentences(document)[1]
    found = tags_to_entities(tokenize(segment.text), ["B-PER", "O", "O"])
    (entity,) = shift(found, segment.start)
    assert document[entity.start : entity.end] == "Ann"
