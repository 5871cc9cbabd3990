"""Read NER data in any supported format into an IOB2 Corpus, with problems attached.

    corpus = read_corpus("data/train.txt")                      # CoNLL / TSV
    corpus = read_corpus("data/train.jsonl", labels=["O", "B-PER", "I-PER"])
    corpus = read_corpus("saved_dataset/", split="validation")  # datasets.save_to_disk

Formats: a folder written by `save_to_disk` -> hf_disk, *.jsonl / *.json -> jsonl, anything else
-> conll (a file whose first line is a JSON object is read as jsonl). Tokens are cleaned
(engine.data.tokens) and tags converted to IOB2 (engine.data.schemes); repairs become warnings.
`read_corpus` raises DataError for unusable input; `inspect_corpus` returns the errors instead.
"""

from __future__ import annotations

from pathlib import Path

from engine.data.readers.conll import read_conll
from engine.data.readers.hf_disk import is_hf_disk_dir, read_hf_disk
from engine.data.readers.jsonl import read_jsonl
from engine.data.readers.source import read_head
from engine.data.schemes import convert_to_iob2
from engine.data.tokens import normalise_tokens
from engine.data.types import Corpus, DataError, Problem, Sentence

FORMATS = ("conll", "jsonl", "hf_disk")
FORMAT_ALIASES = {"tsv": "conll", "json": "jsonl", "hf": "hf_disk", "datasets": "hf_disk"}


def read_corpus(
    path: str | Path,
    *,
    fmt: str | None = None,
    split: str | None = None,
    labels: list[str] | None = None,
    strict: bool = False,
) -> Corpus:
    """An IOB2 Corpus, or DataError listing every error.

    `strict` rejects instead of repairing: any warning (I- without B-, zero-width characters,
    no entities, ...) is then fatal too.
    """
    corpus = inspect_corpus(path, fmt=fmt, split=split, labels=labels)
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
) -> Corpus:
    """Like read_corpus, but errors in the content stay in corpus.problems for a report.

    Input that cannot be read at all (missing, not UTF-8, unknown format) still raises DataError.
    """
    path = Path(path)
    fmt = resolve_format(path, fmt)
    name = str(path)
    word_lines = fmt == "conll"  # only CoNLL puts word i of a sentence on line start + i
    sentences, problems, corpus_name = _read(path, fmt, split, labels)
    sentences, token_problems = normalise_tokens(sentences, source=name, word_lines=word_lines)
    conversion = convert_to_iob2(sentences, source=name, word_lines=word_lines)
    problems += token_problems + conversion.problems
    problems += _content_problems(name, conversion.sentences)
    return Corpus(corpus_name, conversion.sentences, conversion.scheme, problems)


def resolve_format(path: Path, fmt: str | None) -> str:
    """The reader to use: the caller's `fmt` (aliases allowed) or one detected from `path`."""
    if fmt is not None:
        key = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        if key not in FORMATS:
            reason = f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}"
            raise DataError([Problem(str(path), 0, reason)])
        return key
    return detect_format(path)


def detect_format(path: Path) -> str:
    """hf_disk for a save_to_disk folder, jsonl for *.jsonl/*.json or JSON content, else conll."""
    if is_hf_disk_dir(path):
        return "hf_disk"
    if path.is_dir():
        reason = "is a directory but not a dataset saved with datasets' save_to_disk"
        raise DataError([Problem(str(path), 0, reason)])
    if path.suffix.lower() in (".jsonl", ".json"):
        return "jsonl"
    first = _first_line(path)
    return "jsonl" if first.startswith("{") and first.endswith("}") else "conll"


def _first_line(path: Path) -> str:
    head = read_head(path).decode("utf-8-sig", errors="replace")
    return next((line.strip() for line in head.splitlines() if line.strip()), "")


def _read(
    path: Path, fmt: str, split: str | None, labels: list[str] | None
) -> tuple[list[Sentence], list[Problem], str]:
    if fmt == "hf_disk":
        sentences, problems, used_split = read_hf_disk(path, split, labels)
        return sentences, problems, f"{path.name}/{used_split}" if used_split else path.name
    if fmt == "jsonl":
        return (*read_jsonl(path, labels), path.name)
    return (*read_conll(path), path.name)


def _content_problems(name: str, sentences: list[Sentence]) -> list[Problem]:
    if not sentences:
        reason = "no sentences (the file is empty or holds only -DOCSTART- and blank lines)"
        return [Problem(name, 0, reason)]
    if all(tag == "O" for s in sentences for tag in s.tags):
        reason = "no entities: every tag is O, so a model can learn nothing from this file"
        return [Problem(name, 0, reason, "warning")]
    return []
