"""spaCy DocBin files (`.spacy`, written by `spacy convert` or DocBin.to_disk) -> IOB2 Sentences.

    sentences, problems = read_spacy_docbin(Path("train.spacy"))

spaCy is an optional extra, never a dependency of the lab: it is imported only here, only when a
`.spacy` file is read, and its absence is a DataError that says how to install it. Each Doc is
one sentence: its tokens are spaCy's (whitespace tokens dropped) and its entities are
`doc.ents`. Span groups (`doc.spans`, for span categorisation) are not entities and are not
read; the summary says when a file has them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.data.char_spans import Token
from engine.data.readers.source import read_bytes
from engine.data.readers.spans import RawSpan, Record, SpanConverter
from engine.data.types import DataError, Problem, Sentence

MISSING_SPACY = "install spaCy (pip install spacy) to read .spacy files"


def read_spacy_docbin(
    path: Path, *, labels: list[str] | None = None, span_policy: str = "snap"
) -> tuple[list[Sentence], list[Problem]]:
    """Read a DocBin; DataError when spaCy is missing or the file is not a DocBin."""
    name = str(path)
    docs = load_docs(path)
    converter = SpanConverter(name, span_policy, labels)
    sentences = []
    only_span_groups = 0
    for number, doc in enumerate(docs, start=1):
        only_span_groups += not doc.ents and bool(getattr(doc, "spans", None))
        sentence = converter.sentence(doc_record(doc, number))
        if sentence is not None:
            sentences.append(sentence)
    summary = []
    if only_span_groups:
        summary = [f"{only_span_groups} docs have span groups (doc.spans) but no doc.ents"]
    return sentences, converter.problems(summary)


def load_docs(path: Path) -> list[Any]:
    """The Docs of a DocBin file, read with a blank vocabulary (no pipeline is needed)."""
    name = str(path)
    try:
        from spacy.tokens import DocBin
        from spacy.vocab import Vocab
    except ImportError as exc:
        raise DataError([Problem(name, 0, f"spaCy is not installed: {MISSING_SPACY}")]) from exc
    data = read_bytes(path)
    try:
        return list(DocBin().from_bytes(data).get_docs(Vocab()))
    except Exception as exc:  # zlib, msgpack and spaCy each raise their own types
        reason = f"not a spaCy DocBin file: {exc.__class__.__name__}: {exc}"
        raise DataError([Problem(name, 0, reason)]) from exc


def doc_record(doc: Any, number: int) -> Record:
    """A Doc's text, tokens and entities as a span Record (line = the Doc's number)."""
    tokens = [Token(t.text, t.idx, t.idx + len(t.text)) for t in doc]
    spans = [RawSpan(e.start_char, e.end_char, e.label_) for e in doc.ents]
    return Record(doc.text, spans, number, f"doc {number}: ", tokens)
