"""Read NER data in any supported format into an IOB2 Corpus, with problems attached.

    corpus = read_corpus("data/train.txt")                      # CoNLL / TSV
    corpus = read_corpus("data/train.jsonl", labels=["O", "B-PER", "I-PER"])
    corpus = read_corpus("saved_dataset/", split="validation")  # datasets.save_to_disk
    corpus = read_corpus("export.json", span_policy="reject")   # Label Studio, detected

Formats (docs/formats.md): conll, jsonl (tokens + ner_tags / tags / labels), hf_disk, and the
annotation tools' character-span exports labelstudio, labelstudio-min, doccano, prodigy and
spacy (DocBin, when spaCy is installed). engine.data.readers.detect picks one from the name and
the first records; `fmt=` overrides it. Span formats are tokenised by engine.data.char_spans;
`span_policy` says what a span edge inside a word does: "snap" it to the word edges (a
warning) or "reject" the span (an error). `unknown_prefix` repairs tags such as "Q-PER"
(engine.data.schemes.resolve_unknown_prefixes): "reject" (errors), "suggested" or "map_to_o".
Tokens are cleaned (engine.data.tokens) and tags
converted to IOB2 (engine.data.schemes); repairs become warnings. `read_corpus` raises
DataError for unusable input; `inspect_corpus` returns the errors instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict, Unpack

from engine.data.readers.conll import read_conll
from engine.data.readers.detect import detect_format
from engine.data.readers.doccano import read_doccano
from engine.data.readers.hf_disk import read_hf_disk
from engine.data.readers.jsonl import read_jsonl
from engine.data.readers.labelstudio import read_labelstudio
from engine.data.readers.prodigy import read_prodigy
from engine.data.readers.spacy_docbin import read_spacy_docbin
from engine.data.readers.spans import SPAN_POLICIES
from engine.data.schemes import (
    UNKNOWN_PREFIX_POLICIES,
    UnknownPrefixPolicy,
    convert_to_iob2,
    resolve_unknown_prefixes,
)
from engine.data.tokens import normalise_tokens
from engine.data.types import Corpus, DataError, Problem, Sentence

__all__ = [
    "FORMATS",
    "FORMAT_ALIASES",
    "SPAN_FORMATS",
    "SPAN_POLICIES",
    "detect_format",
    "inspect_corpus",
    "read_corpus",
    "resolve_format",
]

SPAN_FORMATS = ("labelstudio", "labelstudio-min", "doccano", "prodigy", "spacy")
FORMATS = ("conll", "jsonl", "hf_disk", *SPAN_FORMATS)
FORMAT_ALIASES = {
    "tsv": "conll",
    "json": "jsonl",
    "autotrain": "jsonl",
    "hf": "hf_disk",
    "datasets": "hf_disk",
    "label-studio": "labelstudio",
    "label_studio": "labelstudio",
    "ls": "labelstudio",
    "labelstudio_min": "labelstudio-min",
    "json-min": "labelstudio-min",
    "json_min": "labelstudio-min",
    "spacy-jsonl": "prodigy",
    "spans": "prodigy",
    "docbin": "spacy",
}


class ReadOptions(TypedDict, total=False):
    """How to read a file: inspect_corpus's keyword arguments, which read_corpus passes on."""

    fmt: str | None
    split: str | None
    labels: list[str] | None
    span_policy: str
    text_key: str | None
    unknown_prefix: UnknownPrefixPolicy


def read_corpus(
    path: str | Path, *, strict: bool = False, **options: Unpack[ReadOptions]
) -> Corpus:
    """An IOB2 Corpus, or DataError listing every error.

    `strict` rejects instead of repairing: any warning (I- without B-, zero-width characters,
    no entities, a snapped span, ...) is then fatal too. The options are inspect_corpus's:
    `labels` names integer tag ids (jsonl, hf_disk) or, for span formats, the entity types
    allowed. `text_key`: the Label Studio data key that holds the text, when it is not "text"
    or the only string. `unknown_prefix`: the repair of tags with a prefix no scheme uses
    ("Q-PER").
    """
    corpus = inspect_corpus(path, **options)
    fatal = [p for p in corpus.problems if p.severity == "error" or strict]
    if fatal:
        raise DataError(fatal)
    return corpus


def inspect_corpus(
    path: str | Path,
    *,
    fmt: str | None = None,
    split: str | None = None,
    labels: list[str] | None = None,
    span_policy: str = "snap",
    text_key: str | None = None,
    unknown_prefix: UnknownPrefixPolicy = "reject",
) -> Corpus:
    """Like read_corpus, but errors in the content stay in corpus.problems for a report.

    Input that cannot be read at all (missing, not UTF-8, unknown format) still raises DataError.
    """
    path = Path(path)
    fmt = resolve_format(path, fmt)
    name = str(path)
    if span_policy not in SPAN_POLICIES:
        reason = f"unknown span_policy {span_policy!r}; choose one of {', '.join(SPAN_POLICIES)}"
        raise DataError([Problem(name, 0, reason)])
    if unknown_prefix not in UNKNOWN_PREFIX_POLICIES:
        choices = ", ".join(UNKNOWN_PREFIX_POLICIES)
        reason = f"unknown unknown_prefix {unknown_prefix!r}; choose one of {choices}"
        raise DataError([Problem(name, 0, reason)])
    word_lines = fmt == "conll"  # only CoNLL puts word i of a sentence on line start + i
    options = {"labels": labels, "span_policy": span_policy, "text_key": text_key}
    sentences, problems, corpus_name = _read(path, fmt, split, options)
    sentences, token_problems = normalise_tokens(sentences, source=name, word_lines=word_lines)
    conversion = convert_to_iob2(sentences, source=name, word_lines=word_lines)
    problems += token_problems + conversion.problems
    problems += _content_problems(name, conversion.sentences)
    corpus = Corpus(corpus_name, conversion.sentences, conversion.scheme, problems)
    return resolve_unknown_prefixes(corpus, unknown_prefix, source=name, word_lines=word_lines)


def resolve_format(path: Path, fmt: str | None) -> str:
    """The reader to use: the caller's `fmt` (aliases allowed) or one detected from `path`."""
    if fmt is not None:
        key = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        if key not in FORMATS:
            reason = f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}"
            raise DataError([Problem(str(path), 0, reason)])
        return key
    return detect_format(path)


def _read(
    path: Path, fmt: str, split: str | None, options: dict[str, Any]
) -> tuple[list[Sentence], list[Problem], str]:
    labels = options["labels"]
    if fmt == "hf_disk":
        sentences, problems, used_split = read_hf_disk(path, split, labels)
        return sentences, problems, f"{path.name}/{used_split}" if used_split else path.name
    if fmt == "jsonl":
        return (*read_jsonl(path, labels), path.name)
    if fmt == "conll":
        return (*read_conll(path), path.name)
    return (*_read_spans(path, fmt, options), path.name)


def _read_spans(
    path: Path, fmt: str, options: dict[str, Any]
) -> tuple[list[Sentence], list[Problem]]:
    common = {"labels": options["labels"], "span_policy": options["span_policy"]}
    if fmt in ("labelstudio", "labelstudio-min"):
        minimal = True if fmt == "labelstudio-min" else None  # "labelstudio" reads either
        return read_labelstudio(path, **common, text_key=options["text_key"], minimal=minimal)
    readers = {"doccano": read_doccano, "prodigy": read_prodigy, "spacy": read_spacy_docbin}
    return readers[fmt](path, **common)


def _content_problems(name: str, sentences: list[Sentence]) -> list[Problem]:
    if not sentences:
        reason = "no sentences (the file is empty or holds only -DOCSTART- and blank lines)"
        return [Problem(name, 0, reason)]
    if all(tag == "O" for s in sentences for tag in s.tags):
        reason = "no entities: every tag is O, so a model can learn nothing from this file"
        return [Problem(name, 0, reason, "warning")]
    return []
