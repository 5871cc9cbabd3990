"""The Data page's upload (issue 14 item 8, issue 16): a preview before import, Inspect follows
the import, no repair box for a clean file, the unknown-prefix repair, character lengths, and
the annotation tools' exports imported with their validation report."""

from __future__ import annotations

import json

import pytest

from storage import queries
from storage.db import read_session

from .conftest import open_page

CLEAN = b"Peter B-PER\nBlackburn I-PER\nvisited O\nParis B-LOC\n. O\n\nAnn B-PER\nsmiled O\n"
UNKNOWN = b"Peter B-PER\nBlackburn Q-PER\nsaid O\n\nAnn B-PER\nleft O\n"
CHARS = "李 B-PER\n白 I-PER\n出 O\n生 O\n在 O\n碎 B-LOC\n叶 I-LOC\n。 O\n".encode()
LABEL_STUDIO = [
    {
        "id": 1,
        "data": {"text": "Peter Blackburn visited Paris."},
        "annotations": [
            {
                "was_cancelled": False,
                "result": [
                    {"type": "labels", "from_name": "label", "to_name": "text",
                     "value": {"start": 0, "end": 15, "labels": ["PER"]}},
                    {"type": "labels", "from_name": "label", "to_name": "text",
                     "value": {"start": 24, "end": 29, "labels": ["LOC"]}},
                ],
            }
        ],
    }
]  # fmt: skip
DOCCANO = (
    b'{"id": 1, "text": "Peter Blackburn visited Paris.", '
    b'"label": [[0, 15, "PER"], [24, 29, "LOC"]]}\n'
)
PRODIGY = (
    b'{"text": "Peter Blackburn visited Paris.", "spans": [{"start": 0, "end": 15, "label": "PER"},'
    b' {"start": 24, "end": 29, "label": "LOC"}], "answer": "accept"}\n'
    b'{"text": "Bad example", "spans": [], "answer": "reject"}\n'
)
AUTOTRAIN = (
    b'{"tokens": ["Peter", "Blackburn", "visited", "Paris", "."], '
    b'"tags": ["B-PER", "I-PER", "O", "B-LOC", "O"]}\n'
)


def upload(at, name: str, data: bytes):
    at.file_uploader(key="data_upload").set_value((name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def preview_html(at) -> str:
    return "".join(m.value for m in at.markdown if "data-upload-preview" in m.value)


def only_dataset():
    with read_session() as s:
        (dataset,) = queries.list_datasets(s)
    return dataset


def import_as(at, name: str):
    at.text_input(key="data_import_name").set_value(name)
    at.button(key="data_import").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Imported as dataset" in s.value for s in at.success), [e.value for e in at.error]
    return only_dataset()


def test_a_clean_file_is_previewed_has_no_repair_box_and_inspect_follows_it(fake_jobs):
    at = upload(open_page("views/data.py"), "news.conll", CLEAN)
    assert any("is usable (conll, scheme IOB2)" in s.value for s in at.success)
    assert "data_repair" not in [c.key for c in at.checkbox]  # not even greyed out
    html = preview_html(at)
    assert "Peter Blackburn" in html and "PER" in html and "Paris" in html
    assert any("Preview" in m.value for m in at.markdown)
    assert at.selectbox(key="data_format").value == "auto"
    assert "data_span_policy" not in [r.key for r in at.radio]  # not a span format
    dataset = import_as(at, "clean-news")
    assert at.selectbox(key="data_inspect").value == dataset.path
    assert any(m.label.startswith("Sentences") and m.value == "2" for m in at.metric)


def test_unknown_prefix_is_repaired_by_choice(fake_jobs):
    at = upload(open_page("views/data.py"), "q.conll", UNKNOWN)
    assert any("is not usable" in e.value for e in at.error)
    codes = "\n".join(c.value for c in at.code)
    assert "q.conll:2: unknown tag prefix 'Q' in 'Q-PER'" in codes
    assert all(c.proto.wrap_lines for c in at.code)  # long lines wrap, never cut off
    radio = at.radio(key="data_unknown_prefix")
    assert radio.options == [
        "do not repair them (the file stays unusable)",
        "repair them to the suggested tag (Q-PER → I-PER)",
        "map them to O (not an entity)",
    ]
    assert "data_import" not in [b.key for b in at.button]
    radio.set_value("suggested")
    at.run()
    assert any("is usable" in s.value for s in at.success)
    assert "data_repair" not in [c.key for c in at.checkbox]
    dataset = import_as(at, "q-news")
    assert dataset.entity_counts == {"PER": 2}  # no "Q-PER" type beside PER
    from engine.data.readers import read_corpus

    sentences = read_corpus(dataset.path).sentences  # as training reads the stored file
    assert [s.tags for s in sentences] == [("B-PER", "I-PER", "O"), ("B-PER", "O")]


def test_character_data_counts_characters(fake_jobs):
    at = upload(open_page("views/data.py"), "weibo.txt", CHARS)
    longest = next(m for m in at.metric if m.label == "Longest sentence")
    assert longest.value == "8 characters"
    import_as(at, "weibo")
    mean = next(m for m in at.metric if m.label == "Mean length")
    assert mean.value == "8.0 characters"


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("export.json", json.dumps(LABEL_STUDIO).encode(), "labelstudio"),
        ("doccano.jsonl", DOCCANO, "doccano"),
        ("prodigy.jsonl", PRODIGY, "prodigy"),
        ("autotrain.jsonl", AUTOTRAIN, "jsonl"),
    ],
)
def test_annotation_tool_exports_import_with_their_report(fake_jobs, name, data, fmt):
    at = upload(open_page("views/data.py"), name, data)
    assert any(f"is usable ({fmt}, scheme IOB2)" in s.value for s in at.success)
    assert any("Entities per type: LOC 1, PER 1" in c.value for c in at.caption)
    spans = fmt in ("labelstudio", "doccano", "prodigy")
    assert ("data_span_policy" in [r.key for r in at.radio]) == spans
    if fmt == "prodigy":  # the report names what was skipped
        assert "prodigy.jsonl:0: 2 records, 1 skipped (1 rejected)" in at.code[0].value
    dataset = import_as(at, f"from-{fmt}")
    assert (dataset.fmt, dataset.n_sentences, dataset.entity_counts) == (
        fmt,
        1,
        {"LOC": 1, "PER": 1},
    )
    assert at.selectbox(key="data_inspect").value == dataset.path
    from engine.data.sources import load_source

    (sentence,) = load_source(dataset.path, "train").sentences  # what a run trains on
    assert sentence.tags == ("B-PER", "I-PER", "O", "B-LOC", "O")


def test_span_policy_and_format_override_revalidate(fake_jobs):
    cut = b'{"text": "NewYork is big", "label": [[0, 3, "LOC"]]}\n'
    at = upload(open_page("views/data.py"), "cut.txt", cut)
    assert any("is usable (doccano" in s.value for s in at.success)
    assert "snapped" in "\n".join(c.value for c in at.code)
    at.radio(key="data_span_policy").set_value("reject")
    at.run()
    assert any("is not usable" in e.value for e in at.error)
    assert "edge inside the word" in "\n".join(c.value for c in at.code)
    select = at.selectbox(key="data_format")
    assert select.options == [
        "detect automatically", "CoNLL / TSV", "JSONL (tokens + ner_tags / tags / labels)",
        "Label Studio JSON / JSON-MIN export", "doccano JSONL", "Prodigy / spaCy span JSONL",
        "spaCy DocBin (.spacy)",
    ]  # fmt: skip
    select.set_value("jsonl")
    at.run()
    assert any("missing key 'tokens'" in c.value for c in at.code)


def test_uploader_and_formats_help_in_both_languages(fake_jobs):
    at = open_page("views/data.py")
    uploader = at.file_uploader(key="data_upload")
    assert uploader.label.startswith("Annotated data file: CoNLL, JSONL, Label Studio")
    help_text = uploader.help
    for name in ("CoNLL", "AutoTrain", "Label Studio", "doccano", "Prodigy", "DocBin"):
        assert name in help_text
    at = open_page("views/data.py", lang="zh")
    at.session_state["lang"] = "zh"
    at.run()
    uploader = at.file_uploader(key="data_upload")
    assert uploader.label.startswith("标注数据文件") and "自动识别" in uploader.help


def test_a_file_named_after_a_split_gets_a_name_that_is_not_the_split(fake_jobs):
    at = upload(open_page("views/data.py"), "test.txt", CLEAN)
    name = at.text_input(key="data_import_name").value
    assert name != "test" and name.startswith("upload-") and name.endswith("-test")
    at = upload(open_page("views/data.py"), "reuters.conll", CLEAN)
    assert at.text_input(key="data_import_name").value == "reuters"
