"""Check an uploaded data file before import: the report the Data page shows, and a preview.

    check = validate_upload("export.json", data, fmt=None, span_policy="snap")
    if check.usable_after_repair:                       # tags like "Q-PER"
        check = validate_upload("export.json", data, unknown_prefix="suggested")

Plain Python over engine.data.validate (no torch, no streamlit); engine.data.uploads imports
what passes, engine.data.service re-exports both. The client-side file name is only ever
*shown* (sanitised), never used as a path.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.data.readers import SPAN_FORMATS
from engine.data.schemes import UnknownPrefixPolicy
from engine.data.stats import LengthUnit, count_summary
from engine.data.types import Problem, Sentence
from engine.data.validate import FileReport, validate_file

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the dashboard's server.maxUploadSize (MB) in bytes
# Extensions kept from the client's name (they choose the reader); anything else is read as
# CoNLL, and a file whose first line is a JSON object as JSONL (engine.data.readers).
KNOWN_EXTENSIONS = frozenset({"conll", "txt", "tsv", "iob", "bio", "jsonl", "json", "spacy"})
DEFAULT_EXTENSION = "txt"
MAX_DISPLAY_NAME = 100
PREVIEW_SENTENCES = 5  # shown before import

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
Run = tuple[str, str | None]  # a stretch of text and its entity type (None: not an entity)


@dataclass(frozen=True)
class UploadCheck:
    """What the validator found in one uploaded file; problems name the file as uploaded."""

    display_name: str
    size: int
    fmt: str | None = None  # conll | jsonl | labelstudio | doccano | prodigy | spacy | ...
    scheme: str | None = None  # as written, before conversion to IOB2
    sentences: int = 0
    tokens: int = 0
    entities: dict[str, int] = field(default_factory=dict)
    max_length: int = 0
    mean_length: float = 0.0
    unit: LengthUnit = "words"  # what tokens and lengths count: "characters" for CJK chars
    errors: tuple[str, ...] = ()  # "NAME:LINE: reason"; any error makes the file unusable
    warnings: tuple[str, ...] = ()
    repairs: tuple[str, ...] = ()  # e.g. "convert IOB1 -> IOB2", "I- without B- -> B-"
    too_large: str | None = None  # the refusal message when over the size cap
    # Repairs for errors the user may choose (policy -> what it does), as validate reports them.
    repair_choices: dict[str, str] = field(default_factory=dict)
    usable_after_repair: bool = False  # unusable as it is, but one of repair_choices fixes it
    unknown_tags: dict[str, str] = field(default_factory=dict)  # "Q-PER" -> "B-PER"
    unknown_prefix: str = "reject"  # the repair this check applied
    span_policy: str = "snap"
    preview: tuple[tuple[Run, ...], ...] = ()  # the first sentences as runs (entity_runs)

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
    def is_span_format(self) -> bool:
        """Character-span data (Label Studio, doccano, ...): the span policy applies."""
        return self.fmt in SPAN_FORMATS

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
    filename: str,
    data: bytes,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    fmt: str | None = None,
    span_policy: str = "snap",
    unknown_prefix: UnknownPrefixPolicy = "reject",
) -> UploadCheck:
    """Check uploaded bytes with engine.data.validate; problems say DISPLAY_NAME:LINE: reason.

    `fmt` overrides the detected format ("auto" or None detects); `span_policy` and
    `unknown_prefix` as read_corpus takes them."""
    shown = display_name(filename)
    if len(data) > max_bytes:
        message = (
            f"{shown} is {_megabytes(len(data))}, over the {_megabytes(max_bytes)} upload limit"
        )
        return UploadCheck(shown, len(data), too_large=message)
    options = upload_options(fmt, span_policy, unknown_prefix)
    with tempfile.TemporaryDirectory(prefix="lab-upload-") as folder:
        temp = Path(folder) / f"{uuid.uuid4().hex}.{file_extension(filename)}"
        temp.write_bytes(data)
        report = validate_file(str(temp), **options)
    return _check(report, shown, len(data), temp)


def upload_options(fmt: str | None, span_policy: str, unknown_prefix: str) -> dict[str, Any]:
    """validate_file's options; "auto" (or no format) means: detect it."""
    chosen = None if fmt in (None, "", "auto") else fmt
    return {"fmt": chosen, "span_policy": span_policy, "unknown_prefix": unknown_prefix}


def _check(report: FileReport, shown: str, size: int, temp: Path) -> UploadCheck:
    errors = tuple(_shown(p, temp, shown) for p in report.problems if p.severity == "error")
    warnings = tuple(_shown(p, temp, shown) for p in report.problems if p.severity != "error")
    return UploadCheck(
        display_name=shown,
        size=size,
        fmt=report.format if report.scheme is not None else None,
        scheme=report.scheme,
        sentences=report.sentences,
        tokens=report.tokens,
        entities=dict(report.entities),
        max_length=report.max_length,
        mean_length=report.mean_length,
        unit=report.unit,
        errors=errors,
        warnings=warnings,
        repairs=_repairs(report.scheme, report.problems),
        repair_choices=dict(report.repair_choices),
        usable_after_repair=report.usable_after_repair,
        unknown_tags=dict(report.unknown_tags),
        unknown_prefix=report.unknown_prefix,
        span_policy=report.span_policy,
        preview=tuple(tuple(entity_runs(s)) for s in report.sample[:PREVIEW_SENTENCES]),
    )


def entity_runs(sentence: Sentence) -> list[Run]:
    """One IOB2 sentence as runs of (text, type or None): words of one entity form one run
    ("Bob Smith", "PER"), and so do words between entities; joining a sentence's run texts
    with single spaces gives the sentence back."""
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
