"""Dataset work for the dashboard: check an upload, import it, describe and preview corpora.

Plain Python over engine.data (no torch, no streamlit), re-exported by engine.api for pages.
An upload's client-side file name is only ever *shown* (sanitised): bytes are written under
server-chosen names (a uuid), so no path from the browser is ever used as a path.

    check = validate_upload("train.conll", data, max_bytes=50 * 2**20)
    if check.usable:
        dataset_id = import_upload("train.conll", data, name="my-news", repair=True)
    runs = dataset_preview("builtin:news", n=5)   # [[("Alice", "PER"), ("met", None), ...], ...]
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.data.builtin import BUILTIN_CORPORA, SYNTHETIC_NOTICE, load_builtin
from engine.data.builtin.generator import SPLITS
from engine.data.readers import inspect_corpus
from engine.data.stats import corpus_stats, count_summary
from engine.data.types import DataError, Problem, Sentence
from engine.data.validate import validate_file
from storage import runs as run_store
from storage.db import read_session, write_session
from storage.paths import uploads_dir
from storage.queries import list_datasets

BUILTIN_PREFIX = "builtin:"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the dashboard's server.maxUploadSize (MB) in bytes
# Extensions kept from the client's name (they choose the reader); anything else is read as
# CoNLL, and a file whose first line is a JSON object as JSONL (engine.data.readers).
KNOWN_EXTENSIONS = frozenset({"conll", "txt", "tsv", "iob", "bio", "jsonl", "json"})
DEFAULT_EXTENSION = "txt"
MAX_DISPLAY_NAME = 100

# Warning reasons (engine.data.schemes / engine.data.tokens) that mean "the data was repaired".
_REPAIR_MARKERS = (
    ("continuation tag and no B-", "I- without B- -> B-"),
    ("no B-/I- prefix", "unprefixed tags -> B-/I-"),
    ("non-standard form", "tag spelling -> B-TYPE"),
    ("read as O", "O-like tags ('o', '0', '-') -> O"),
    ("Unicode NFC", "tokens -> Unicode NFC"),
    ("invisible characters", "remove invisible characters from tokens"),
    ("were empty or invisible", "replace empty tokens"),
)
_CONVERTED_SCHEMES = ("IOB1", "IOBES", "BILOU", "BMES", "IO")


@dataclass(frozen=True)
class UploadCheck:
    """What the validator found in one uploaded file; problems name the file as uploaded."""

    display_name: str
    size: int
    fmt: str | None = None  # conll | jsonl
    scheme: str | None = None  # as written, before conversion to IOB2
    sentences: int = 0
    tokens: int = 0
    entities: dict[str, int] = field(default_factory=dict)
    max_length: int = 0
    mean_length: float = 0.0
    errors: tuple[str, ...] = ()  # "NAME:LINE: reason"; any error makes the file unusable
    warnings: tuple[str, ...] = ()
    repairs: tuple[str, ...] = ()  # e.g. "convert IOB1 -> IOB2", "I- without B- -> B-"
    too_large: str | None = None  # the refusal message when over the size cap

    @property
    def usable(self) -> bool:
        return self.too_large is None and not self.errors and self.fmt is not None

    @property
    def problems(self) -> tuple[str, ...]:
        return self.errors + self.warnings

    @property
    def needs_repair(self) -> bool:
        return bool(self.repairs)

    @property
    def counts(self) -> dict[str, Any]:
        return count_summary(
            self.sentences, self.tokens, self.entities, self.max_length, self.mean_length
        )


def display_name(filename: str) -> str:
    """A name safe to show: the last path part, printable, short; never used as a path."""
    base = re.split(r"[\\/]", filename or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    base = re.sub(r"[^\w. ()+-]", "_", base).strip(" .")
    return base[:MAX_DISPLAY_NAME] or "upload"


def file_extension(filename: str) -> str:
    """The reader-relevant extension of the client's name, or DEFAULT_EXTENSION."""
    suffix = display_name(filename).rsplit(".", 1)
    ext = suffix[1].lower() if len(suffix) == 2 else ""
    return ext if ext in KNOWN_EXTENSIONS else DEFAULT_EXTENSION


def validate_upload(
    filename: str, data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES
) -> UploadCheck:
    """Check uploaded bytes with engine.data.validate; problems say DISPLAY_NAME:LINE: reason."""
    shown = display_name(filename)
    if len(data) > max_bytes:
        message = (
            f"{shown} is {_megabytes(len(data))}, over the {_megabytes(max_bytes)} upload limit"
        )
        return UploadCheck(shown, len(data), too_large=message)
    with tempfile.TemporaryDirectory(prefix="lab-upload-") as folder:
        temp = Path(folder) / f"{uuid.uuid4().hex}.{file_extension(filename)}"
        temp.write_bytes(data)
        report = validate_file(str(temp))
    errors = tuple(_shown(p, temp, shown) for p in report.problems if p.severity == "error")
    warnings = tuple(_shown(p, temp, shown) for p in report.problems if p.severity != "error")
    return UploadCheck(
        display_name=shown,
        size=len(data),
        fmt=report.format if report.scheme is not None else None,
        scheme=report.scheme,
        sentences=report.sentences,
        tokens=report.tokens,
        entities=dict(report.entities),
        max_length=report.max_length,
        mean_length=report.mean_length,
        errors=errors,
        warnings=warnings,
        repairs=_repairs(report.scheme, report.problems),
    )


def import_upload(
    filename: str,
    data: bytes,
    *,
    name: str,
    repair: bool = True,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> int:
    """Store a usable upload under uploads_dir()/<uuid>.<ext> and register it; the dataset id.

    The bytes are stored as uploaded: every reader applies the same deterministic repairs
    (conversion to IOB2, ...) when the file is read for training. `repair=False` refuses a
    file that needs any. Raises ValueError naming the problems.
    """
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("give the dataset a name")
    if len(name) > 200:
        raise ValueError("the dataset name is longer than 200 characters")
    if name.lower().startswith(BUILTIN_PREFIX):
        raise ValueError(f"dataset names cannot start with {BUILTIN_PREFIX!r}")
    check = validate_upload(filename, data, max_bytes=max_bytes)
    if check.too_large:
        raise ValueError(check.too_large)
    if not check.usable:
        shown = "; ".join(check.errors[:5]) or f"{check.display_name}: not readable"
        raise ValueError(f"{check.display_name} is not usable: {shown}")
    if check.needs_repair and not repair:
        raise ValueError(
            f"{check.display_name} needs repairs ({'; '.join(check.repairs)}): allow the "
            "repair or fix the file"
        )
    with read_session() as s:
        taken = {row.name: row.kind for row in list_datasets(s)}
    if taken.get(name, "upload") != "upload":
        raise ValueError(f"the name {name!r} belongs to a {taken[name]} dataset; choose another")
    target = uploads_dir() / f"{uuid.uuid4().hex}.{file_extension(filename)}"
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, target)  # never a half-written dataset under its final name
    with write_session() as s:
        return run_store.upsert_dataset(
            s,
            name=name,
            kind="upload",
            path=str(target),
            fmt=check.fmt or "conll",
            scheme=check.scheme or "none",
            n_sentences=check.sentences,
            n_tokens=check.tokens,
            entity_counts=check.entities,
        )


def builtin_catalog() -> list[dict[str, Any]]:
    """The built-in corpora: name, spec, description, types, sentences and tokens per split."""
    catalog = []
    for name, info in BUILTIN_CORPORA.items():
        splits = {split: load_builtin(name, split) for split in SPLITS}
        catalog.append(
            {
                "name": name,
                "spec": f"{BUILTIN_PREFIX}{name}",
                "description": info.description,
                "types": list(info.entity_types),
                "sentences": {split: len(s) for split, s in splits.items()},
                "tokens": {split: sum(len(x.tokens) for x in s) for split, s in splits.items()},
                "notice": SYNTHETIC_NOTICE,
            }
        )
    return catalog


def dataset_preview(spec: str, n: int = 20) -> list[list[tuple[str, str | None]]]:
    """The first `n` sentences of a dataset as runs of (text, entity type or None).

    Words of one entity form one run ("Bob Smith", "PER"), and so do words between entities;
    joining a sentence's run texts with single spaces gives the sentence back.
    """
    return [entity_runs(s) for s in _sentences(spec)[: max(0, n)]]


def dataset_stats(spec: str) -> dict[str, Any]:
    """Counts for charts: sentences, tokens, entities per type, sentence-length histogram."""
    sentences = _sentences(spec)
    stats = corpus_stats(sentences)
    lengths = Counter(len(s.tokens) for s in sentences)
    return {
        "split": "train" if spec.startswith(BUILTIN_PREFIX) else None,
        "sentences": stats.sentences,
        "tokens": stats.tokens,
        "entities": dict(stats.entities),
        "length_histogram": dict(sorted(lengths.items())),
        "max_length": stats.max_length,
        "mean_length": round(stats.mean_length, 2),
    }


def entity_runs(sentence: Sentence) -> list[tuple[str, str | None]]:
    """One IOB2 sentence as runs of (text, type or None): see dataset_preview."""
    runs: list[tuple[list[str], str | None]] = []
    for token, tag in zip(sentence.tokens, sentence.tags, strict=True):
        entity = None if tag == "O" else tag[2:]
        continues = runs and (
            (entity is None and runs[-1][1] is None)
            or (entity is not None and tag.startswith("I-") and runs[-1][1] == entity)
        )
        if continues:
            runs[-1][0].append(token)
        else:
            runs.append(([token], entity))
    return [(" ".join(words), entity) for words, entity in runs]


def _sentences(spec: str) -> list[Sentence]:
    """The training sentences of `builtin:NAME`, or of a file read as the trainer reads it."""
    if spec.startswith(BUILTIN_PREFIX):
        name = spec[len(BUILTIN_PREFIX) :]
        if name not in BUILTIN_CORPORA:
            raise ValueError(f"unknown built-in corpus {name!r}")
        return load_builtin(name, "train")
    path = Path(spec)
    if not path.exists():
        raise ValueError(f"dataset file not found: {spec}")
    try:
        return inspect_corpus(path).sentences
    except DataError as err:
        raise ValueError(str(err)) from None


def _shown(problem: Problem, temp: Path, shown: str) -> str:
    """`NAME:LINE: reason` with the temporary file's path and name replaced by `shown`."""
    reason = problem.reason.replace(str(temp), shown).replace(temp.name, shown)
    return f"{shown}:{problem.line}: {reason}"


def _repairs(scheme: str | None, problems: list[Problem]) -> tuple[str, ...]:
    repairs: list[str] = []
    if scheme and (scheme in _CONVERTED_SCHEMES or scheme.startswith("mixed")):
        repairs.append(f"convert {scheme.removeprefix('mixed: ')} -> IOB2")
    for problem in problems:
        if problem.severity != "warning":
            continue
        for marker, repair in _REPAIR_MARKERS:
            if marker in problem.reason and repair not in repairs:
                repairs.append(repair)
    return tuple(repairs)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"
