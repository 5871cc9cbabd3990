"""Check NER data files before training: counts, tagging scheme, and every problem as FILE:LINE.

    report = validate_paths(["train.txt", "dev.jsonl"])
    print(report.format_text()); sys.exit(report.exit_code)

`python -m engine validate FILE... [--json]` calls main_validate. Bad input never raises here:
whatever goes wrong while reading becomes a problem in the report.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.data.readers import inspect_corpus, resolve_format
from engine.data.stats import corpus_stats, count_summary
from engine.data.types import DataError, Problem

SHOWN_PROBLEMS = 30  # per file in the text report; --json has them all


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
    problems: list[Problem] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

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
            "errors": sum(p.severity == "error" for p in self.problems),
            "warnings": sum(p.severity == "warning" for p in self.problems),
            "problems": [_problem_dict(p) for p in self.problems],
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


def validate_paths(paths: list[str]) -> ValidationReport:
    """One FileReport per file (per split for a saved DatasetDict)."""
    return ValidationReport([report for path in paths for report in validate_path(path)])


def validate_path(path: str) -> list[FileReport]:
    splits = _saved_splits(Path(path))
    if splits:
        return [validate_file(path, split) for split in splits]
    return [validate_file(path)]


def validate_file(path: str, split: str | None = None) -> FileReport:
    report = FileReport(path=path, split=split)
    try:
        report.format = resolve_format(Path(path), None)
        corpus = inspect_corpus(path, fmt=report.format, split=split)
    except DataError as exc:
        report.problems = list(exc.problems)
        return report
    except Exception as exc:  # a validator reports; a traceback helps nobody fix a data file
        reason = f"unexpected {exc.__class__.__name__} while reading: {exc}"
        report.problems = [Problem(path, 0, reason)]
        return report
    stats = corpus_stats(corpus.sentences)
    report.scheme = corpus.scheme
    report.sentences, report.tokens = stats.sentences, stats.tokens
    report.entities = stats.entities
    report.max_length, report.mean_length = stats.max_length, stats.mean_length
    report.problems = corpus.problems
    return report


def main_validate(paths: list[str], as_json: bool) -> int:
    """Print the report (text or JSON) for `python -m engine validate`; return the exit code."""
    report = validate_paths(paths)
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
    return {
        "file": problem.file,
        "line": problem.line,
        "severity": problem.severity,
        "reason": problem.reason,
        "text": str(problem),
    }


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
        lines.append(f"  sentence length: max {report.max_length}, mean {report.mean_length:.1f}")
    for problem in report.problems[:SHOWN_PROBLEMS]:
        lines.append(f"  {problem.severity}: {problem}")
    if len(report.problems) > SHOWN_PROBLEMS:
        lines.append(f"  ... {len(report.problems) - SHOWN_PROBLEMS} more (see --json)")
    return "\n".join(lines)
