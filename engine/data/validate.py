"""Check NER data files before training: counts, tagging scheme, and every problem as FILE:LINE.

    report = validate_paths(["train.txt", "dev.jsonl"])
    print(report.format_text()); sys.exit(report.exit_code)

`python -m engine validate FILE... [--json] [--format F] [--span-policy snap|reject]
[--unknown-prefix reject|suggested|map_to_o]` calls main_validate. Bad input never raises
here: whatever goes wrong while reading becomes a problem in the report.

A tag with an unknown prefix ("Q-PER") is an error; the report then offers repairs in
`report.repair_choices` (policy key -> what it does), and validate_file(path,
unknown_prefix=KEY) checks the file as it reads with that repair applied (engine.data.schemes).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.data.readers import inspect_corpus, resolve_format
from engine.data.schemes import (
    UnknownPrefixPolicy,
    find_unknown_prefixes,
    is_unknown_prefix_problem,
    prefix_repair_choices,
    resolve_unknown_prefixes,
)
from engine.data.stats import LengthUnit, corpus_stats, count_summary
from engine.data.types import DataError, Problem, Sentence

SHOWN_PROBLEMS = 30  # per file in the text report; --json has them all
SAMPLE_SENTENCES = 20  # kept in FileReport.sample, for a preview before import


@dataclass
class FileReport:
    path: str
    split: str | None = None  # for a saved DatasetDict: one report per split
    format: str | None = None
    scheme: str | None = None
    sentences: int = 0
    tokens: int = 0
    entities: dict[str, int] = field(default_factory=dict)
    max_length: int = 0
    mean_length: float = 0.0
    unit: LengthUnit = "words"  # of tokens and lengths: "characters" for char-per-token CJK
    problems: list[Problem] = field(default_factory=list)
    # Repairs the user may choose for errors: policy key -> what it does, e.g. "suggested" /
    # "map_to_o" for unknown tag prefixes (pass the key as validate_file's unknown_prefix).
    repair_choices: dict[str, str] = field(default_factory=dict)
    unknown_prefix: UnknownPrefixPolicy = "reject"  # the repair applied to this report
    unknown_tags: dict[str, str] = field(default_factory=dict)  # "Q-PER" -> its suggestion
    span_policy: str = "snap"
    sample: list[Sentence] = field(default_factory=list, repr=False)  # first IOB2 sentences

    @property
    def usable(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def usable_after_repair(self) -> bool:
        """Not usable as it is, but every error goes away with one of `repair_choices`."""
        errors = [p for p in self.problems if p.severity == "error"]
        fixable = all(is_unknown_prefix_problem(p) for p in errors)
        return bool(errors and self.repair_choices) and fixable

    @property
    def label(self) -> str:
        return f"{self.path} [{self.split}]" if self.split else self.path

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "split": self.split,
            "format": self.format,
            "scheme": self.scheme,
            "usable": self.usable,
            **count_summary(
                self.sentences, self.tokens, self.entities, self.max_length, self.mean_length
            ),
            "unit": self.unit,
            "errors": sum(p.severity == "error" for p in self.problems),
            "warnings": sum(p.severity == "warning" for p in self.problems),
            "problems": [_problem_dict(p) for p in self.problems],
            "repair_choices": dict(self.repair_choices),
            "usable_after_repair": self.usable_after_repair,
        }


@dataclass
class ValidationReport:
    files: list[FileReport]

    @property
    def usable(self) -> bool:
        """All files usable; nothing validated is not a success (an empty glob is a mistake)."""
        return bool(self.files) and all(f.usable for f in self.files)

    @property
    def exit_code(self) -> int:
        return 0 if self.usable else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "usable": self.usable,
            "exit_code": self.exit_code,
            "files": [f.to_dict() for f in self.files],
        }

    def format_text(self) -> str:
        if not self.files:
            return "no files given"
        blocks = [_file_text(f) for f in self.files]
        good = sum(f.usable for f in self.files)
        blocks.append(f"{len(self.files)} checked: {good} usable, {len(self.files) - good} not")
        return "\n\n".join(blocks)


def validate_paths(paths: list[str], **options: Any) -> ValidationReport:
    """One FileReport per file (per split for a saved DatasetDict); `options` as validate_file."""
    return ValidationReport([r for path in paths for r in validate_path(path, **options)])


def validate_path(path: str, **options: Any) -> list[FileReport]:
    splits = _saved_splits(Path(path))
    if splits:
        return [validate_file(path, split, **options) for split in splits]
    return [validate_file(path, **options)]


def validate_file(
    path: str,
    split: str | None = None,
    *,
    unknown_prefix: UnknownPrefixPolicy = "reject",
    fmt: str | None = None,
    span_policy: str = "snap",
) -> FileReport:
    """The report on one file; `unknown_prefix` is the repair for tags like "Q-PER" (the
    default "reject" reports them as errors and lists the repairs in report.repair_choices).
    `fmt` overrides the detected format; `span_policy` is read_corpus's."""
    report = FileReport(path, split, unknown_prefix=unknown_prefix, span_policy=span_policy)
    try:
        report.format = resolve_format(Path(path), fmt)
        corpus = inspect_corpus(path, fmt=report.format, split=split, span_policy=span_policy)
    except DataError as exc:
        report.problems = list(exc.problems)
        return report
    except Exception as exc:  # a validator reports; a traceback helps nobody fix a data file
        reason = f"unexpected {exc.__class__.__name__} while reading: {exc}"
        report.problems = [Problem(path, 0, reason)]
        return report
    word_lines = report.format == "conll"  # as inspect_corpus reads it
    reported = any(is_unknown_prefix_problem(p) for p in corpus.problems)
    unknown = find_unknown_prefixes(corpus.sentences, word_lines=word_lines) if reported else []
    if unknown:
        report.repair_choices = prefix_repair_choices(unknown)
        report.unknown_tags = {u.written: u.suggested for u in unknown}
        corpus = resolve_unknown_prefixes(
            corpus, unknown_prefix, source=path, word_lines=word_lines
        )
    stats = corpus_stats(corpus.sentences)
    report.scheme = corpus.scheme
    report.sentences, report.tokens = stats.sentences, stats.tokens
    report.entities = stats.entities
    report.max_length, report.mean_length = stats.max_length, stats.mean_length
    report.unit = stats.unit
    report.problems = corpus.problems
    report.sample = corpus.sentences[:SAMPLE_SENTENCES]
    return report


def main_validate(paths: list[str], as_json: bool, **options: Any) -> int:
    """Print the report (text or JSON) for `python -m engine validate`; return the exit code.

    `options`: validate_file's unknown_prefix, fmt and span_policy."""
    report = validate_paths(paths, **options)
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else None
    try:
        print(text if text is not None else report.format_text())
        sys.stdout.flush()
    except BrokenPipeError:
        # `validate ... | head`: the reader left; point stdout at devnull so the interpreter's
        # final flush does not print a traceback either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return report.exit_code


def _saved_splits(path: Path) -> list[str]:
    """Split names of a saved DatasetDict folder (read from dataset_dict.json), else []."""
    try:
        data = json.loads((path / "dataset_dict.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    splits = data.get("splits") if isinstance(data, dict) else None
    return [s for s in splits if isinstance(s, str)] if isinstance(splits, list) else []


def _problem_dict(problem: Problem) -> dict[str, Any]:
    return {**asdict(problem), "text": str(problem)}


def _file_text(report: FileReport) -> str:
    verdict = "usable" if report.usable else "NOT USABLE"
    lines = [f"{report.label}: {verdict}"]
    if report.format and report.scheme is not None:
        total = sum(report.entities.values())
        lines.append(
            f"  {report.format}, scheme {report.scheme}, {report.sentences} sentences, "
            f"{report.tokens} tokens, {total} entities"
        )
        if report.entities:
            lines.append("  entities: " + ", ".join(f"{t}={n}" for t, n in report.entities.items()))
        lines.append(
            f"  sentence length ({report.unit}): max {report.max_length}, "
            f"mean {report.mean_length:.1f}"
        )
    for problem in report.problems[:SHOWN_PROBLEMS]:
        lines.append(f"  {problem.severity}: {problem}")
    if len(report.problems) > SHOWN_PROBLEMS:
        lines.append(f"  ... {len(report.problems) - SHOWN_PROBLEMS} more (see --json)")
    if report.repair_choices and report.unknown_prefix == "reject":
        for key, what in report.repair_choices.items():
            lines.append(f"  repair on offer: {key}: {what}")
    return "\n".join(lines)
