"""engine.data.service: upload checks, server-side names, import, catalog, preview, stats."""

from __future__ import annotations

import pytest

from engine.data import service as ds
from engine.data.readers import read_corpus
from engine.data.types import Sentence
from storage import queries
from storage.db import read_session
from storage.paths import uploads_dir

CLEAN = (
    b"Alice B-PER\nmet O\nBob B-PER\nSmith I-PER\nin O\nParis B-LOC\n. O\n\nAcme B-ORG\nhired O\n"
)
IOB1 = b"Alice I-PER\nSmith I-PER\nmet O\nBob I-PER\nin O\nParis I-LOC\n"
ORPHAN = b"a B-X\nb I-X\n\nc O\nd I-Y\ne B-Z\n"
BROKEN = b"Alice B-PER\nmet O\nlonely\nBob B-PER\n"


def test_clean_file_counts():
    check = ds.validate_upload("train.conll", CLEAN, max_bytes=10_000)
    assert check.usable and not check.needs_repair
    assert (check.display_name, check.fmt, check.scheme) == ("train.conll", "conll", "IOB2")
    assert check.counts == {
        "sentences": 2,
        "tokens": 9,
        "entities": {"LOC": 1, "ORG": 1, "PER": 2},
        "entity_total": 4,
        "max_length": 7,
        "mean_length": 4.5,
    }
    assert check.problems == ()


def test_problems_name_the_uploaded_file_and_line_not_the_temp_path():
    check = ds.validate_upload("C:\\Users\\me\\broken.conll", BROKEN, max_bytes=10_000)
    assert not check.usable
    assert check.errors == ("broken.conll:3: only one column ('lonely'); expected TOKEN ... TAG",)


def test_iob1_is_offered_a_conversion():
    check = ds.validate_upload("old.txt", IOB1, max_bytes=10_000)
    assert check.usable and check.scheme == "IOB1"
    assert check.repairs == ("convert IOB1 -> IOB2",)


def test_i_without_b_is_offered_a_repair_with_its_location():
    check = ds.validate_upload("w.txt", ORPHAN, max_bytes=10_000)
    assert check.repairs == ("I- without B- -> B-",)
    (warning,) = check.warnings
    # The location once, in front: the reason does not repeat it.
    assert warning == (
        "w.txt:5: 1 entities start with a continuation tag and no B- ('I-Y'); converted to B-"
    )


def test_over_the_size_cap_is_refused_before_reading():
    check = ds.validate_upload("big.conll", CLEAN, max_bytes=10)
    assert not check.usable
    assert check.too_large is not None and "over the" in check.too_large
    with pytest.raises(ValueError, match="upload limit"):
        ds.import_upload("big.conll", CLEAN, name="big", max_bytes=10)


def test_display_names_are_sanitised():
    assert ds.display_name("../../etc/passwd") == "passwd"
    assert ds.display_name("..\\..\\x.conll") == "x.conll"
    assert ds.display_name("a\x00b\nc<script>.txt") == "abc_script_.txt"
    assert ds.display_name("") == "upload"
    assert ds.display_name("...") == "upload"
    assert ds.file_extension("../../etc/passwd") == "txt"
    assert ds.file_extension("data.JSONL") == "jsonl"
    assert ds.file_extension("evil.sh") == "txt"


def test_import_stores_under_a_server_chosen_name(lab):
    dataset_id = ds.import_upload("../../etc/passwd", CLEAN, name="passwd-news")
    with read_session() as s:
        (row,) = queries.list_datasets(s)
    assert row.id == dataset_id
    stored = uploads_dir() / row.path.rsplit("/", 1)[-1]
    assert row.path == str(stored)
    assert stored.parent == uploads_dir() and stored.read_bytes() == CLEAN
    stem, ext = stored.name.split(".")
    assert len(stem) == 32 and int(stem, 16) >= 0 and ext == "txt"  # a uuid4 hex
    assert (row.kind, row.fmt, row.scheme, row.n_sentences, row.n_tokens) == (
        "upload",
        "conll",
        "IOB2",
        2,
        9,
    )
    assert row.entity_counts == {"LOC": 1, "ORG": 1, "PER": 2}
    assert [p.name for p in uploads_dir().iterdir()] == [stored.name]  # no leftovers


def test_import_refuses_unusable_files_and_unwanted_repairs(lab):
    with pytest.raises(ValueError, match=r"broken.conll:3: only one column"):
        ds.import_upload("broken.conll", BROKEN, name="broken")
    with pytest.raises(ValueError, match="needs repairs .*convert IOB1 -> IOB2"):
        ds.import_upload("old.txt", IOB1, name="old", repair=False)
    with pytest.raises(ValueError, match="name"):
        ds.import_upload("old.txt", IOB1, name="  ")
    with pytest.raises(ValueError, match="builtin:"):
        ds.import_upload("old.txt", IOB1, name="builtin:news")
    assert list(uploads_dir().iterdir()) == []
    ds.import_upload("old.txt", IOB1, name="old", repair=True)
    with read_session() as s:
        assert [d.scheme for d in queries.list_datasets(s)] == ["IOB1"]


def test_jsonl_upload(lab):
    data = b'{"tokens": ["Ann", "sings"], "ner_tags": ["B-PER", "O"]}\n'
    check = ds.validate_upload("x.jsonl", data, max_bytes=10_000)
    assert (check.usable, check.fmt, check.sentences) == (True, "jsonl", 1)
    bad = b'{"tokens": ["Ann"], "ner_tags": ["B-PER"]}\n{oops\n'
    check = ds.validate_upload("y.jsonl", bad, max_bytes=10_000)
    assert not check.usable and check.errors[0].startswith("y.jsonl:2: ")


def test_entity_runs():
    sentence = Sentence(
        ("Alice", "met", "Bob", "Smith", "and", "Carol", "Dee", "in", "Paris", "."),
        ("B-PER", "O", "B-PER", "I-PER", "O", "B-PER", "B-PER", "O", "B-LOC", "O"),
    )
    assert ds.entity_runs(sentence) == [
        ("Alice", "PER"),
        ("met", None),
        ("Bob Smith", "PER"),
        ("and", None),
        ("Carol", "PER"),
        ("Dee", "PER"),  # two adjacent entities stay two runs
        ("in", None),
        ("Paris", "LOC"),
        (".", None),
    ]


def test_preview_of_an_uploaded_file(lab):
    ds.import_upload("old.txt", IOB1, name="old")
    with read_session() as s:
        (row,) = queries.list_datasets(s)
    assert ds.dataset_preview(row.path) == [
        [("Alice Smith", "PER"), ("met", None), ("Bob", "PER"), ("in", None), ("Paris", "LOC")]
    ]
    stats = ds.dataset_stats(row.path)
    assert stats["entities"] == {"LOC": 1, "PER": 2}
    assert stats["length_histogram"] == {6: 1} and stats["sentences"] == 1


def test_builtin_catalog_preview_and_stats():
    catalog = {c["name"]: c for c in ds.builtin_catalog()}
    assert set(catalog) >= {"news", "science", "commerce", "mixed"}
    news = catalog["news"]
    assert news["spec"] == "builtin:news"
    assert news["sentences"] == {"train": 1400, "dev": 200, "test": 200}
    assert "PER" in news["types"] and "Synthetic" in news["notice"]
    preview = ds.dataset_preview("builtin:news", n=3)
    assert len(preview) == 3 and all(preview)
    stats = ds.dataset_stats("builtin:news")
    assert stats["sentences"] == 1400 and stats["tokens"] == news["tokens"]["train"]
    assert sum(stats["length_histogram"].values()) == 1400
    with pytest.raises(ValueError, match="unknown built-in"):
        ds.dataset_preview("builtin:nope")
    with pytest.raises(ValueError, match="not found"):
        ds.dataset_stats("/no/such/file.conll")


UNKNOWN = b"Peter B-PER\nBlackburn Q-PER\nsaid O\n\nX O\nY X-FOO\n"
CHARS = "李 B-PER\n白 I-PER\n出 O\n生 O\n在 O\n碎 B-LOC\n叶 I-LOC\n。 O\n".encode()


def test_unknown_prefixes_offer_repairs_and_import_stores_the_repaired_file(lab):
    check = ds.validate_upload("q.conll", UNKNOWN, max_bytes=10_000)
    assert not check.usable and check.usable_after_repair
    assert set(check.repair_choices) == {"suggested", "map_to_o"}
    assert check.unknown_tags == {"Q-PER": "I-PER", "X-FOO": "B-FOO"}
    assert check.errors[0].startswith("q.conll:2: unknown tag prefix 'Q'")
    repaired = ds.validate_upload("q.conll", UNKNOWN, unknown_prefix="suggested")
    assert repaired.usable and repaired.entities == {"FOO": 1, "PER": 1}
    assert repaired.unknown_prefix == "suggested" and not repaired.needs_repair
    with pytest.raises(ValueError, match="unknown tag prefix"):
        ds.import_upload("q.conll", UNKNOWN, name="q")
    ds.import_upload("q.conll", UNKNOWN, name="q", unknown_prefix="map_to_o")
    with read_session() as s:
        (row,) = queries.list_datasets(s)
    assert row.path.endswith(".jsonl") and row.entity_counts == {"PER": 1}
    assert (row.fmt, row.scheme) == ("conll", "IOB2")
    assert [s.tags for s in read_corpus(row.path).sentences] == [("B-PER", "O", "O"), ("O", "O")]


def test_format_override_span_policy_and_spacy_uploads(lab):
    data = b'{"text": "NewYork is big", "label": [[0, 3, "LOC"]]}\n'
    check = ds.validate_upload("spans.txt", data)
    assert (check.fmt, check.is_span_format, check.usable) == ("doccano", True, True)
    rejected = ds.validate_upload("spans.txt", data, span_policy="reject")
    assert not rejected.usable and "edge inside the word" in rejected.errors[0]
    tokens = b'{"tokens": ["Ann", "sings"], "tags": ["B-PER", "O"]}\n'
    as_jsonl = ds.validate_upload("x.txt", tokens, fmt="jsonl")
    assert (as_jsonl.fmt, as_jsonl.sentences) == ("jsonl", 1)
    ds.import_upload("x.txt", tokens, name="autotrain", fmt="jsonl")
    with read_session() as s:
        (row,) = queries.list_datasets(s)
    assert row.path.endswith(".jsonl") and read_corpus(row.path).sentences[0].tags == (
        "B-PER",
        "O",
    )
    assert ds.file_extension("train.spacy") == "spacy"
    docbin = ds.validate_upload("train.spacy", b"\x00\x01binary")
    assert docbin.fmt is None and not docbin.usable and docbin.errors


def test_character_data_counts_characters_and_the_preview_is_in_the_check(lab):
    check = ds.validate_upload("weibo.txt", CHARS)
    assert (check.unit, check.max_length) == ("characters", 8)
    assert check.preview == (
        (("李 白", "PER"), ("出 生 在", None), ("碎 叶", "LOC"), ("。", None)),
    )
    ds.import_upload("weibo.txt", CHARS, name="weibo")
    with read_session() as s:
        (row,) = queries.list_datasets(s)
    assert ds.dataset_stats(row.path)["unit"] == "characters"
    assert ds.dataset_stats("builtin:news")["unit"] == "words"
