"""spaCy DocBin: a clear message without spaCy; the real reader only where spaCy is installed."""

from __future__ import annotations

import importlib.util

import pytest

from engine.data.readers import detect_format, inspect_corpus, read_corpus
from engine.data.readers.spacy_docbin import MISSING_SPACY
from engine.data.types import DataError

HAS_SPACY = importlib.util.find_spec("spacy") is not None


def test_spacy_suffix_is_detected(write):
    assert detect_format(write("train.spacy", b"\x00\x01")) == "spacy"


@pytest.mark.skipif(HAS_SPACY, reason="spaCy is installed here")
def test_without_spacy_the_error_says_how_to_install_it(write):
    path = write("train.spacy", b"anything")
    with pytest.raises(DataError) as caught:
        read_corpus(path)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 0)
    assert problem.reason == f"spaCy is not installed: {MISSING_SPACY}"
    assert "pip install spacy" in problem.reason


def test_spacy_is_not_imported_by_the_readers():
    import sys

    import engine.data.readers  # noqa: F401

    assert HAS_SPACY or "spacy" not in sys.modules


@pytest.mark.skipif(not HAS_SPACY, reason="spaCy is an optional extra")
def test_docbin_entities_become_iob2(tmp_path):
    import spacy
    from spacy.tokens import DocBin, Span

    nlp = spacy.blank("en")
    doc = nlp("Ann Lee  visited Rome.")  # the double space makes a whitespace token
    doc.ents = [Span(doc, 0, 2, label="PER"), Span(doc, 4, 5, label="LOC")]
    path = tmp_path / "train.spacy"
    DocBin(docs=[doc, nlp("No entities")]).to_disk(path)
    corpus = read_corpus(path)
    assert [(s.tokens, s.tags) for s in corpus.sentences] == [
        (("Ann", "Lee", "visited", "Rome", "."), ("B-PER", "I-PER", "O", "B-LOC", "O")),
        (("No", "entities"), ("O", "O")),
    ]


@pytest.mark.skipif(not HAS_SPACY, reason="spaCy is an optional extra")
def test_a_file_that_is_not_a_docbin_is_a_data_error(write):
    with pytest.raises(DataError, match="not a spaCy DocBin"):
        inspect_corpus(write("bad.spacy", b"garbage"))
