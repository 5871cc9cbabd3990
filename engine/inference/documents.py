"""The documents of a file to pre-annotate: raw text, or the text / tokens of any input format.

    documents, notes = read_documents(Path("notes.txt"))          # one document a line
    documents, notes = read_documents(Path("export.json"))        # Label Studio tasks' text

No torch: the CLI (`python -m engine predict RUN --input FILE`) and the dashboard share it.
Formats (`fmt`, default "auto"):

- text: one document a line (blank lines skipped); offsets are into the line.
- JSON / JSON Lines (jsonl, labelstudio, labelstudio-min, doccano, prodigy): a record's text is
  `data.text` of a Label Studio task (or `text_key`, or the only string in `data`), else its
  `text`; a record with `tokens` (a list of strings) and no text keeps those tokens. Existing
  annotations are ignored; the task's `data` and a record's `id` are kept for the output.
- conll: one token a line in the first column (any other columns are ignored), a blank line
  between sentences; each sentence is one document and keeps its tokens.
- spacy: a DocBin's documents, with spaCy's tokens (spaCy must be installed).

"auto" picks spacy for `*.spacy`, JSON when the name ends in .json / .jsonl or the first line
starts with `{` or `[`, conll for .conll / .tsv / .iob / .bio or when most lines end in a
tag-like column (`Paris B-LOC`), and text otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.data.char_spans import Token, detokenize, tokenize
from engine.data.readers import inspect_corpus
from engine.data.readers.issues import IssueLog
from engine.data.readers.records import json_records
from engine.data.readers.source import read_text
from engine.data.types import DataError, Problem

INPUT_FORMATS = ("auto", "text", "conll", "jsonl", "labelstudio", "labelstudio-min", "doccano")
INPUT_FORMATS += ("prodigy", "spacy")
JSON_FORMATS = frozenset({"jsonl", "labelstudio", "labelstudio-min", "doccano", "prodigy"})
CONLL_SUFFIXES = frozenset({".conll", ".tsv", ".iob", ".bio"})
_TAG = re.compile(r"O|[A-Za-z]{1,2}[-_]\S+|[BIESLMU]")
SNIFFED_LINES = 50


@dataclass(frozen=True)
class Document:
    """A text to tag and its tokens (offsets into `text`)."""

    text: str
    tokens: tuple[Token, ...]
    given_tokens: bool = False  # the file's own tokens (CoNLL, tokens JSONL, DocBin)
    data: dict[str, Any] | None = None  # a Label Studio task's data, kept for its output
    data_key: str = "text"  # where the text is in `data`
    extra: dict[str, Any] = field(default_factory=dict)  # the record's id, when it has one

    @classmethod
    def of_text(cls, text: str, **kwargs: Any) -> Document:
        return cls(text, tuple(tokenize(text)), **kwargs)

    @classmethod
    def of_words(cls, words: list[str], **kwargs: Any) -> Document:
        text, tokens = detokenize(words)
        return cls(text, tuple(tokens), given_tokens=True, **kwargs)


def read_documents(
    path: Path, fmt: str = "auto", text_key: str | None = None
) -> tuple[list[Document], list[str]]:
    """The documents of `path`, and notes on records skipped (one line each)."""
    kind = detect_input(path) if fmt in ("auto", "", None) else fmt
    if kind not in INPUT_FORMATS:
        reason = f"unknown input format {fmt!r}; choose one of {', '.join(INPUT_FORMATS)}"
        raise DataError([Problem(str(path), 0, reason)])
    if kind == "spacy":
        corpus = inspect_corpus(path, fmt="spacy")
        return [Document.of_words(list(s.tokens)) for s in corpus.sentences], []
    text = read_text(path)
    if kind == "text":
        return [Document.of_text(line) for line in text.split("\n") if line.strip()], []
    if kind == "conll":
        return [Document.of_words(words) for words in conll_sentences(text)], []
    return json_documents(text, str(path), text_key)


def detect_input(path: Path) -> str:
    """The input format "auto" reads `path` as (see the module docstring)."""
    suffix = path.suffix.lower()
    if suffix == ".spacy":
        return "spacy"
    if suffix in (".json", ".jsonl"):
        return "jsonl"
    text = read_text(path)
    lines = [line for line in text.split("\n") if line.strip()][:SNIFFED_LINES]
    if lines and lines[0].lstrip()[:1] in ("{", "["):
        return "jsonl"
    if suffix in CONLL_SUFFIXES:
        return "conll"
    tagged = sum(len(fields) >= 2 and bool(_TAG.fullmatch(fields[-1])) for fields in _split(lines))
    return "conll" if lines and tagged >= 0.8 * len(lines) else "text"


def _split(lines: list[str]) -> list[list[str]]:
    return [line.split("\t") if "\t" in line else line.split() for line in lines]


def conll_sentences(text: str) -> list[list[str]]:
    """The first column of each non-blank line, a blank line ending a sentence."""
    sentences: list[list[str]] = []
    words: list[str] = []
    for line in [*text.split("\n"), ""]:
        fields = line.split("\t") if "\t" in line else line.split()
        word = fields[0].strip() if fields else ""
        if word.startswith("-DOCSTART-"):
            continue
        if word:
            words.append(word)
        elif words:
            sentences.append(words)
            words = []
    return sentences


def json_documents(
    text: str, name: str, text_key: str | None = None
) -> tuple[list[Document], list[str]]:
    """One document per JSON record that holds a text (or tokens)."""
    log = IssueLog(name)
    records, _ = json_records(text, name, log)
    documents: list[Document] = []
    notes = [str(p) for p in log.problems()]
    for line, record in records:
        found = record_document(record, text_key)
        if found is None:
            notes.append(f"{name}:{line}: no text (or tokens) in this record; skipped")
        else:
            documents.append(found)
    return documents, notes


def record_document(record: Any, text_key: str | None = None) -> Document | None:
    """The document of one JSON record, or None when it holds no text."""
    if not isinstance(record, dict):
        return None
    extra = {"id": record["id"]} if isinstance(record.get("id"), int | str) else {}
    data = record.get("data")
    if isinstance(data, dict):  # a Label Studio task
        key = _data_key(data, text_key)
        if key is None:
            return None
        return Document.of_text(data[key], data=dict(data), data_key=key, extra=extra)
    key = text_key if text_key and isinstance(record.get(text_key), str) else "text"
    if isinstance(record.get(key), str):
        return Document.of_text(record[key], extra=extra)
    words = record.get("tokens")
    if isinstance(words, list) and words and all(isinstance(w, str) for w in words):
        return Document.of_words(list(words), extra=extra)
    return None


def _data_key(data: dict[str, Any], text_key: str | None) -> str | None:
    if text_key and isinstance(data.get(text_key), str):
        return text_key
    if isinstance(data.get("text"), str):
        return "text"
    strings = [k for k, v in data.items() if isinstance(v, str)]
    return strings[0] if len(strings) == 1 else None
